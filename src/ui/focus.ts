/**
 * Keeping the keyboard focus through re-renders: a control replaced or hidden is found again by
 * what a screen reader calls it, else the focus goes to a neighbour the caller names. Left alone
 * it drops to the page, and a keyboard user starts again from the top.
 */
import { $ } from './elements.ts';
import { visible } from './names.ts';

/** A control by what a screen reader calls it, and which of the controls so called it is ("Download x" names a file's name and its button). */
export interface FocusMark {
  name: string;
  nth: number;
  /** Its row in the listing (for "Load more", the first row it adds), or -1. */
  row: number;
}

const nameOf = (element: Element) => element.getAttribute('aria-label') ?? element.textContent ?? '';
/** Controls named `name` as the page shows names (through visible(), as button() labels them). */
export const controlsNamed = (name: string) => {
  const shown = visible(name);
  return [...document.querySelectorAll<HTMLElement>('button, input, [tabindex]')].filter((control) => nameOf(control) === shown);
};
/** On screen: connected, and neither it nor a parent hidden. */
const shown = (element: HTMLElement | null | undefined) => element?.isConnected === true && element.getClientRects().length > 0;

function focusMark(): FocusMark | null {
  const focused = document.activeElement;
  if (!(focused instanceof HTMLElement) || focused === document.body) return null;
  const name = nameOf(focused);
  const rows = [...$('rows').children];
  const row = focused.closest('#rows tr');
  return { name, nth: controlsNamed(name).indexOf(focused), row: row ? rows.indexOf(row) : focused.id === 'more' ? rows.length : -1 };
}

/** Whether the focus is on a control still on screen: one removed or hidden leaves it on the page or nowhere. */
function focusHeld(): boolean {
  const focused = document.activeElement;
  return focused instanceof HTMLElement && focused !== document.body && shown(focused);
}

/**
 * Runs `change`, which may replace or hide the focused control, then gives the focus back: to the
 * control now called as that one was (with `same`), else to `fallback`. Left alone, it drops to
 * the page, and a keyboard user starts again from the top. With `scope`, the elements `change`
 * can touch: a focus outside them is left alone, sparing the page the layout finding it takes.
 */
export function keepFocus(change: () => void, fallback: (mark: FocusMark) => HTMLElement | null | undefined, same = true, scope?: Element[]): void {
  if (scope && !scope.some((element) => element.contains(document.activeElement))) return change();
  const mark = focusMark();
  change();
  if (!mark || focusHeld()) return;
  const match = same ? controlsNamed(mark.name)[mark.nth] : undefined;
  // The same control where it was: the page must not scroll under the person.
  if (match && shown(match)) match.focus({ preventScroll: true });
  else fallback(mark)?.focus();
}

/** Gives the focus to `target`, unless the person has it on a control on screen. */
export function focusIfLost(target: HTMLElement | null): void {
  if (!focusHeld()) target?.focus();
}

/** The first of `elements` on screen. */
export const firstShown = (...elements: (HTMLElement | null)[]) => elements.find(shown) ?? null;

/** Brings a panel just opened to the person: below a long listing it would open out of sight. */
export function reveal(panel: HTMLElement): void {
  panel.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
  panel.scrollIntoView({ block: 'nearest' });
}
