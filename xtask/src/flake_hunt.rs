//! `cargo xtask flake-hunt`: runs the README's test command (`cargo test --workspace
//! --all-features`) many times with many test threads and as many times with one, and reports
//! which tests failed in which runs. A test that fails only with many threads, or only now and
//! then, needs a quiet, small machine: a bug (see TESTING.md).
//!
//! The suite is built once first, so each run only runs it. Every run's whole output is kept
//! in `target/flake-hunt/`, for the failures' panics and backtraces.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::cargo::outer_cargo;

/// What one run of the suite said.
#[derive(Debug, Default, PartialEq)]
pub struct RunReport {
    /// Tests that passed.
    pub passed: usize,
    /// `<target> <test>` of each failed test, or `<target> (the binary itself)` for a test
    /// binary that failed without naming a test (a crash, a signal).
    pub failed: Vec<String>,
}

/// Runs the suite `runs` times with `threads` test threads and `runs` times with one.
pub fn run(runs: usize, threads: usize) -> Result<()> {
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the workspace")?;
    let logs = root.join("target").join("flake-hunt");
    std::fs::create_dir_all(&logs)?;

    eprintln!("building the suite once: cargo test --workspace --all-features --no-run");
    let built = outer_cargo(&cargo, root)
        .args(["test", "--workspace", "--all-features", "--no-run"])
        .status()?;
    if !built.success() {
        bail!("the suite does not build");
    }

    let modes = [threads, 1];
    // test -> failures per mode
    let mut failures: BTreeMap<String, [usize; 2]> = BTreeMap::new();
    let mut failed_logs: Vec<PathBuf> = Vec::new();
    let mut tests_per_run = 0;
    for (mode, &threads) in modes.iter().enumerate() {
        for n in 1..=runs {
            let log = logs.join(format!("threads-{threads}-run-{n}.log"));
            let started = Instant::now();
            let succeeded = run_suite(&cargo, root, threads, &log)?;
            let text = std::fs::read_to_string(&log)?;
            let mut report = parse(&text);
            if !succeeded && report.failed.is_empty() {
                report.failed.push(
                    "(cargo failed before or between the test binaries; see the log)".to_owned(),
                );
            }
            eprintln!(
                "run {n}/{runs} with RUST_TEST_THREADS={threads}: {} passed, {} failed ({:.0} s)",
                report.passed,
                report.failed.len(),
                started.elapsed().as_secs_f64()
            );
            for test in &report.failed {
                eprintln!("    FAILED {test}");
                failures.entry(test.clone()).or_default()[mode] += 1;
            }
            if report.failed.is_empty() {
                tests_per_run = tests_per_run.max(report.passed);
            } else {
                failed_logs.push(log);
            }
        }
    }

    println!();
    if failures.is_empty() {
        println!(
            "flake hunt: no test failed in {runs} runs with RUST_TEST_THREADS={threads} and \
             {runs} with RUST_TEST_THREADS=1 ({tests_per_run} tests passed per run)"
        );
        return Ok(());
    }
    println!("flake hunt: failures per test ({runs} runs each)");
    println!("  {threads:>3} threads  1 thread  test");
    for (test, [many, one]) in &failures {
        println!("  {many:>11}  {one:>8}  {test}");
    }
    println!("logs of the failing runs:");
    for log in &failed_logs {
        println!("  {}", log.display());
    }
    bail!("{} test(s) failed at least once", failures.len());
}

/// One `cargo test --workspace --all-features --no-fail-fast`, stdout and stderr both into
/// `log` (one file, so each test line follows the `Running` line of its binary).
fn run_suite(cargo: &str, root: &Path, threads: usize, log: &Path) -> Result<bool> {
    let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let status = outer_cargo(cargo, root)
        .args(["test", "--workspace", "--all-features", "--no-fail-fast"])
        .env("RUST_TEST_THREADS", threads.to_string())
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .status()?;
    Ok(status.success())
}

