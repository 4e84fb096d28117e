//! A real `redis-server` for the tests, on a free loopback port, stopped when dropped. Included
//! by path by `tests/shared_budgets.rs`, and by clerk-orgs-cli's fleet tests and bench.
//!
//! Where `redis-server` is not installed the tests that need it print a loud message and skip;
//! under CI (`CI=true`) they fail instead, so CI never passes without having run them.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

/// A `redis-server` child process; killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true" || value == "1")
}

impl RedisServer {
    /// Starts one, or returns `None` (after saying so loudly) when `redis-server` is missing
    /// outside CI. Panics under CI when it is missing or does not start.
    pub fn start(test: &str) -> Option<Self> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            assert!(
                !under_ci(),
                "redis-server is not installed, and CI must run the Redis tests \
                 (.ci/run installs it with apt-get)"
            );
            eprintln!(
                "\n!!!!! SKIPPED {test}: redis-server is not installed \
                 (apt-get install -y redis-server); the shared-budget tests did not run !!!!!\n"
            );
            return None;
        }
        // Redis needs an explicit port: take a free one from the OS. Another process could
        // take it before the server binds it, so a server that exits at once is retried.
        let mut last_output = String::new();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .map(|addr| addr.port())
                .expect("a free loopback port");
            match spawn_on(port) {
                Ok(child) => {
                    return Some(Self {
                        child: Some(child),
                        port,
                    });
                }
                Err(line) => last_output = line,
            }
        }
        panic!("redis-server did not start; its last line: {last_output}");
    }

    /// Kills the server and starts a new, empty one on the same port: a Redis that restarted
    /// and lost its data.
    pub fn restart(&mut self) {
        self.stop();
        let child = spawn_on(self.port)
            .unwrap_or_else(|line| panic!("redis-server did not restart; its last line: {line}"));
        self.child = Some(child);
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A `redis-server` on `port`, once it says it is ready; else its last line.
fn spawn_on(port: u16) -> Result<Child, String> {
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .args(["--dir", env!("CARGO_TARGET_TMPDIR")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    // Ready when it says so on stdout (no polling, no sleeping); EOF means it exited.
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut last_output = String::new();
    let ready = lines.by_ref().map_while(Result::ok).any(|line| {
        last_output = line.clone();
        line.contains("Ready to accept connections")
    });
    if ready {
        // Keep draining its log so a full pipe never blocks the server.
        std::thread::spawn(move || lines.for_each(drop));
        return Ok(child);
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(last_output)
}
