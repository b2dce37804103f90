//! Malformed tars by name, each with the text the reader or verifier must
//! report for it.

use airlock_core::archive::MAX_BUNDLE_LAYER;
use airlock_core::digest::Digest;
use airlock_core::manifest::media_type;
use airlock_core::tar;

use super::layers::gzipped_tar;
use super::{
    bundle, bundle_from_files, file, image, images_yml, plain_image, replace_layers, simple_bundle,
    Artifact, BlobData, ExportOptions, ImageSpec, LockEntry, SourceRegistry, SynthImage, SynthTar,
    TarItem, SOURCE_REGISTRY,
};
use crate::random;

/// The names [`bad_archive`] knows, each with the text that the reader or
/// verifier must report for it.
pub const BAD_ARCHIVES: &[(&str, &str)] = &[
    ("missing-manifest-json", "file manifest.json not found in tar (hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)"),
    ("invalid-json", "manifest.json: parsing manifest.json:"),
    ("manifest-json-not-an-array", "manifest.json: parsing manifest.json:"),
    ("missing-layer", "not found in tar (hint: This may be because when copying to a tarball, the --include-non-distributable-layers flag should have been provided.)"),
    ("layer-wrong-bytes", "error verifying sha256 checksum after reading"),
    ("layer-wrong-size", "error verifying size; got"),
    ("manifest-raw-mismatch", "manifest bytes (Raw) hash to"),
    ("config-raw-mismatch", "config bytes (Config.Raw) hash to"),
    ("manifest-layers-disagree", "layer 0: the manifest says"),
    ("bundle-two-layers", "Expected bundle to only have a single layer, got 2"),
    ("bundle-oci-layer", "Expected layer to have docker layer media type, was application/vnd.oci.image.layer.v1.tar+gzip"),
    ("bundle-without-images-yml", "Expected to find .imgpkg/images.yml in bundle image"),
    ("images-yml-tag-reference", "Expected ref to be in digest form, got"),
    ("images-yml-unknown-field", "unknown field \"another-key\""),
    ("images-yml-wrong-kind", "Unknown kind (known: ImagesLock)"),
    ("bundle-image-not-in-tar", "named in .imgpkg/images.yml is not in the tar"),
    ("images-yml-alias-bomb", "Unmarshalling ImagesLock from image with Digest"),
    ("bundle-layer-gzip-bomb", "the bundle layer uncompresses to more than"),
    ("bundle-layer-not-gzip", "decompressing the bundle layer"),
    ("index-child-missing", "which is not in manifest.json"),
    ("refs-not-a-digest", "Refs[0] is not a digest reference"),
    ("refs-wrong-digest", "Refs[0] names digest"),
    ("truncated-layer", "truncated tar: entry"),
];

