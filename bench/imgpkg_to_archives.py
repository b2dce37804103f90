#!/usr/bin/env python3
"""Turn the OCI images of an imgpkg tarball into one oci-archive and one
docker-archive holding all of them (benchmark input for bench/archives.sh;
not used by the product).

Usage: imgpkg_to_archives.py TAR OUTDIR -> OUTDIR/oci.tar, OUTDIR/docker.tar

Image i is named bench/app-<i>:v1 in both. The oci-archive keeps the images
byte for byte (index.json names them with org.opencontainers.image.ref.name);
the docker-archive holds each layer blob as its uncompressed layer tar, with
a config whose rootfs.diff_ids are the blobs' digests, so both archives move
exactly the same layer bytes as the imgpkg tar."""
import hashlib, json, os, shutil, subprocess, sys, tarfile

tar_path, out = sys.argv[1], sys.argv[2]
work = os.path.join(out, "work")
shutil.rmtree(work, ignore_errors=True)
oci, dock = os.path.join(work, "oci"), os.path.join(work, "docker")
os.makedirs(os.path.join(oci, "blobs", "sha256"))
os.makedirs(dock)

def put(path, data):
    with open(path, "wb") as f:
        f.write(data)

with tarfile.open(tar_path) as t:
    manifest = json.load(t.extractfile("manifest.json"))
    layers = {}
    for m in t.getmembers():
        if m.name.endswith(".tar.gz") and m.isfile():
            hexd = m.name[len("sha256-"):-len(".tar.gz")]
            dst = os.path.join(oci, "blobs", "sha256", hexd)
            with t.extractfile(m) as src, open(dst, "wb") as f:
                shutil.copyfileobj(src, f, 1 << 20)
            layers[hexd] = dst

index, docker_list, n = [], [], 0
for entry in manifest:
    img = entry.get("Image")
    if not img or img["Manifest"]["MediaType"] != "application/vnd.oci.image.manifest.v1+json":
        continue  # the bundle image itself (Docker media types): not an app image
    name = f"bench/app-{n}:v1"
    n += 1
    raw = img["Manifest"]["Raw"].encode()
    mhex = hashlib.sha256(raw).hexdigest()
    put(os.path.join(oci, "blobs", "sha256", mhex), raw)
    config = img["Config"]["Raw"].encode()
    put(os.path.join(oci, "blobs", "sha256", hashlib.sha256(config).hexdigest()), config)
    index.append({"mediaType": img["Manifest"]["MediaType"], "digest": "sha256:" + mhex,
                  "size": len(raw), "annotations": {"org.opencontainers.image.ref.name": name}})
    hexes = [l["Digest"].split(":")[1] for l in img.get("Layers") or []]
    cfg = json.loads(config)
    cfg["rootfs"] = {"type": "layers", "diff_ids": ["sha256:" + h for h in hexes]}
    cfg_bytes = json.dumps(cfg, separators=(",", ":")).encode()
    cfg_name = hashlib.sha256(cfg_bytes).hexdigest() + ".json"
    put(os.path.join(dock, cfg_name), cfg_bytes)
    names = []
    for h in hexes:
        os.makedirs(os.path.join(dock, h), exist_ok=True)
        dst = os.path.join(dock, h, "layer.tar")
        if not os.path.exists(dst):
            os.link(layers[h], dst)
        names.append(f"{h}/layer.tar")
    docker_list.append({"Config": cfg_name, "RepoTags": [name], "Layers": names})

put(os.path.join(oci, "oci-layout"), b'{"imageLayoutVersion":"1.0.0"}')
put(os.path.join(oci, "index.json"), json.dumps({"schemaVersion": 2, "manifests": index}).encode())
put(os.path.join(dock, "manifest.json"), json.dumps(docker_list).encode())
for src, dst in ((oci, "oci.tar"), (dock, "docker.tar")):
    subprocess.run(["tar", "--hard-dereference", "-C", src, "-cf", os.path.join(out, dst)]
                   + sorted(os.listdir(src)), check=True)
shutil.rmtree(work)
print(n)
