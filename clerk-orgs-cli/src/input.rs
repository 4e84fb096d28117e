//! People from the command line and CSV files, each remembering where it came from so every
//! problem points at its argument or line. The CSV shape (`email`, `role`, `public.<key>`,
//! `private.<key>`) is the one `invite --csv` reads; a roster for `sync` has the same shape.
//!
//! Nothing here talks to Clerk: this is the "checked before anything is sent" half of a run,
//! apart from the library's own validation, which each subcommand runs on what this returns.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

/// Where a person came from, to point at it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The n-th person argument, from 1.
    Arg(usize),
    /// A line of the CSV file, from 1 (the header).
    Line(u64),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Arg(n) => write!(f, "arg {n}"),
            Source::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// One person: an address, a role, and metadata from the CSV's `public.` and `private.` columns.
#[derive(Debug, Clone)]
pub struct Person {
    pub source: Source,
    pub email: String,
    pub role: String,
    pub public_metadata: Map<String, Value>,
    pub private_metadata: Map<String, Value>,
}

impl Person {
    fn new(source: Source, email: String, role: String) -> Self {
        Self {
            source,
            email,
            role,
            public_metadata: Map::new(),
            private_metadata: Map::new(),
        }
    }
}

/// Something wrong with the input, at a place in it (or with the run as a whole).
#[derive(Debug)]
pub struct Problem {
    pub source: Option<Source>,
    pub message: String,
}

impl Problem {
    pub fn new(source: Option<Source>, message: impl Into<String>) -> Self {
        Self {
            source,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            Some(source) => write!(f, "{source}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Problems in input order: the run's own first, then arguments, then CSV lines.
pub fn sort_problems(problems: &mut [Problem]) {
    problems.sort_by_key(|p| match p.source {
        None => (0, 0),
        Some(Source::Arg(n)) => (1, n as u64),
        Some(Source::Line(n)) => (2, n),
    });
}

/// `org:admin` for `admin`; role keys with a colon as given.
pub fn full_role(role: &str) -> String {
    if role.is_empty() || role.contains(':') {
        role.to_owned()
    } else {
        format!("org:{role}")
    }
}

/// People given as `EMAIL` or `EMAIL:ROLE` arguments, numbered from 1.
pub fn read_args(
    raw_people: &[String],
    default_role: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Person> {
    let mut people = Vec::with_capacity(raw_people.len());
    for (n, raw) in raw_people.iter().enumerate() {
        let source = Source::Arg(n + 1);
        match parse_arg(raw, default_role) {
            Ok((email, role)) => people.push(Person::new(source, email, role)),
            Err(message) => problems.push(Problem::new(Some(source), message)),
        }
    }
    people
}

/// `EMAIL` or `EMAIL:ROLE`; the role is everything after the first colon (`org:admin`).
fn parse_arg(raw: &str, default_role: &str) -> Result<(String, String), String> {
    let raw = raw.trim();
    match raw.split_once(':') {
        None => Ok((raw.to_owned(), default_role.to_owned())),
        Some((email, role)) if !role.trim().is_empty() => {
            Ok((email.trim().to_owned(), full_role(role.trim())))
        }
        Some(_) => Err(format!(
            "`{raw}` has an empty role after `:` (write EMAIL or EMAIL:ROLE)"
        )),
    }
}

/// What a CSV column means.
enum Column {
    Email,
    Role,
    Public(String),
    Private(String),
}

/// The people of a CSV file: a header naming the columns, then one person per line. Every bad
/// line is reported (with its number) and the good ones are still returned, so one run shows
/// every problem of the file.
pub fn read_csv(path: &Path, default_role: &str, problems: &mut Vec<Problem>) -> Vec<Person> {
    let mut people = Vec::new();
    let mut reader = match csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
    {
        Ok(reader) => reader,
        Err(e) => {
            problems.push(Problem::new(
                None,
                format!("cannot read {}: {e}", path.display()),
            ));
            return people;
        }
    };
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(e) => {
            problems.push(Problem::new(
                Some(Source::Line(1)),
                format!("bad header: {e}"),
            ));
            return people;
        }
    };
    let mut columns = Vec::with_capacity(header.len());
    for name in &header {
        let column = match name {
            "email" | "email_address" => Column::Email,
            "role" => Column::Role,
            _ => match (name.strip_prefix("public."), name.strip_prefix("private.")) {
                (Some(key), _) if !key.is_empty() => Column::Public(key.to_owned()),
                (_, Some(key)) if !key.is_empty() => Column::Private(key.to_owned()),
                _ => {
                    problems.push(Problem::new(
                        Some(Source::Line(1)),
                        format!(
                            "unknown column `{name}` (expected email, role, public.<key> or \
                             private.<key>)"
                        ),
                    ));
                    return people;
                }
            },
        };
        columns.push(column);
    }
    if !columns.iter().any(|c| matches!(c, Column::Email)) {
        problems.push(Problem::new(
            Some(Source::Line(1)),
            "the header has no `email` column",
        ));
        return people;
    }

    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| Source::Line(p.line()));
                if line.is_none() {
                    // An I/O error: nothing after it can be trusted.
                    problems.push(Problem::new(
                        None,
                        format!("cannot read {}: {e}", path.display()),
                    ));
                    return people;
                }
                problems.push(Problem::new(line, csv_error_message(&e)));
                continue;
            }
        };
        let source = Source::Line(record.position().map_or(0, csv::Position::line));
        let mut person = Person::new(source, String::new(), default_role.to_owned());
        for (column, cell) in columns.iter().zip(record.iter()) {
            match column {
                Column::Email => person.email = cell.to_owned(),
                Column::Role if !cell.is_empty() => person.role = full_role(cell),
                Column::Role => {}
                Column::Public(key) if !cell.is_empty() => {
                    person.public_metadata.insert(key.clone(), cell.into());
                }
                Column::Private(key) if !cell.is_empty() => {
                    person.private_metadata.insert(key.clone(), cell.into());
                }
                Column::Public(_) | Column::Private(_) => {}
            }
        }
        if person.email.is_empty() {
            problems.push(Problem::new(Some(source), "the email cell is empty"));
            continue;
        }
        people.push(person);
    }
    people
}

