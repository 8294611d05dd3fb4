//! A real SMTP server on loopback for the mail tests: `tests/smtp_sink.py` (Debian's
//! python3-aiosmtpd) on a free port, storing each message as a file. It can be told to
//! answer 550 or 451 for given addresses, and stopped and started again on the same port.
//! Without python3-aiosmtpd the tests are skipped with a printed reason, unless
//! `WORKLIFE_REQUIRE_ALL=1`, which fails them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::require_all;

/// One stored message.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    /// The raw message with quoted-printable soft line breaks undone.
    pub text: String,
}

impl Received {
    /// Every distinct `/s/TOKEN` token in the message.
    pub fn tokens(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (at, _) in self.text.match_indices("/s/") {
            let token: String = self.text[at + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if token.len() > 20 && !out.contains(&token) {
                out.push(token);
            }
        }
        out
    }

    pub fn is_reminder(&self) -> bool {
        self.text.contains("Subject: Reminder")
    }
}

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    python: String,
    child: Option<Child>,
}

fn python_with_aiosmtpd() -> Option<String> {
    // Debian's package lives in the system interpreter; a pyenv shim first on PATH lacks it.
    ["/usr/bin/python3", "python3"].into_iter().find_map(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()
            .filter(|s| s.success())
            .map(|_| p.to_string())
    })
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp_sink.py")
}

impl SmtpSink {
    /// Starts a sink, or `None` (with a printed reason) when python3-aiosmtpd is missing.
    pub fn start() -> Option<SmtpSink> {
        let Some(python) = python_with_aiosmtpd() else {
            assert!(
                !require_all(),
                "python3-aiosmtpd is missing and WORKLIFE_REQUIRE_ALL=1: SMTP tests cannot be skipped (apt-get install -y python3-aiosmtpd)"
            );
            eprintln!("skipping SMTP tests: python3 with aiosmtpd is not installed (apt-get install -y python3-aiosmtpd)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut sink = SmtpSink {
            port,
            dir: tempfile::tempdir().unwrap(),
            python,
            child: None,
        };
        sink.up();
        Some(sink)
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    fn control_dir(&self) -> PathBuf {
        self.dir.path().join("control")
    }

    /// Starts the server (again) on the same port.
    pub fn up(&mut self) {
        assert!(self.child.is_none(), "the sink runs already");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut child = Command::new(&self.python)
                .arg(script())
                .arg(self.port.to_string())
                .arg(self.mail_dir())
                .arg(self.control_dir())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut line = String::new();
            let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
            if line.trim() == "ready" {
                self.child = Some(child);
                return;
            }
            // The port may still be held by the previous run for a moment.
            let _ = child.kill();
            let _ = child.wait();
            assert!(Instant::now() < deadline, "the SMTP sink did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops the server: connections are refused until [`SmtpSink::up`].
    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn list(&self, file: &str, address: &str) {
        use std::io::Write;
        std::fs::create_dir_all(self.control_dir()).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.control_dir().join(file))
            .unwrap();
        writeln!(f, "{address}").unwrap();
    }

    /// Answers 550 (permanent) for this recipient from now on.
    pub fn reject(&self, address: &str) {
        self.list("reject550", address);
    }

    /// Answers 451 (temporary) for this recipient from now on.
    pub fn defer(&self, address: &str) {
        self.list("defer451", address);
    }

    /// Every message stored so far.
    pub fn messages(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.mail_dir()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "eml") {
                let raw = std::fs::read_to_string(e.path()).unwrap_or_default();
                let to = raw
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("X-Sink-To: "))
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let text = raw.replace("=\r\n", "").replace("=\n", "");
                out.push(Received { to, text });
            }
        }
        out
    }

    /// Waits until at least `n` messages are stored (or the timeout passes); returns them.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let m = self.messages();
            if m.len() >= n || Instant::now() > deadline {
                return m;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Messages per recipient.
    pub fn by_recipient(&self) -> HashMap<String, Vec<Received>> {
        let mut out: HashMap<String, Vec<Received>> = HashMap::new();
        for m in self.messages() {
            out.entry(m.to.clone()).or_default().push(m);
        }
        out
    }

    /// Environment that points `worklife` at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WORKLIFE_MAIL__TRANSPORT", "smtp".into()),
            ("WORKLIFE_MAIL__HOST", "127.0.0.1".into()),
            ("WORKLIFE_MAIL__PORT", self.port.to_string()),
            ("WORKLIFE_MAIL__TLS", "none".into()),
        ]
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.down();
    }
}
