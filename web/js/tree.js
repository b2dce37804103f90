// Turns the engine's display tree (the JSON `airlock inspect --json` prints:
// flat nodes with child ids) into the nested items the view renders. Pure.

/**
 * @returns {{root: string|null, items: object[], bundles: object[], problems: object[], blobCount: number, blobBytes: number}}
 */
export function nestTree(tree) {
  const nodes = tree.nodes || [];
  const bundleOf = new Map((tree.bundles || []).map((b) => [b.node, b]));
  const shown = new Set();
  const item = (id, path) => {
    const n = nodes[id];
    shown.add(id);
    path.push(id);
    const layers = [];
    if (n.config_digest) {
      layers.push({ role: 'config', digest: n.config_digest, size: n.config_size || 0, mediaType: n.config_media_type || '', present: true, nonDistributable: false });
    }
    for (const l of n.layers || []) {
      layers.push({ role: 'layer', digest: l.digest, size: l.size, mediaType: l.media_type, present: l.present, nonDistributable: l.non_distributable });
    }
    const children = [];
    for (const c of n.children || []) if (!path.includes(c)) children.push(item(c, path));
    const b = bundleOf.get(id);
    if (b) {
      for (const img of b.images || []) {
        if (img.node === null || img.node === undefined) {
          children.push({ kind: 'image', digest: img.digest, source: img.image, tag: '', mediaType: '', size: 0, platform: null, missing: true, layers: [], children: [] });
        }
      }
    }
    path.pop();
    return { kind: n.kind, digest: n.digest, source: n.source, tag: n.tag, mediaType: n.media_type, size: n.size, platform: n.platform || null, missing: false, layers, children };
  };
  const items = [];
  for (const id of tree.top || []) {
    if (!shown.has(id)) items.push(item(id, []));
  }
  const bundles = (tree.bundles || []).map((b) => ({
    digest: b.digest,
    source: nodes[b.node] ? nodes[b.node].source : '',
    root: tree.root === b.node,
    files: (b.files || []).map((f) => ({ path: f.path, size: f.size })),
  }));
  bundles.sort((a, b) => Number(b.root) - Number(a.root));
  return {
    root: tree.root === null || tree.root === undefined ? null : nodes[tree.root].source,
    items,
    bundles,
    problems: tree.problems || [],
    blobCount: tree.blob_count || 0,
    blobBytes: tree.blob_bytes || 0,
  };
}
