/** The page's elements and the controls it makes, each one small and accessible; the text they show goes through visible(). */
import { visible } from './names.ts';

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A panel's heading: the focus goes there when the panel opens, or loses the control it was on. */
export function heading(text: string): HTMLHeadingElement {
  const h = document.createElement('h2');
  h.textContent = visible(text);
  h.tabIndex = -1;
  return h;
}

export function button(label: string, action: () => void, aria?: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = visible(label);
  if (aria) b.setAttribute('aria-label', visible(aria));
  b.addEventListener('click', action);
  return b;
}

/** A long name wraps in its row; the full path shows on hover. */
export function named(element: HTMLElement, path: string): HTMLElement {
  element.title = visible(path);
  return element;
}

export function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = visible(text);
  if (className) td.className = className;
  return td;
}

/** A link to select and copy by hand, where the clipboard is out of reach. */
export function linkField(url: string, label: string): HTMLInputElement {
  const field = document.createElement('input');
  field.type = 'text';
  field.readOnly = true;
  field.value = url;
  field.setAttribute('aria-label', visible(label));
  field.addEventListener('focus', () => field.select());
  return field;
}

/** Escape pressed anywhere in a panel or notice closes it, as its Close or Dismiss button does. */
export function closesOnEscape(element: HTMLElement, close: () => void): void {
  element.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    close();
  });
}

/** The browser's own confirmation, its words shown as the page shows them. */
export const confirmed = (text: string) => confirm(visible(text));

/** The browser's own prompt, its words shown as the page shows them; `value`, the one to edit, as it is. */
export const askFor = (text: string, value: string) => prompt(visible(text), value);
