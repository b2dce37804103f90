//! What commands write: stdout (a closed pipe is fine), imgpkg's
//! `copy | ` warnings, lock files.

use std::path::Path;

use airlock_core::planner::PlanOutput;

use crate::error::CliError;

/// Writes a command's output to stdout. A closed pipe (`airlock inspect X |
/// head`) is not an error.
pub fn emit(text: &str) -> Result<i32, CliError> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(CliError::Stdout(e)),
    }
}

/// `airlock verify`'s failure: each problem on stdout, then the count on
/// stderr. Returns the exit code (1).
pub fn report_problems(path: &Path, problems: &[impl std::fmt::Display]) -> i32 {
    for p in problems {
        println!("{p}");
    }
    eprintln!(
        "airlock: Error: {} problem(s) found in {}",
        problems.len(),
        path.display()
    );
    1
}

/// Prints imgpkg's warnings with its `copy | ` prefix.
pub fn print_warnings(out: &PlanOutput) {
    print_warnings_list(&out.warnings);
}

pub fn print_warnings_list(warnings: &[String]) {
    for w in warnings {
        eprintln!("copy | {}", w.replace('\n', "\n       "));
    }
}

/// Writes a lock file as imgpkg does (mode 0600).
pub fn write_lock(path: &Path, contents: &str) -> Result<(), CliError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    opts.open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(|source| CliError::WriteLock {
            path: path.display().to_string(),
            source,
        })
}
