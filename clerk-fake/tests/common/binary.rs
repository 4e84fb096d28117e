//! The standalone `clerk-fake` binary as a child process, killed when the test ends however it
//! ends, and its stdout read line by line as a script would.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

pub struct Binary {
    child: Child,
    lines: Option<Lines<BufReader<ChildStdout>>>,
    /// Every line read so far.
    pub banner: Vec<String>,
}

impl Binary {
    /// Starts `clerk-fake` with these arguments, stdout piped.
    pub fn spawn(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_clerk-fake"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("clerk-fake binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        Self {
            child,
            lines: Some(BufReader::new(stdout).lines()),
            banner: Vec::new(),
        }
    }

    /// Reads lines until one starts with `prefix` and returns the rest of it, trimmed. Panics
    /// with the lines read if the binary exits first.
    pub fn read_until(&mut self, prefix: &str) -> String {
        let lines = self.lines.as_mut().expect("stdout not drained yet");
        for line in lines.by_ref() {
            let line = line.expect("utf-8 output");
            self.banner.push(line.clone());
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.trim().to_owned();
            }
        }
        panic!("no {prefix:?} line in {:#?}", self.banner);
    }

    /// Keeps reading what the binary prints, in a thread, so it never writes to a closed pipe.
    pub fn drain(&mut self) {
        if let Some(lines) = self.lines.take() {
            std::thread::spawn(move || lines.for_each(drop));
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