/// Reads one run's output: cargo's `Running`/`Doc-tests` lines name the binary, libtest's
/// `test <name> ... <result>` lines the tests, and cargo's `error: test failed, to rerun pass
/// ...` lines the binaries that failed (a binary that failed with no failed test crashed).
pub fn parse(log: &str) -> RunReport {
    let mut report = RunReport::default();
    let mut target = String::from("?");
    let mut target_failed_tests = 0;
    // Between libtest's `failures:` and its `test result:` come the failed tests' captured
    // output, which may hold anything.
    let mut in_failures = false;
    for line in log.lines() {
        let trimmed = line.trim();
        if in_failures {
            in_failures = !trimmed.starts_with("test result: ");
        } else if trimmed == "failures:" {
            in_failures = true;
        } else if let Some(rest) = trimmed.strip_prefix("Running ") {
            target = target_name(rest);
            target_failed_tests = 0;
        } else if let Some(krate) = trimmed.strip_prefix("Doc-tests ") {
            target = format!("{krate} (doc-tests)");
            target_failed_tests = 0;
        } else if let Some(rest) = line.strip_prefix("test ") {
            if rest.ends_with(" ... ok") {
                report.passed += 1;
            } else if let Some(name) = rest.strip_suffix(" ... FAILED") {
                report.failed.push(format!("{target} {name}"));
                target_failed_tests += 1;
            }
        } else if trimmed.starts_with("error: test failed, to rerun pass")
            && target_failed_tests == 0
        {
            report.failed.push(format!("{target} (the binary itself)"));
        }
    }
    report
}

/// `tests/retries.rs (target/debug/deps/retries-58fe…)` → `retries`; `unittests src/lib.rs
/// (target/debug/deps/clerk_orgs-…)` → `clerk_orgs (unit tests)`.
fn target_name(running: &str) -> String {
    let binary = running
        .rsplit_once('(')
        .map(|(_, path)| path.trim_end_matches(')'))
        .and_then(|path| path.rsplit(['/', '\\']).next())
        .map(|file| {
            let file = file.strip_suffix(".exe").unwrap_or(file);
            file.rsplit_once('-').map_or(file, |(name, _hash)| name)
        })
        .unwrap_or(running);
    if running.starts_with("unittests ") {
        format!("{binary} (unit tests)")
    } else {
        binary.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
   Compiling xtask v0.1.0
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.5s
     Running unittests src/lib.rs (target/debug/deps/clerk_orgs-0a1b2c3d4e5f6071)

running 2 tests
test error::tests::accessors_agree ... ok
test policy::retry::tests::table ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

     Running tests/retries.rs (target/debug/deps/retries-58fed016c004337e)

running 3 tests
test a_429_is_retried ... ok
test every_retry_is_a_tracing_event ... FAILED
test slow_one ... ignored

failures:

---- every_retry_is_a_tracing_event stdout ----
test said something ... FAILED
assertion `left == right` failed

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out

error: test failed, to rerun pass `-p clerk-orgs --test retries`
     Running tests/crash.rs (target/debug/deps/crash-0123456789abcdef)

running 1 test
error: test failed, to rerun pass `-p clerk-orgs --test crash`

Caused by:
  process didn't exit successfully (signal: 6, SIGABRT: process abort signal)
   Doc-tests clerk_orgs

running 1 test
test clerk-orgs/src/lib.rs - (line 12) ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out
";

    #[test]
    fn failed_tests_and_crashed_binaries_are_named_by_their_binary() {
        let report = parse(LOG);
        assert_eq!(
            report,
            RunReport {
                passed: 4,
                failed: vec![
                    "retries every_retry_is_a_tracing_event".to_owned(),
                    "crash (the binary itself)".to_owned(),
                ],
            }
        );
    }

    #[test]
    fn a_clean_run_has_no_failures() {
        let clean: String = LOG
            .lines()
            .take_while(|line| !line.contains("tests/retries.rs"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(
            parse(&clean),
            RunReport {
                passed: 2,
                failed: Vec::new()
            }
        );
    }
}
