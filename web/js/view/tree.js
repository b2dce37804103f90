// The contents tree of the view: nested <details> per item, layers as
// leaves; large trees built lazily and listed in pages.

import { $, el, replace } from '../dom.js';
import { formatBytes, plural, shortDigest } from '../format.js';
import { missingLayerBadge } from '../thin.js';
import { badgeClass, paged } from './common.js';

/** Trees up to this many nodes (items + layers) are built whole at open. */
export const TREE_EAGER_MAX = 1500;
/** Children listed per page in a tree node. */
export const TREE_PAGE = 200;

export class TreeView {
  constructor() {
    this.tree = $('tree');
  }

  render(tree) {
    // Small trees are built whole; large ones build a node's contents when
    // it is first opened, and list long children in pages (TREE_PAGE).
    const lazy = countNodes(tree.items) > TREE_EAGER_MAX;
    this.tree.dataset.lazy = String(lazy);
    const nodes = [];
    pagedChildren(nodes, tree.items, 0, lazy);
    if (nodes.length === 0) nodes.push(el('p', { className: 'muted' }, 'The tarball lists no images.'));
    replace(this.tree, nodes);
  }

  bindButtons() {
    $('tree-expand').addEventListener('click', () => {
      // Opening fills a lazy node at once (fill()), so one click expands
      // every level that is rendered (long lists stay paged).
      for (let round = 0; round < 16; round += 1) {
        const closed = this.tree.querySelectorAll('details:not([open])');
        if (closed.length === 0) break;
        for (const d of closed) {
          fill(d);
          d.open = true;
        }
      }
    });
    $('tree-collapse').addEventListener('click', () => {
      for (const d of this.tree.querySelectorAll('details')) d.open = false;
    });
  }
}

/** Distinct bundles, images, indexes, signatures and layer blobs of the nested items. */
export function countItems(items) {
  const counts = { bundle: 0, image: 0, index: 0, signature: 0, layers: 0 };
  const seen = new Set();
  const layers = new Set();
  const walk = (list) => {
    for (const i of list) {
      const key = `${i.kind}:${i.digest}`;
      if (!seen.has(key)) {
        seen.add(key);
        if (i.kind in counts) counts[i.kind] += 1;
        for (const l of i.layers || []) if (l.role !== 'config') layers.add(l.digest);
      }
      walk(i.children || []);
    }
  };
  walk(items);
  counts.layers = layers.size;
  return counts;
}

function countNodes(items) {
  let n = 0;
  const walk = (list) => {
    for (const i of list) {
      n += 1 + (i.layers ? i.layers.length : 0);
      if (i.children) walk(i.children);
    }
  };
  walk(items);
  return n;
}

/** Appends tree nodes for `items` to `out`, TREE_PAGE at a time when lazy. */
function pagedChildren(out, items, depth, lazy) {
  out.push(
    ...paged(items, {
      size: lazy ? TREE_PAGE : items.length,
      build: (item) => treeNode(item, depth, lazy),
      focusOf: (node) => node.querySelector('summary'),
    }),
  );
}

/** Builds a lazy node's contents (once). */
function fill(details) {
  const build = details.airlockBuild;
  if (!build) return;
  details.airlockBuild = null;
  details.append(...build());
}

function treeNode(item, depth, lazy = false) {
  const meta = [formatBytes(item.size), item.mediaType, item.platform].filter(Boolean).join(' · ');
  const summary = el(
    'summary',
    {},
    el(
      'span',
      { className: 'node-line' },
      el('span', { className: `badge ${badgeClass(item.kind)}` }, item.kind),
      el('span', { className: 'node-name' }, item.source || item.digest),
      item.tag ? el('span', { className: 'badge' }, `tag ${item.tag}`) : null,
      item.missing ? el('span', { className: 'badge missing' }, 'not in tar') : null,
      el('span', { className: 'node-meta' }, meta),
      item.children && item.children.length ? el('span', { className: 'node-meta node-count' }, plural(item.children.length, 'item')) : null,
    ),
  );
  const build = () => nodeBody(item, depth, lazy);
  const open = depth < 1;
  const details = el('details', { open, dataset: { kind: item.kind, digest: item.digest || '', children: String((item.children || []).length) } }, summary);
  if (!lazy || open) {
    details.append(...build());
  } else {
    details.airlockBuild = build;
    details.addEventListener('toggle', () => {
      if (details.open) fill(details);
    });
  }
  return details;
}

function nodeBody(item, depth, lazy) {
  const body = [];
  if (item.source && item.digest && !item.source.endsWith(item.digest)) {
    body.push(el('div', { className: 'leaf' }, el('span', { className: 'node-meta' }, 'digest'), el('span', { className: 'node-name' }, item.digest)));
  }
  for (const l of item.layers || []) {
    body.push(
      el(
        'div',
        { className: 'leaf', dataset: { layer: l.digest } },
        el('span', { className: 'badge' }, l.role || 'layer'),
        el('span', { className: 'node-name', attrs: { title: l.digest } }, shortDigest(l.digest)),
        el('span', { className: 'node-meta' }, [formatBytes(l.size), l.mediaType].join(' · ')),
        l.nonDistributable ? el('span', { className: 'badge skip' }, 'non-distributable') : null,
        l.present === false ? missingLayerBadge(l) : null,
      ),
    );
  }
  pagedChildren(body, item.children || [], depth + 1, lazy);
  return body;
}
