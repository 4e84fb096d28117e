//! The command lines of the workspace README and of this crate's README (which is also the
//! crate's docs), run as written against clerk-fake.
//!
//! - ```console blocks: each `$ clerk-orgs ...` line runs against the embedded fake (no key), and
//!   the lines after it, up to the next `$`, must be its stdout exactly. It must exit 0, or with
//!   the code its trailing comment names (`# ... exit code 1`).
//! - ```sh blocks: each `clerk-orgs ...` or `cargo run -p clerk-orgs-cli -- ...` line runs and
//!   must exit 0. A block that exports `CLERK_SECRET_KEY` runs against a fake in this process,
//!   seeded as the standalone `cargo run -p clerk-fake` seeds it, with the placeholders `org_...`
//!   and `user_...` standing for its `org_demo` and `user_admin`; otherwise the embedded fake.
//!   A line that needs a shell (a loop, `&`, `$VAR`) cannot run here: it must be in
//!   [`NOT_RUN`], with the reason.
//! - Commands run in a scratch directory holding the README's ```csv blocks: the first unnamed
//!   one as `people.csv`, one fenced as ```csv roster.csv as `roster.csv`. Files a command writes
//!   there (`--plan-file plan.json`) are there for the commands after it.
//! - ```json blocks of this crate's README are lines of `clerk-orgs members list --json`.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use clerk_fake::FakeClerk;
use support::{command, describe, text};

/// Invocations the READMEs show but this test cannot run as written, and why.
const NOT_RUN: &[(&str, &str)] = &[(
    "--csv part$part.csv &",
    "a shell loop of background processes against a standalone fake and Redis; \
     tests/fleet.rs runs that fleet",
)];

fn readme(which: Readme) -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = match which {
        Readme::Workspace => manifest.join("../README.md"),
        Readme::Crate => manifest.join("README.md"),
    };
    std::fs::read_to_string(path).expect("the README is readable")
}

#[derive(Debug, Clone, Copy)]
enum Readme {
    Workspace,
    Crate,
}

/// A fenced block: its language and its lines (a fence indented inside a list item has that
/// indentation taken off its lines).
struct Block {
    lang: String,
    lines: Vec<String>,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let Some(lang) = trimmed.strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - trimmed.len();
        let mut body = Vec::new();
        for line in lines.by_ref() {
            if line.trim_start().starts_with("```") {
                break;
            }
            body.push(line.get(indent..).unwrap_or(line.trim_start()).to_owned());
        }
        blocks.push(Block {
            lang: lang.trim().to_owned(),
            lines: body,
        });
    }
    blocks
}

/// The words of a command line as a POSIX shell splits them (quotes and backslashes; no
/// expansions), and its trailing comment; `None` if it needs more of a shell than that.
fn shell_words(line: &str) -> Option<(Vec<String>, String)> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => w.push(chars.next()?),
                        '$' | '`' => return None,
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            '#' if word.is_none() => {
                let comment: String = chars.collect();
                return Some((words, comment.trim().to_owned()));
            }
            '$' | '`' | '&' | '|' | ';' | '<' | '>' | '(' | ')' | '*' | '?' => return None,
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some((words, String::new()))
}

/// The arguments of a `clerk-orgs ...` or `cargo run -p clerk-orgs-cli [...] -- ...` command.
fn cli_args(words: &[String]) -> Option<Vec<String>> {
    match words {
        [first, rest @ ..] if first == "clerk-orgs" => Some(rest.to_vec()),
        [cargo, run, rest @ ..] if cargo == "cargo" && run == "run" => {
            let package = rest
                .windows(2)
                .any(|w| w[0] == "-p" && w[1] == "clerk-orgs-cli");
            let dashes = rest.iter().position(|w| w == "--")?;
            package.then(|| rest[dashes + 1..].to_vec())
        }
        _ => None,
    }
}

/// Whether a line that is no plain invocation still runs the CLI (in a loop, say): the package
/// given to cargo, or `clerk-orgs` as a command (not the library package, `-p clerk-orgs`).
fn mentions_the_cli(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    line.contains("-p clerk-orgs-cli")
        || words
            .iter()
            .enumerate()
            .any(|(i, w)| *w == "clerk-orgs" && (i == 0 || words[i - 1] != "-p"))
}

