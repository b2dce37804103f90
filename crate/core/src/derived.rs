//! The documents a plan derives for its bundles, one entry per planned
//! bundle keyed by bundle digest: each bundle's configuration with its image
//! references relocated to the destination ([`kbld::relocated_config`]) and,
//! for a package-repository bundle, its kapp-controller `PackageRepository`
//! ([`kbld::package_repository`]). The page's `plan()` and the CLI's
//! `--kbld-output` / `--package-repository-output` both take them from here,
//! so the files hold the bytes of the page's downloads.

use std::collections::BTreeMap;

use crate::imageset::ImageSet;
use crate::kbld;
use crate::planner::PlanOutput;

/// The documents of one plan (see the module doc).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Derived {
    /// Bundle digest → configuration with relocated image references.
    pub kbld: BTreeMap<String, String>,
    /// Bundle digest → `PackageRepository`.
    pub package_repositories: BTreeMap<String, String>,
    /// Bundles whose configuration could not be rewritten, and why (the
    /// page shows them as warnings).
    pub kbld_errors: Vec<String>,
}

/// What `out` (planned from `set`) derives, bundle by bundle in plan order.
pub fn derive(set: &ImageSet, out: &PlanOutput) -> Derived {
    let repo = &out.plan.repository;
    let mut d = Derived::default();
    for b in &out.bundles {
        let Some(bundle) = set.bundles.values().find(|x| x.digest == b.digest) else {
            continue;
        };
        match kbld::relocated_config(bundle, repo) {
            Ok(Some(text)) => {
                d.kbld.insert(b.digest.to_string(), text);
            }
            Ok(None) => {}
            Err(e) => d.kbld_errors.push(format!(
                "bundle {}: config not rewritten for the destination: {e}",
                b.source
            )),
        }
        if kbld::is_package_repository(bundle) {
            let name = kbld::package_repository_name(&b.source);
            let document = kbld::package_repository(&name, repo, &b.digest);
            d.package_repositories
                .insert(b.digest.to_string(), document);
        }
    }
    d
}
