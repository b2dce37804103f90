//! `airlock plan`: where every image of a tarball lands in a repository.

use std::fmt::Write as _;
use std::path::PathBuf;

use airlock_core::planner::{self, PlanOptions};
use airlock_core::reference::Repository;
use clap::Args;

use crate::derived::DerivedFlags;
use crate::docker_layers::{self, DockerLayers};
use crate::error::CliError;
use crate::output::emit;

#[derive(Args)]
pub struct PlanArgs {
    /// Tarball to plan from
    #[arg(long = "tar")]
    tar: PathBuf,
    /// Destination repository, e.g. registry.corp/apps/name
    #[arg(long = "to-repo")]
    to_repo: String,
    /// Upload tags derived from the source repository path
    #[arg(long = "repo-based-tags")]
    repo_based_tags: bool,
    /// Also copy non-distributable (foreign) layers
    #[arg(long = "include-non-distributable-layers")]
    include_non_distributable_layers: bool,
    /// How docker-archive layers are sent: tar (as they are, at their diff IDs) or gzip (compressed, deterministic; every layer is read to learn its digest)
    #[arg(long = "docker-layers", value_enum, default_value_t)]
    docker_layers: DockerLayers,
    /// Print the plan as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    derived: DerivedFlags,
}

pub fn run(a: &PlanArgs) -> Result<i32, CliError> {
    let (src, mut archive) = match crate::image_archive::open(&a.tar)? {
        crate::image_archive::Opened::Image(src, ia) => {
            // With gzip the digests are known only after compressing.
            let ia = match a.docker_layers {
                DockerLayers::Tar => *ia,
                DockerLayers::Gzip => docker_layers::prepare(a.docker_layers, &a.tar, &src, &ia)?,
            };
            return emit(&crate::image_archive::plan_text(&ia, &a.to_repo, a.json)?);
        }
        crate::image_archive::Opened::Imgpkg(src, archive) => (src, *archive),
    };
    if a.docker_layers != DockerLayers::Tar {
        return Err(CliError::Usage(
            "Flag --docker-layers gzip is for docker-archive tars; an imgpkg tar's layers are pushed as they are",
        ));
    }
    let repo = Repository::parse(&a.to_repo)?;
    if let Some(o) = crate::thin::omitted_of(&src, &archive, &a.tar)? {
        airlock_core::thin::resolve_all(&mut archive.set, &o, &repo);
    }
    let out = planner::plan(
        &archive.set,
        &repo,
        PlanOptions {
            repo_based_tags: a.repo_based_tags,
            include_non_distributable_layers: a.include_non_distributable_layers,
        },
    )?;
    a.derived
        .prepare(&archive.set, &out, &a.tar.display().to_string())?
        .write()?;
    let rows = out.rows();
    if a.json {
        let lock = out.lock_output.as_ref().ok().cloned();
        let v = serde_json::json!({
            "images": rows.iter().map(|r| serde_json::json!({
                "kind": r.kind.as_str(),
                "source": r.source,
                "destination": r.destination,
                "tags": r.tags,
            })).collect::<Vec<_>>(),
            "lock": lock,
            "bundles": out.bundles,
            "warnings": out.warnings,
        });
        let mut text = String::new();
        writeln!(text, "{}", serde_json::to_string_pretty(&v)?)?;
        return emit(&text);
    }
    let mut text = String::new();
    let w_kind = rows
        .iter()
        .map(|r| r.kind.as_str().len())
        .max()
        .unwrap_or(4)
        .max(4);
    let w_src = rows
        .iter()
        .map(|r| r.source.len())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        text,
        "{:w_kind$}  {:w_src$}  DESTINATION / TAGS",
        "KIND", "SOURCE"
    )?;
    for r in &rows {
        writeln!(
            text,
            "{:w_kind$}  {:w_src$}  {}",
            r.kind.as_str(),
            r.source,
            r.destination
        )?;
        for t in &r.tags {
            writeln!(text, "{:w_kind$}  {:w_src$}    tag {}", "", "", t)?;
        }
    }
    for w in &out.warnings {
        eprintln!("copy | {}", w.replace('\n', "\n       "));
    }
    match &out.lock_output {
        Ok(lock) => writeln!(text, "\n--lock-output would write:\n{lock}")?,
        Err(e) => writeln!(text, "\n--lock-output would fail: {e}")?,
    }
    emit(&text)
}