/// A scratch directory per README, holding its ```csv blocks: one fenced as ```csv FILE as
/// FILE (` ```csv roster.csv`; renderers read the first word as the language), the first
/// unnamed one as `people.csv`.
fn workdir(which: Readme, blocks: &[Block]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("readme_{which:?}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut people = false;
    for block in blocks {
        let mut words = block.lang.split_whitespace();
        if words.next() != Some("csv") {
            continue;
        }
        let name = match words.next() {
            Some(name) => name,
            None if !people => {
                people = true;
                "people.csv"
            }
            None => continue,
        };
        assert!(
            !name.contains('/') && !name.contains(".."),
            "a csv block names a file of the scratch directory: {name}"
        );
        // Written aside and renamed into place: tests sharing the directory never see a
        // half-written file.
        static WRITES: AtomicUsize = AtomicUsize::new(0);
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
        let aside = dir.join(format!(".{name}.{}.{n}", std::process::id()));
        std::fs::write(&aside, block.lines.join("\n") + "\n").unwrap();
        std::fs::rename(&aside, dir.join(name)).unwrap();
    }
    dir
}

/// Runs the CLI with `args` in `dir`, with `env`, and checks its exit code.
fn run_checked(
    dir: &Path,
    args: &[String],
    env: &[(String, String)],
    expected_exit: i32,
    line: &str,
) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let output = command(&args, &env)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    assert_eq!(
        output.status.code(),
        Some(expected_exit),
        "README command `{line}`:\n{}",
        describe(&output)
    );
    text(&output.stdout)
}

