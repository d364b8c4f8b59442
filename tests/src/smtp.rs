//! A real SMTP server for tests: Python's aiosmtpd with its Mailbox handler, which stores every
//! message it accepts in a maildir we read back. Stopping it simulates a provider outage.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: Option<tokio::process::Child>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let maildir = tempfile::tempdir().expect("maildir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut sink = Self { port, maildir, child: None };
        sink.spawn().await;
        sink
    }

    async fn spawn(&mut self) {
        let child = tokio::process::Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(self.maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd; .ci/lib.sh does it)");
        self.child = Some(child);
        let port = self.port;
        crate::wait_for("aiosmtpd to listen", Duration::from_secs(30), || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| ())
        })
        .await;
    }

    /// `EMAIL_TRANSPORT` for this sink (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server: the provider is down.
    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }

    /// Every message received so far, raw RFC 5322 text.
    pub fn messages(&self) -> Vec<String> {
        let dir: PathBuf = self.maildir.path().join("mail").join("new");
        let mut out: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        let t = e.metadata().ok()?.modified().ok()?;
                        Some((t, std::fs::read_to_string(e.path()).ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out.into_iter().map(|(_, m)| m).collect()
    }

    /// How many messages arrived so far (without reading them).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.maildir.path().join("mail").join("new")).map(|rd| rd.count()).unwrap_or(0)
    }

    /// Waits until at least `n` messages arrived.
    pub async fn wait_for_messages(&self, n: usize) -> Vec<String> {
        crate::wait_for(&format!("{n} message(s) in the SMTP sink"), Duration::from_secs(30), || async {
            let m = self.messages();
            (m.len() >= n).then_some(m)
        })
        .await
    }
}
