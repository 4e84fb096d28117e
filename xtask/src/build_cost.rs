//! `cargo xtask build-cost`: what depending on `clerk-orgs` costs a user's cold build, measured
//! side by side with the community crate `clerk-rs` in the same run.
//!
//! Each contender is a tiny app that creates one organization invitation. Both are built cold
//! (fresh target directory, sources already downloaded) with `cargo build --timings`; the per-unit
//! durations come from the timings report cargo writes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::spec_file;

/// One tiny app to build.
struct Contender {
    name: &'static str,
    /// Dependencies lines for its Cargo.toml; `{root}` is the workspace root.
    dependencies: &'static str,
    main_rs: &'static str,
    /// The crates that are "the client itself", to report their share.
    own_crates: &'static [&'static str],
}

const OURS: Contender = Contender {
    name: "clerk-orgs",
    dependencies: r#"clerk-orgs = { path = "{root}/clerk-orgs" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#,
    main_rs: r#"#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = clerk_orgs::Client::from_env()?;
    let invitation = client
        .organization("org_123")
        .invitations()
        .create("alice@example.com", clerk_orgs::Role::MEMBER)
        .send()
        .await?;
    println!("{}", invitation.id);
    Ok(())
}
"#,
    own_crates: &["clerk-orgs", "clerk-bapi-sys"],
};

const CLERK_RS: Contender = Contender {
    name: "clerk-rs",
    dependencies: r#"clerk-rs = "=0.5.0"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#,
    main_rs: r#"use clerk_rs::apis::organization_invitations_api;
use clerk_rs::ClerkConfiguration;
use clerk_rs::ClerkModels::CreateOrganizationInvitationRequest;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = ClerkConfiguration::new(std::env::var("CLERK_SECRET_KEY")?);
    let request = CreateOrganizationInvitationRequest::new(
        "alice@example.com".to_owned(),
        "org:member".to_owned(),
    );
    let invitation = organization_invitations_api::create_organization_invitation(
        &config,
        "org_123",
        Some(request),
    )
    .await
    .map_err(|err| format!("{err:?}"))?;
    println!("{:?}", invitation.id);
    Ok(())
}
"#,
    own_crates: &["clerk-rs"],
};

/// What one cold build cost.
struct Measurement {
    name: &'static str,
    wall_seconds: f64,
    units: usize,
    crates: usize,
    unit_seconds: f64,
    build_only_seconds: f64,
    build_only_crates: usize,
    own_seconds: f64,
    slowest: Vec<(String, f64)>,
}

pub fn run(skip_baseline: bool) -> Result<()> {
    let work = spec_file::workspace_root().join("target/build-cost");
    let mut results = vec![measure(&OURS, &work)?];
    if !skip_baseline {
        results.push(measure(&CLERK_RS, &work)?);
    }
    print_report(&results);
    Ok(())
}

fn measure(contender: &Contender, work: &Path) -> Result<Measurement> {
    let app = work.join(contender.name);
    let _ = std::fs::remove_dir_all(&app);
    std::fs::create_dir_all(app.join("src"))?;
    let root = spec_file::workspace_root();
    let manifest = format!(
        "[package]\nname = \"tiny-app\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\n{}\n",
        contender
            .dependencies
            .replace("{root}", &root.display().to_string())
    );
    std::fs::write(app.join("Cargo.toml"), manifest)?;
    std::fs::write(app.join("src/main.rs"), contender.main_rs)?;

    eprintln!("== {}: fetching sources (not timed)", contender.name);
    cargo(&app, &["fetch"])?;
    let build_only = build_only_crates(&app)?;

    eprintln!("== {}: cold debug build", contender.name);
    let started = Instant::now();
    cargo(&app, &["build", "--timings"])?;
    let wall_seconds = started.elapsed().as_secs_f64();

    let units = read_timings(&app.join("target/cargo-timings/cargo-timing.html"))?;
    let crate_of = |unit: &Value| unit["name"].as_str().unwrap_or_default().to_owned();
    let duration = |unit: &Value| unit["duration"].as_f64().unwrap_or(0.0);
    let crates: BTreeSet<String> = units.iter().map(crate_of).collect();
    let sum = |keep: &dyn Fn(&Value) -> bool| -> f64 {
        units.iter().filter(|u| keep(u)).map(duration).sum()
    };
    let mut slowest: Vec<(String, f64)> = units
        .iter()
        .map(|u| {
            let target = u["target"].as_str().unwrap_or_default().trim().to_owned();
            let label = if target.is_empty() {
                crate_of(u)
            } else {
                format!("{} ({target})", crate_of(u))
            };
            (label, duration(u))
        })
        .collect();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    slowest.truncate(6);

    Ok(Measurement {
        name: contender.name,
        wall_seconds,
        units: units.len(),
        crates: crates.len(),
        unit_seconds: sum(&|_| true),
        build_only_seconds: sum(&|u| build_only.contains(&crate_of(u))),
        build_only_crates: crates.iter().filter(|c| build_only.contains(*c)).count(),
        own_seconds: sum(&|u| contender.own_crates.contains(&crate_of(u).as_str())),
        slowest,
    })
}

