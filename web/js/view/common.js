// DOM builders shared by the view's parts: error blocks, badges, downloads.

import { $, el } from '../dom.js';

// Built at load: the first Intl use costs ~15–18 ms here (locale data),
// which the first open would otherwise pay.
export const GROUPED = new Intl.NumberFormat('en-US');

/**
 * The elements with these ids (each through `$`, which throws for a missing
 * one), keyed by the id in camelCase: 'push-start' → pushStart.
 */
export function byIds(...ids) {
  return Object.fromEntries(ids.map((id) => [id.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), $(id)]));
}

/** An explained error (errors.js `explain`) as an alert block, or its bare children. */
export function errorBlock(x, { bare = false, cancelled = false } = {}) {
  const children = [el('p', { className: 'title' }, x.title), el('p', { className: 'hint' }, x.hint), x.message && x.message !== x.title ? el('p', { className: 'message mono' }, x.message) : null, el('p', { className: 'code' }, x.code)];
  if (bare) return children;
  return el('div', { className: `alert ${cancelled ? 'warn' : 'error'}`, attrs: { role: 'alert', 'data-code': x.code } }, children);
}

/** The badge colour class of a tree or preview kind. */
export function badgeClass(kind) {
  if (kind === 'bundle' || kind === 'locations') return 'bundle';
  if (kind === 'index' || kind === 'index-child') return 'index';
  if (kind === 'signature') return 'signature';
  return 'image';
}

/** Offers `text` (of media type `type`) as a file download named `filename`. */
export function download(filename, text, type = 'text/yaml') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { attrs: { href: url, download: filename }, className: 'visually-hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Shows `text` on `button` for a moment. */
export function flash(button, text) {
  const old = button.textContent;
  button.textContent = text;
  setTimeout(() => {
    button.textContent = old;
  }, 1200);
}
