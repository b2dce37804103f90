// DOM builders shared by the view's parts: error blocks, badges, downloads, pagers.

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

/**
 * `items` from `from` on, `size` of them made by `build`, then (when more
 * are left) a "Show N more of M" button that puts the next page in its place
 * and moves the keyboard focus to that page's first item (`focusOf` its node).
 */
export function paged(items, { size, build, noun = '', focusOf = (node) => node }, from = 0) {
  const end = Math.min(items.length, from + size);
  const out = items.slice(from, end).map(build);
  if (end < items.length) {
    const what = noun ? ` ${noun}` : '';
    const more = el('button', { type: 'button', className: 'small more' }, `Show ${Math.min(size, items.length - end)} more of ${GROUPED.format(items.length)}${what}`);
    more.addEventListener('click', () => {
      const next = paged(items, { size, build, noun, focusOf }, end);
      more.replaceWith(...next);
      focusOf(next[0])?.focus();
    });
    out.push(more);
  }
  return out;
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