/// Crates that are compiled only because some build script needs them.
fn build_only_crates(app: &Path) -> Result<BTreeSet<String>> {
    let tree = |edges: &str| -> Result<BTreeSet<String>> {
        let output = Command::new(cargo_bin())
            .args(["tree", "--prefix", "none", "-f", "{p}", "-e", edges])
            .current_dir(app)
            .output()?;
        if !output.status.success() {
            bail!(
                "cargo tree failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .map(str::to_owned)
            .collect())
    };
    let normal = tree("normal")?;
    let all = tree("normal,build")?;
    Ok(all.difference(&normal).cloned().collect())
}

/// The per-unit data cargo embeds in its timings page as `const UNIT_DATA = [...];`.
fn read_timings(path: &Path) -> Result<Vec<Value>> {
    let html =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let start = html
        .find("const UNIT_DATA = ")
        .context("no UNIT_DATA in the timings report")?
        + "const UNIT_DATA = ".len();
    let end = start
        + html[start..]
            .find("];")
            .context("UNIT_DATA is not closed")?
        + 1;
    Ok(serde_json::from_str(&html[start..end])?)
}

fn print_report(results: &[Measurement]) {
    println!(
        "| | {} |",
        results
            .iter()
            .map(|r| format!("`{}`", r.name))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---:|".repeat(results.len()));
    let row = |label: &str, cell: &dyn Fn(&Measurement) -> String| {
        println!(
            "| {label} | {} |",
            results.iter().map(cell).collect::<Vec<_>>().join(" | ")
        );
    };
    row("cold debug build, wall time", &|r| {
        format!("{:.1} s", r.wall_seconds)
    });
    row("crates compiled", &|r| r.crates.to_string());
    row("compilation units", &|r| r.units.to_string());
    row("sum of unit times (both cores)", &|r| {
        format!("{:.1} s", r.unit_seconds)
    });
    row("build-dependency-only crates: count, unit time", &|r| {
        format!(
            "{}, {:.1} s ({:.0}%)",
            r.build_only_crates,
            r.build_only_seconds,
            100.0 * r.build_only_seconds / r.unit_seconds
        )
    });
    row("the client's own crates, unit time", &|r| {
        format!(
            "{:.1} s ({:.0}%)",
            r.own_seconds,
            100.0 * r.own_seconds / r.unit_seconds
        )
    });
    row("slowest units", &|r| {
        r.slowest
            .iter()
            .map(|(name, s)| format!("{name} {s:.1} s"))
            .collect::<Vec<_>>()
            .join("<br>")
    });
    if let [ours, baseline, ..] = results {
        println!(
            "\nwall-time ratio {} / {} = {:.2}",
            ours.name,
            baseline.name,
            ours.wall_seconds / baseline.wall_seconds
        );
    }
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| "cargo".into())
}

fn cargo(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new(cargo_bin())
        .args(args)
        .current_dir(dir)
        // A cold build means no sharing with the workspace's target directory.
        .env_remove("CARGO_TARGET_DIR")
        .status()?;
    if !status.success() {
        bail!("cargo {} failed in {}", args.join(" "), dir.display());
    }
    Ok(())
}