fn csv_error_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} field(s), the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
        _ => error.to_string(),
    }
}

/// The same address twice would be refused by Clerk; say where both are.
pub fn repeated_emails(people: &[Person]) -> Vec<Problem> {
    let mut first: HashMap<String, Source> = HashMap::new();
    let mut problems = Vec::new();
    for person in people {
        let key = person.email.to_lowercase();
        match first.get(&key) {
            Some(earlier) => problems.push(Problem::new(
                Some(person.source),
                format!("{} is already listed at {earlier}", person.email),
            )),
            None => {
                first.insert(key, person.source);
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_without_a_colon_gets_the_org_prefix() {
        assert_eq!(full_role("admin"), "org:admin");
        assert_eq!(full_role("org:billing"), "org:billing");
        assert_eq!(full_role("custom:thing"), "custom:thing");
        assert_eq!(full_role(""), "");
    }

    #[test]
    fn arguments_are_email_or_email_colon_role() {
        let mut problems = Vec::new();
        let people = read_args(
            &[
                "a@example.com".into(),
                " b@example.com:admin ".into(),
                "c@example.com:org:billing".into(),
                "d@example.com:".into(),
            ],
            "org:member",
            &mut problems,
        );
        let got: Vec<(&str, &str, Source)> = people
            .iter()
            .map(|p| (p.email.as_str(), p.role.as_str(), p.source))
            .collect();
        assert_eq!(
            got,
            [
                ("a@example.com", "org:member", Source::Arg(1)),
                ("b@example.com", "org:admin", Source::Arg(2)),
                ("c@example.com", "org:billing", Source::Arg(3)),
            ]
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "arg 4: `d@example.com:` has an empty role after `:` (write EMAIL or EMAIL:ROLE)"
        );
    }

    #[test]
    fn repeats_are_found_whatever_the_case() {
        let person =
            |n, email: &str| Person::new(Source::Line(n), email.into(), "org:member".into());
        let problems = repeated_emails(&[
            person(2, "a@example.com"),
            person(3, "b@example.com"),
            person(4, "A@Example.com"),
        ]);
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            ["line 4: A@Example.com is already listed at line 2"]
        );
    }

    #[test]
    fn problems_sort_run_wide_first_then_arguments_then_lines() {
        let mut problems = vec![
            Problem::new(Some(Source::Line(3)), "c"),
            Problem::new(Some(Source::Arg(2)), "b"),
            Problem::new(None, "a"),
            Problem::new(Some(Source::Line(2)), "d"),
        ];
        sort_problems(&mut problems);
        let order: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(order, ["a", "b", "d", "c"]);
    }
}
