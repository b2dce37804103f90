// The only way the view builds DOM: createElement + textContent.
// Untrusted strings (file names, references, YAML, registry messages) are
// always inserted as text nodes, never parsed as HTML. No HTML-parsing
// DOM API is used anywhere in web/ (tests/e2e/security.test.mjs checks).

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
      if (/^on/i.test(name)) throw new Error(`refusing to set event attribute ${name}`);
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  if (dataset) Object.assign(node.dataset, dataset);
  if (on) {
    for (const [event, handler] of Object.entries(on)) node.addEventListener(event, handler);
  }
  for (const [key, value] of Object.entries(rest)) {
    // Only plain properties such as `type`, `value`, `disabled`, `max`.
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
