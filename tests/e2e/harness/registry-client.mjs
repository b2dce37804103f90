// Reads a registry's state the way the fixtures record it: one line per tag,
// "tag digest mediaType", sorted (expected-dst-from-tar-tags.txt format).

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export async function tagLines(base, repo, { authorization } = {}) {
  const headers = authorization ? { Authorization: authorization } : {};
  const res = await fetch(`${base}/v2/${repo}/tags/list?n=10000`, { headers });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`tags/list ${res.status}: ${await res.text()}`);
  const { tags } = await res.json();
  const lines = [];
  for (const tag of tags || []) {
    const m = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { ...headers, Accept: ACCEPT } });
    if (!m.ok) throw new Error(`HEAD manifest ${tag}: ${m.status}`);
    lines.push(`${tag} ${m.headers.get('docker-content-digest')} ${m.headers.get('content-type')}`);
  }
  return lines.sort();
}

/** Whether the registry has the blob `digest` in `repo`. */
export async function hasBlob(base, repo, digest, { authorization } = {}) {
  const headers = authorization ? { Authorization: authorization } : {};
  const res = await fetch(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers });
  return res.status === 200;
}

export function basic(user, pass) {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/**
 * An independent walk of `repo`: every tag whose manifest (or, for an
 * index, any child manifest) names a blob or child the registry does not
 * have. A copy that was interrupted must leave this empty.
 */
export async function incompleteTags(base, repo, { authorization } = {}) {
  const headers = authorization ? { Authorization: authorization } : {};
  const res = await fetch(`${base}/v2/${repo}/tags/list?n=10000`, { headers });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`tags/list ${res.status}: ${await res.text()}`);
  const missing = async (ref) => {
    const m = await fetch(`${base}/v2/${repo}/manifests/${ref}`, { headers: { ...headers, Accept: ACCEPT } });
    if (!m.ok) return [`manifest ${ref}: ${m.status}`];
    const body = await m.json();
    const out = [];
    for (const child of body.manifests || []) out.push(...(await missing(child.digest)));
    for (const blob of [body.config, ...(body.layers || [])].filter(Boolean)) {
      if (!(await hasBlob(base, repo, blob.digest, { authorization }))) out.push(`blob ${blob.digest}`);
    }
    return out;
  };
  const bad = [];
  for (const tag of (await res.json()).tags || []) {
    const gaps = await missing(tag);
    if (gaps.length) bad.push(`${tag}: ${gaps.join(', ')}`);
  }
  return bad;
}