/// `exit code N` in a command's trailing comment, else 0.
fn expected_exit(comment: &str) -> i32 {
    comment
        .split("exit code ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map_or(0, |code| code.parse().expect("an exit code"))
}

/// Runs every command line of one README; returns how many ran.
async fn run_readme(which: Readme) -> usize {
    let markdown = readme(which);
    let blocks = blocks(&markdown);
    let dir = workdir(which, &blocks);
    let mut ran = 0;
    for block in &blocks {
        match block.lang.as_str() {
            "console" => ran += run_console(&dir, block).await,
            "sh" => ran += run_sh(&dir, block).await,
            _ => {}
        }
    }
    ran
}

async fn run_console(dir: &Path, block: &Block) -> usize {
    let mut ran = 0;
    let mut lines = block.lines.iter().peekable();
    while let Some(line) = lines.next() {
        let command_line = line
            .strip_prefix("$ ")
            .unwrap_or_else(|| panic!("a console block starts with `$ `: {line}"));
        let mut expected = Vec::new();
        while let Some(next) = lines.next_if(|next| !next.starts_with("$ ")) {
            expected.push(next.trim_end());
        }
        let (words, comment) = shell_words(command_line).expect("a plain command line");
        let args = cli_args(&words).unwrap_or_else(|| panic!("not the CLI: {command_line}"));
        let (dir, line) = (dir.to_owned(), command_line.to_owned());
        let stdout = tokio::task::spawn_blocking(move || {
            run_checked(&dir, &args, &[], expected_exit(&comment), &line)
        })
        .await
        .unwrap();
        let got: Vec<&str> = stdout.lines().map(str::trim_end).collect();
        assert_eq!(
            got, expected,
            "README command `{command_line}` printed otherwise"
        );
        ran += 1;
    }
    ran
}

async fn run_sh(dir: &Path, block: &Block) -> usize {
    // Continuation lines joined.
    let mut lines: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in &block.lines {
        match line.strip_suffix('\\') {
            Some(start) => pending.push_str(start),
            None => {
                pending.push_str(line);
                lines.push(std::mem::take(&mut pending));
            }
        }
    }
    let with_key = lines
        .iter()
        .any(|line| line.trim_start().starts_with("export CLERK_SECRET_KEY="));
    // Against Clerk: a fake in this process, seeded as the standalone binary seeds it.
    let fake = if with_key {
        let fake = FakeClerk::start().await;
        fake.seed_demo();
        Some(fake)
    } else {
        None
    };
    let env: Vec<(String, String)> = fake.as_ref().map_or_else(Vec::new, support::key_env);
    let mut ran = 0;
    for line in &lines {
        let invocation = shell_words(line).and_then(|(words, comment)| {
            let words: Vec<String> = words
                .into_iter()
                .map(|w| {
                    w.replace("org_...", "org_demo")
                        .replace("user_...", "user_admin")
                })
                .collect();
            Some((cli_args(&words)?, comment))
        });
        let Some((args, comment)) = invocation else {
            if mentions_the_cli(line) {
                let listed = NOT_RUN.iter().any(|(part, _)| line.contains(part));
                assert!(
                    listed,
                    "a README command this test cannot run: `{line}` (add it to NOT_RUN, with why)"
                );
            }
            continue;
        };
        let (dir, env, line) = (dir.to_owned(), env.clone(), line.clone());
        tokio::task::spawn_blocking(move || {
            run_checked(&dir, &args, &env, expected_exit(&comment), &line)
        })
        .await
        .unwrap();
        ran += 1;
    }
    ran
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_readme_commands_run_as_written() {
    let ran = run_readme(Readme::Workspace).await;
    assert!(ran >= 13, "only {ran} commands of the workspace README ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_crates_readme_commands_run_as_written() {
    let ran = run_readme(Readme::Crate).await;
    assert!(ran >= 12, "only {ran} commands of the crate README ran");
}

#[test]
fn the_first_command_of_the_readme_is_one_line_that_invites_into_the_fake() {
    let markdown = readme(Readme::Workspace);
    let quickstart = &markdown[markdown.find("## Quickstart").expect("a Quickstart")..];
    let block = &blocks(quickstart)[0];
    assert_eq!(block.lang, "sh");
    let first = &block.lines[0];
    assert!(!first.ends_with('\\'), "one line: {first}");
    let (words, _) = shell_words(first).expect("a plain command");
    let args = cli_args(&words).expect("the first command runs the CLI");
    assert_eq!(args[0], "invite", "{first}");
    assert_eq!(block.lines[1], "cargo test --workspace --all-features");

    let dir = workdir(Readme::Workspace, &blocks(&markdown));
    let stdout = run_checked(&dir, &args, &[], 0, first);
    assert_eq!(support::rows_with(&stdout, "invited").len(), 2, "{stdout}");
}

#[test]
fn the_json_in_the_crate_readme_is_what_members_list_prints() {
    let output = command(&["members", "list", "--json"], &[])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = text(&output.stdout);
    let printed: Vec<&str> = stdout.lines().map(|l| l.trim_end_matches(',')).collect();
    let json: Vec<Block> = blocks(&readme(Readme::Crate))
        .into_iter()
        .filter(|b| b.lang == "json")
        .collect();
    assert!(!json.is_empty());
    for block in json {
        for line in block.lines {
            assert!(
                printed.contains(&line.as_str()),
                "not printed by members list --json: {line}"
            );
        }
    }
}

#[test]
fn the_shell_words_are_split_as_a_shell_would() {
    let words = shell_words;
    assert_eq!(
        words(r#"clerk-orgs invite 'a b' "c d" e\ f   # exit code 1"#),
        Some((
            vec![
                "clerk-orgs".into(),
                "invite".into(),
                "a b".into(),
                "c d".into(),
                "e f".into()
            ],
            "exit code 1".into()
        ))
    );
    assert_eq!(
        words("for part in 1 2; do x --csv part$part.csv & done"),
        None
    );
    assert_eq!(words("a | b"), None);
    assert_eq!(expected_exit("refused on stderr: exit code 1"), 1);
    assert_eq!(expected_exit(""), 0);
    let args = |line: &str| cli_args(&shell_words(line).unwrap().0);
    assert_eq!(
        args("cargo run -p clerk-orgs-cli -- invite a@example.com"),
        Some(vec!["invite".into(), "a@example.com".into()])
    );
    assert_eq!(args("cargo run -p clerk-fake -- --port 0"), None);
    assert_eq!(args("cargo test --workspace"), None);
    assert!(mentions_the_cli(
        "for x in 1; do clerk-orgs invite $x; done"
    ));
    assert!(mentions_the_cli(
        "A=1 cargo run -p clerk-orgs-cli -- invite a &"
    ));
    assert!(!mentions_the_cli(
        "cargo run -p clerk-orgs --example webhooks"
    ));
}
