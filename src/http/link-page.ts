/** What a person who opens a share link that no longer works sees in a browser: why, in a sentence. */
import { html } from 'hono/html';

export function linkPage(message: string) {
  const said = message.charAt(0).toUpperCase() + message.slice(1);
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Link not available</title></head><body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem"><h1>This link does not work any more</h1><p>${said}.</p><p>Ask whoever sent it for a new one.</p></body></html>`;
}
