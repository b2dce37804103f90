// The only way the view builds DOM: createElement + textContent, with an
// allow-list of the properties and attributes it may set. Untrusted strings
// (file names, references, YAML, registry messages) are always inserted as
// text nodes or plain attribute values, never parsed as HTML: a property or
// attribute not listed here (innerHTML, outerHTML, srcdoc, on*, style, src…)
// throws. No HTML-parsing DOM API is used anywhere in web/
// (tests/e2e/security.test.mjs checks; the page runs under Trusted Types).

/** Properties `el()` may assign: inert values only. */
export const PROPERTIES = Object.freeze(new Set(['type', 'value', 'open', 'max', 'disabled', 'checked', 'hidden', 'id', 'name', 'tabIndex']));

/** Attributes `el()` may set (plus any aria-* and data-*). */
export const ATTRIBUTES = Object.freeze(new Set(['title', 'colspan', 'role', 'id', 'tabindex', 'for', 'download', 'href', 'lang', 'open']));

/** href values allowed: object URLs made by this page (downloads) and in-page anchors. */
const SAFE_HREF = /^(blob:|#)/;

export class DomError extends Error {}

function checkAttribute(tag, name, value) {
  const n = name.toLowerCase();
  if (!(ATTRIBUTES.has(n) || /^aria-[a-z]+$/.test(n) || /^data-[a-z0-9-]+$/.test(n))) {
    throw new DomError(`refusing to set attribute ${JSON.stringify(name)} on <${tag}>: not in the allow-list of dom.js`);
  }
  if (n === 'href' && !SAFE_HREF.test(value)) {
    throw new DomError(`refusing href ${JSON.stringify(value)} on <${tag}>: only blob: and # links are made by this page`);
  }
}

/**
 * el('td', {className: 'ref', attrs: {title: ref}}, ref)
 * Children: strings/numbers become text nodes, Nodes are appended, null and
 * false are skipped, arrays are flattened.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { className, attrs, dataset, on, text, ...rest } = props;
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      const v = value === true ? '' : String(value);
      checkAttribute(tag, name, v);
      node.setAttribute(name, v);
    }
  }
  if (dataset) Object.assign(node.dataset, dataset);
  if (on) {
    for (const [event, handler] of Object.entries(on)) {
      if (typeof handler !== 'function') throw new DomError(`refusing a non-function ${event} handler on <${tag}>`);
      node.addEventListener(event, handler);
    }
  }
  for (const [key, value] of Object.entries(rest)) {
    if (!PROPERTIES.has(key)) throw new DomError(`refusing to set property ${JSON.stringify(key)} on <${tag}>: not in the allow-list of dom.js`);
    node[key] = value;
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Removes every child of `node`. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

export function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing element #${id}`);
  return node;
}
