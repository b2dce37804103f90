#!/usr/bin/env python3
"""Unpack an imgpkg tarball into one OCI image layout per image, so that
`skopeo copy oci:DIR docker://…` can push exactly the same images as
`airlock copy --tar` (benchmark reference; not used by the product).

Usage: tar_to_oci.py TAR OUTDIR  -> prints one layout directory per line.
Layers are hard-linked between layouts when possible (no extra disk use)."""
import hashlib, json, os, sys, tarfile

tar_path, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
blobs_dir = os.path.join(out, "_blobs")
os.makedirs(blobs_dir, exist_ok=True)
with tarfile.open(tar_path) as t:
    manifest = json.load(t.extractfile("manifest.json"))
    for m in t.getmembers():
        if m.name.endswith(".tar.gz") and m.isfile():
            dst = os.path.join(blobs_dir, m.name[len("sha256-"):-len(".tar.gz")])
            if not os.path.exists(dst):
                with t.extractfile(m) as src, open(dst, "wb") as f:
                    while True:
                        b = src.read(1 << 20)
                        if not b:
                            break
                        f.write(b)

def put(layout, data=None, hexd=None):
    d = os.path.join(layout, "blobs", "sha256")
    os.makedirs(d, exist_ok=True)
    if data is not None:
        hexd = hashlib.sha256(data).hexdigest()
        with open(os.path.join(d, hexd), "wb") as f:
            f.write(data)
    else:
        p = os.path.join(d, hexd)
        if not os.path.exists(p):
            try:
                os.link(os.path.join(blobs_dir, hexd), p)
            except OSError:
                import shutil
                shutil.copyfile(os.path.join(blobs_dir, hexd), p)
    return hexd

for i, entry in enumerate(manifest):
    img = entry.get("Image")
    if not img:
        continue
    layout = os.path.join(out, f"img{i}")
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    put(layout, img["Config"]["Raw"].encode())
    for l in img.get("Layers") or []:
        put(layout, hexd=l["Digest"].split(":")[1])
    raw = img["Manifest"]["Raw"].encode()
    mh = put(layout, raw)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": img["Manifest"]["MediaType"], "digest": "sha256:" + mh, "size": len(raw),
        "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    print(layout)
