/**
 * The list of uploads: a row each with its progress and a Cancel button, and a summary of how
 * many were done and failed, with "Cancel all" while any is queued or under way. Finished rows
 * leave after a while; failed ones stay, saying why.
 */
import { $, button, named } from './elements.ts';
import { firstShown, keepFocus } from './focus.ts';
import { describeUploads, formatBytes } from './format.ts';
import { visible } from './names.ts';

/** How long a finished upload stays in the list; its summary keeps the count. */
const FINISHED_ROW_MS = 3000;

export interface UploadRow {
  sending(): void;
  progress(sent: number): void;
  done(): void;
  cancelled(): void;
  failed(reason: string): void;
}

/** Uploads done since the list was last cleared. */
let uploaded = 0;
/** The uploads queued or under way, each row with its Cancel: the one list of them the page keeps. */
const pending = new Map<HTMLLIElement, () => void>();

/** Where the focus goes when the control it was on among the uploads goes: another upload's Cancel, Clear, the drop zone. */
const nearUploads = () => firstShown($('uploads').querySelector('button'), $('clear-uploads'), $('drop'), $('listing'));

export function uploadRow(target: string, size: number, cancel: () => void): UploadRow {
  const li = document.createElement('li');
  const label = document.createElement('span');
  named(label, target).textContent = visible(target);
  const rate = document.createElement('span');
  rate.className = 'muted';
  rate.textContent = 'queued';
  const stop = button('Cancel', cancel, `Cancel upload of ${target}`);
  const bar = document.createElement('progress');
  bar.max = Math.max(size, 1);
  bar.value = 0;
  bar.setAttribute('aria-label', visible(`Upload progress of ${target}`));
  li.append(label, rate, stop, bar);
  $('uploads').append(li);
  pending.set(li, cancel);
  // Only the first changes the summary ("Cancel all" comes): a pick of thousands must not count each time.
  if (pending.size === 1) summarize();
  let started = 0;
  const end = (state: 'done' | 'cancelled' | 'failed', text: string) => {
    if (li.dataset.state) return;
    li.dataset.state = state;
    rate.textContent = text;
    const change = () => {
      stop.remove();
      pending.delete(li);
      summarize();
    };
    // Only a focus on this row or the summary's buttons can be lost: a batch of a hundred ending
    // at once would otherwise cost a layout per row.
    keepFocus(change, nearUploads, true, [li, $('upload-summary')]);
    if (state !== 'failed') setTimeout(() => li.remove(), FINISHED_ROW_MS);
  };
  return {
    sending() {
      started = performance.now();
      rate.textContent = '';
    },
    progress(sent) {
      bar.value = sent;
      rate.textContent = `${formatBytes(sent / Math.max((performance.now() - started) / 1000, 0.001))}/s`;
    },
    done() {
      bar.value = bar.max;
      rate.className = 'done';
      uploaded++;
      end('done', 'done');
    },
    cancelled: () => end('cancelled', 'cancelled'),
    failed(reason) {
      const why = document.createElement('span');
      why.className = 'reason';
      why.textContent = visible(reason);
      bar.replaceWith(why);
      end('failed', 'failed');
    },
  };
}

function summarize(): void {
  const failed = $('uploads').querySelectorAll('li[data-state="failed"]').length;
  $('upload-count').textContent = describeUploads(uploaded, failed);
  $('clear-uploads').hidden = uploaded + failed === 0;
  $('cancel-uploads').hidden = pending.size === 0;
  $('upload-summary').hidden = uploaded + failed === 0 && pending.size === 0;
}

/** Whether any upload is queued or under way. */
export const uploadsUnderWay = () => pending.size > 0;

/** Cancels every upload queued or under way, each as its own Cancel does (so aborted on the server too). */
export function cancelUploads(): void {
  // A queued one leaves the list as it is cancelled.
  for (const cancel of [...pending.values()]) cancel();
}

/** Empties the list of the uploads finished, failed ones included, and the count of those done. */
export function clearUploads(): void {
  keepFocus(() => {
    for (const li of $('uploads').querySelectorAll('li[data-state]')) li.remove();
    uploaded = 0;
    summarize();
  }, nearUploads);
}

/** Empties the list, rows under way too, and the count: whoever signs in next must not see them. */
export function forgetUploads(): void {
  uploaded = 0;
  pending.clear();
  $('uploads').replaceChildren();
  summarize();
}
