//! Reading a [`TestRegistry`] back with admin credentials, and checking
//! that a plan landed.

use airlock_core::digest::Digest;
use airlock_core::plan::{BlobSource, PlannedManifest, RelocationPlan};

use super::{Auth, TestRegistry, PASSWORD, USER};

impl TestRegistry {
    /// The token issuer's request log: (user, scopes, status) per request.
    pub fn issuer_requests(&self) -> Vec<(String, Vec<String>, u16)> {
        let text = std::fs::read_to_string(self.dir.path().join("issuer.log")).unwrap_or_default();
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["user"].as_str().unwrap_or("").to_string(),
                    v["scopes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_string())
                        .collect(),
                    v["status"].as_u64().unwrap() as u16,
                )
            })
            .collect()
    }

    /// A bearer or basic `Authorization` value for verification requests.
    pub fn admin_auth(&self, scope: &str) -> Option<String> {
        use base64::Engine as _;
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
        );
        match self.auth {
            Auth::None => None,
            Auth::Basic => Some(basic),
            Auth::Token => {
                let url = format!(
                    "http://127.0.0.1:{}/token?service=airlock-test-registry&scope={}",
                    self.issuer_port.unwrap(),
                    scope
                );
                let mut r = ureq::get(&url)
                    .header("Authorization", &basic)
                    .call()
                    .unwrap();
                let v: serde_json::Value =
                    serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
                Some(format!("Bearer {}", v["token"].as_str().unwrap()))
            }
        }
    }

    /// GET a path with admin credentials; (status, headers, body).
    pub fn get(&self, path: &str, accept: Option<&str>) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let repo_scope = path
            .strip_prefix("/v2/")
            .and_then(|p| p.split("/manifests/").next())
            .map(|p| {
                p.split("/blobs/")
                    .next()
                    .unwrap()
                    .split("/tags/")
                    .next()
                    .unwrap()
                    .to_string()
            })
            .map(|r| format!("repository:{r}:pull"))
            .unwrap_or_default();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut req = agent.get(&format!("http://{}{path}", self.host()));
        if let Some(a) = self.admin_auth(&repo_scope) {
            req = req.header("Authorization", &a);
        }
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        let mut r = req.call().unwrap();
        let status = r.status().as_u16();
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap();
        (status, headers, body)
    }

    pub fn manifest(&self, repo: &str, reference: &str) -> Option<Vec<u8>> {
        let (s, _, b) = self.get(
            &format!("/v2/{repo}/manifests/{reference}"),
            Some(airlock_core::manifest::media_type::ACCEPT_MANIFESTS),
        );
        (s == 200).then_some(b)
    }

    pub fn blob(&self, repo: &str, digest: &Digest) -> Option<Vec<u8>> {
        let (s, _, b) = self.get(&format!("/v2/{repo}/blobs/{digest}"), None);
        (s == 200).then_some(b)
    }

    pub fn tags(&self, repo: &str) -> Vec<String> {
        let (s, _, b) = self.get(&format!("/v2/{repo}/tags/list"), None);
        if s != 200 {
            return Vec::new();
        }
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        v["tags"]
            .as_array()
            .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }

    /// Every tag of `repo` points at a manifest whose blobs and children
    /// (recursively) are all fetchable and match their digests.
    pub fn assert_tags_complete(&self, repo: &str) -> usize {
        let tags = self.tags(repo);
        for t in &tags {
            let raw = self
                .manifest(repo, t)
                .unwrap_or_else(|| panic!("tag {t} listed but its manifest is missing"));
            self.assert_manifest_complete(repo, &raw, t);
        }
        tags.len()
    }

    fn assert_manifest_complete(&self, repo: &str, raw: &[u8], what: &str) {
        let m = airlock_core::manifest::Manifest::parse(raw.to_vec(), None).unwrap();
        match m {
            airlock_core::manifest::Manifest::Image(img) => {
                for d in std::iter::once(&img.config).chain(&img.layers) {
                    let b = self
                        .blob(repo, &d.digest)
                        .unwrap_or_else(|| panic!("{what}: blob {} missing", d.digest));
                    assert_eq!(Digest::of(&b), d.digest, "{what}: blob content");
                }
            }
            airlock_core::manifest::Manifest::Index(idx) => {
                for c in &idx.manifests {
                    let raw = self
                        .manifest(repo, &c.digest.to_string())
                        .unwrap_or_else(|| panic!("{what}: child {} missing", c.digest));
                    assert_eq!(Digest::of(&raw), c.digest);
                    self.assert_manifest_complete(repo, &raw, what);
                }
            }
        }
    }
}

/// Asserts every manifest of the plan is in the registry byte for byte,
/// upload tags and final tags included.
pub fn assert_plan_present(reg: &TestRegistry, plan: &RelocationPlan) {
    let repo = plan.repository.path();
    fn walk(reg: &TestRegistry, repo: &str, m: &PlannedManifest) {
        assert_eq!(
            reg.manifest(repo, &m.digest.to_string()).as_deref(),
            Some(m.raw.as_slice()),
            "manifest {}",
            m.digest
        );
        for b in &m.blobs {
            if b.source != BlobSource::Skip {
                assert!(reg.blob(repo, &b.digest).is_some(), "blob {}", b.digest);
            }
        }
        for c in &m.children {
            walk(reg, repo, c);
        }
    }
    for it in plan.items.iter().chain(&plan.locations) {
        walk(reg, &repo, &it.manifest);
        for t in &it.tags {
            assert_eq!(
                reg.manifest(&repo, t).as_deref(),
                Some(it.manifest.raw.as_slice()),
                "tag {t}"
            );
        }
    }
    for t in &plan.tags {
        assert_eq!(
            reg.manifest(&repo, &t.tag).as_deref(),
            Some(t.raw.as_slice()),
            "tag {}",
            t.tag
        );
    }
}