/// An `images.yml` whose aliases would expand to 10^9 strings ("billion
/// laughs").
pub fn alias_bomb_yml() -> String {
    let mut doc = String::from("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\n");
    doc.push_str(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names: Vec<char> = "abcdefghij".chars().collect();
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        doc.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    doc
}

/// A gzip stream that inflates to more than `min_len` zero bytes, from
/// about `min_len / 160` bytes: one fixed-Huffman deflate block of a
/// literal zero and back-references (length 258, distance 1), written bit
/// by bit (cheap to make, unlike compressing the zeros).
fn gzip_bomb(min_len: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        /// `len` bits of `v`, least significant first.
        fn put(&mut self, v: u64, len: u32) {
            self.acc |= v << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let mut rev = 0;
            for i in 0..len {
                rev |= ((code >> i) & 1) << (len - 1 - i);
            }
            self.put(rev, len);
        }
    }
    let matches = min_len / 258 + 1;
    let total = 1 + 258 * matches;
    let mut b = Bits {
        out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // BFINAL
    b.put(1, 2); // BTYPE = fixed Huffman
    b.code(0x30, 8); // literal 0
    for _ in 0..matches {
        b.code(0b1100_0101, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1
    }
    b.code(0, 7); // end of block
    if b.n > 0 {
        b.out.push(b.acc as u8);
    }
    let mut crc = flate2::Crc::new();
    let zeros = vec![0u8; 1 << 20];
    let mut left = total;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        crc.update(&zeros[..n]);
        left -= n as u64;
    }
    b.out.extend_from_slice(&crc.sum().to_le_bytes());
    b.out.extend_from_slice(&(total as u32).to_le_bytes());
    b.out
}

/// A one-bundle, one-image tar whose bundle is built from `files` (a
/// malformed bundle), the image listed in the bundle's images.yml.
fn tar_with_bundle_files(
    extra_images: bool,
    files: impl FnOnce(&str) -> Vec<(String, u32, Vec<u8>)>,
) -> SynthTar {
    let mut reg = SourceRegistry::new();
    let app = image(&ImageSpec::oci("app", 41, 1));
    let r = reg.push(&format!("{SOURCE_REGISTRY}/src/app"), app.clone());
    let b = bundle_from_files(&files(&r));
    let mut items = vec![TarItem {
        refs: format!("{SOURCE_REGISTRY}/src/bundle@{}", b.digest),
        orig_ref: format!("{SOURCE_REGISTRY}/src/bundle@{}", b.digest),
        artifact: Artifact::Image(b),
        tag: "v1".into(),
        root_bundle: true,
    }];
    if extra_images {
        items.push(TarItem {
            artifact: Artifact::Image(app),
            refs: r.clone(),
            tag: String::new(),
            orig_ref: r,
            root_bundle: false,
        });
    }
    SynthTar::new(items, ExportOptions::default())
}

/// [`tar_with_bundle_files`] of a bundle holding only an images.yml, its
/// text made from the image's digest reference.
fn tar_with_images_yml(text: impl FnOnce(&str) -> String) -> SynthTar {
    tar_with_bundle_files(true, |r| vec![file(".imgpkg/images.yml", text(r))])
}

fn bundle_tar_with(mutate: impl FnOnce(&mut SynthImage)) -> SynthTar {
    let mut reg = SourceRegistry::new();
    let app = image(&ImageSpec::oci("app", 42, 1));
    let r = reg.push(&format!("{SOURCE_REGISTRY}/src/app"), app.clone());
    let mut b = bundle(
        &[file("config/app.yml", "kind: ConfigMap\n")],
        &[LockEntry::kbld(&r, "app:v1")],
    );
    mutate(&mut b);
    let br = format!("{SOURCE_REGISTRY}/src/bundle@{}", b.digest);
    SynthTar::new(
        vec![
            TarItem {
                artifact: Artifact::Image(b),
                refs: br.clone(),
                tag: "v1".into(),
                orig_ref: br,
                root_bundle: true,
            },
            TarItem {
                artifact: Artifact::Image(app),
                refs: r.clone(),
                tag: String::new(),
                orig_ref: r,
                root_bundle: false,
            },
        ],
        ExportOptions::default(),
    )
}

/// A malformed tar by name (see [`BAD_ARCHIVES`]), as bytes. `None` for an
/// unknown name.
pub fn bad_archive(name: &str) -> Option<Vec<u8>> {
    let (_, _, good) = simple_bundle(7, "v1", ExportOptions::default());
    let first_image = |t: &SynthTar| -> Digest {
        t.manifest
            .iter()
            .filter_map(|i| i.image.as_ref())
            .find(|i| !i.is_root_bundle())
            .and_then(|i| Digest::parse(&i.manifest.digest).ok())
            .expect("an image")
    };
    let first_layer = |t: &SynthTar| -> Digest {
        let d = first_image(t);
        let img = t
            .manifest
            .iter()
            .filter_map(|i| i.image.as_ref())
            .find(|i| i.manifest.digest == d.to_string())
            .expect("image");
        Digest::parse(&img.layers()[0].digest).expect("digest")
    };
    let mut t = good.clone();
    match name {
        "missing-manifest-json" => t.omit_manifest_json = true,
        "invalid-json" => t.manifest_json_override = Some(b"[{\"Image\": {\"Refs\": [".to_vec()),
        "manifest-json-not-an-array" => {
            t.manifest_json_override = Some(b"{\"Image\":null}".to_vec())
        }
        "missing-layer" => {
            let l = first_layer(&t);
            t.remove_blob(&l);
        }
        "layer-wrong-bytes" => {
            let l = first_layer(&t);
            let len = t
                .blobs
                .iter()
                .find(|b| b.digest == l)
                .expect("blob")
                .data
                .len();
            t.set_blob(&l, BlobData::bytes(random::bytes(99, len as usize)));
        }
        "layer-wrong-size" => {
            let l = first_layer(&t);
            let mut data = t
                .blobs
                .iter()
                .find(|b| b.digest == l)
                .expect("blob")
                .data
                .to_vec();
            data.extend_from_slice(b"trailing");
            t.set_blob(&l, BlobData::bytes(data));
        }
        "manifest-raw-mismatch" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            img.manifest.raw =
                img.manifest
                    .raw
                    .replacen("schemaVersion\":2", "schemaVersion\":2 ", 1);
        }
        "config-raw-mismatch" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            img.config.raw = img.config.raw.replacen("amd64", "arm64", 1);
        }
        "manifest-layers-disagree" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            if let Some(layers) = img.layers.as_mut() {
                layers.swap(0, 1);
            }
        }
        "bundle-two-layers" => {
            t = bundle_tar_with(|b| {
                let l = b.layers[0].clone();
                let mut l2 = l.clone();
                let bytes = gzipped_tar("extra.txt", b"extra".to_vec()).0;
                l2.digest = Digest::of(&bytes);
                l2.data = BlobData::bytes(bytes);
                replace_layers(b, vec![l, l2]);
            })
        }
        "bundle-oci-layer" => {
            t = bundle_tar_with(|b| {
                let mut l = b.layers[0].clone();
                l.media_type = media_type::OCI_LAYER.into();
                replace_layers(b, vec![l]);
            })
        }
        "bundle-without-images-yml" => {
            t = tar_with_bundle_files(true, |_| vec![file("config/app.yml", "kind: ConfigMap\n")])
        }
        "images-yml-tag-reference" => {
            t = tar_with_images_yml(|_| {
                format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {SOURCE_REGISTRY}/src/app:v1\n")
            })
        }
        "images-yml-unknown-field" => {
            t = tar_with_images_yml(|r| {
                format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: ImagesLock\nimages:\n- image: {r}\n  another-key: x\n")
            })
        }
        "images-yml-wrong-kind" => {
            t = tar_with_images_yml(|r| {
                format!("apiVersion: imgpkg.carvel.dev/v1alpha1\nkind: BundleLock\nimages:\n- image: {r}\n")
            })
        }
        "bundle-image-not-in-tar" => {
            t = tar_with_bundle_files(false, |r| {
                vec![file(
                    ".imgpkg/images.yml",
                    images_yml(&[LockEntry::kbld(r, "app:v1")]),
                )]
            })
        }
        "images-yml-alias-bomb" => t = tar_with_images_yml(|_| alias_bomb_yml()),
        "bundle-layer-gzip-bomb" | "bundle-layer-not-gzip" => {
            let bytes = if name == "bundle-layer-gzip-bomb" {
                gzip_bomb(MAX_BUNDLE_LAYER + (64 << 20))
            } else {
                b"this is not gzip".to_vec()
            };
            t = bundle_tar_with(|b| {
                let mut l = b.layers[0].clone();
                l.digest = Digest::of(&bytes);
                l.data = BlobData::bytes(bytes);
                replace_layers(b, vec![l]);
            })
        }
        "index-child-missing" => {
            let (_, mut it) = plain_image(true, "v1", ExportOptions::default());
            let ix = it.manifest[0].image_index.as_mut().expect("index");
            if let Some(images) = ix.images.as_mut() {
                images.pop();
            }
            t = it;
        }
        "refs-not-a-digest" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            img.refs = Some(vec![format!("{SOURCE_REGISTRY}/src/app1:v1")]);
        }
        "refs-wrong-digest" => {
            let d = first_image(&t);
            let img = t.image_mut(&d).expect("image");
            img.refs = Some(vec![format!(
                "{SOURCE_REGISTRY}/src/app1@{}",
                Digest::of(b"other")
            )]);
        }
        "truncated-layer" => {
            let mut bytes = t.to_bytes();
            // Cut inside the last layer's data, before the end marker.
            let last = t.blobs.last().expect("blob").data.len();
            let cut = bytes.len()
                - tar::END_OF_ARCHIVE.len()
                - tar::padding(last) as usize
                - (last as usize / 2);
            bytes.truncate(cut);
            return Some(bytes);
        }
        _ => return None,
    }
    Some(t.to_bytes())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn gzip_bomb_is_valid_gzip() {
        let bomb = gzip_bomb(1 << 20);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bomb.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), 1 + 258 * ((1 << 20) / 258 + 1));
        assert!(out.iter().all(|&b| b == 0));
        assert!(bomb.len() < out.len() / 100);
    }
}
