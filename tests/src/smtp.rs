//! A real SMTP server on loopback for the mail tests: `tests/smtp_sink.py` (Debian's
//! python3-aiosmtpd) on a free port, storing each message as a file. It can be told to
//! answer 550 or 451 for given addresses, and stopped and started again on the same port.
//! It can also speak STARTTLS or implicit TLS with a certificate from a throwaway CA (made
//! with the `openssl` command) and require a login.
//! Without python3-aiosmtpd (or openssl, for TLS) the tests are skipped with a printed
//! reason, unless `WORKLIFE_REQUIRE_ALL=1`, which fails them.

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
    /// Whether it came over an encrypted connection.
    pub encrypted: bool,
    /// The SMTP login it was sent under (empty without one).
    pub login: String,
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

/// How the sink talks to its clients.
#[derive(Clone, Debug, Default)]
pub struct SinkOptions {
    /// `Some("starttls")` or `Some("implicit")`; plain SMTP when `None`.
    pub tls: Option<&'static str>,
    /// A login every client must give before sending: (user, password).
    pub login: Option<(String, String)>,
}

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    python: String,
    options: SinkOptions,
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
    /// Starts a plain sink, or `None` (with a printed reason) when python3-aiosmtpd is
    /// missing.
    pub fn start() -> Option<SmtpSink> {
        SmtpSink::start_with(SinkOptions::default())
    }

    /// Starts a sink with TLS and/or a login, or `None` (with a printed reason) when
    /// python3-aiosmtpd or, for TLS, openssl is missing.
    pub fn start_with(options: SinkOptions) -> Option<SmtpSink> {
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
            options,
            child: None,
        };
        if sink.options.tls.is_some() && !sink.make_certificates() {
            return None;
        }
        sink.up();
        Some(sink)
    }

    /// The throwaway CA's certificate, for `mail.ca_file`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A CA, and a server certificate for 127.0.0.1 signed by it (webpki refuses a
    /// self-signed CA certificate used as the server's own).
    fn make_certificates(&self) -> bool {
        let dir = self.dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let steps: [Vec<&str>; 3] = [
            [
                &["req", "-x509"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.pem"],
            ]
            .concat(),
            [
                &["req"][..],
                &ec,
                &["-keyout", "key.pem", "-out", "req.csr"],
            ]
            .concat(),
            vec![
                "x509",
                "-req",
                "-in",
                "req.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "cert.pem",
                "-extfile",
                "ext.cnf",
            ],
        ];
        let subjects = ["/CN=Worklife test CA", "/CN=127.0.0.1", ""];
        for (step, subject) in steps.iter().zip(subjects) {
            let mut cmd = Command::new("openssl");
            cmd.args(step).args(["-days", "2"]).current_dir(dir);
            if !subject.is_empty() {
                cmd.args(["-subj", subject]);
            }
            let ok = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                assert!(
                    !require_all(),
                    "openssl failed or is missing and WORKLIFE_REQUIRE_ALL=1: TLS tests cannot be skipped (apt-get install -y openssl)"
                );
                eprintln!("skipping SMTP TLS tests: the openssl command failed or is missing");
                return false;
            }
        }
        true
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
                .args(self.script_options())
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

    fn script_options(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(mode) = self.options.tls {
            let file = |name: &str| self.dir.path().join(name).display().to_string();
            out.push(format!("tls={mode}"));
            out.push(format!("cert={}", file("cert.pem")));
            out.push(format!("key={}", file("key.pem")));
        }
        if let Some((user, password)) = &self.options.login {
            out.push(format!("auth={user}:{password}"));
        }
        out
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

    /// Waits this long before accepting each message from now on (a slow server).
    pub fn slow_down(&self, millis: u64) {
        std::fs::create_dir_all(self.control_dir()).unwrap();
        std::fs::write(self.control_dir().join("delay_ms"), millis.to_string()).unwrap();
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
                let sink_line = |name: &str| {
                    raw.lines()
                        .take(3)
                        .find_map(|l| l.strip_prefix(name))
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                };
                let to = sink_line("X-Sink-To: ");
                let encrypted = sink_line("X-Sink-TLS: ") == "yes";
                let login = sink_line("X-Sink-Login: ");
                let text = raw.replace("=\r\n", "").replace("=\n", "");
                out.push(Received {
                    to,
                    text,
                    encrypted,
                    login,
                });
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
            (
                "WORKLIFE_MAIL__TLS",
                self.options.tls.unwrap_or("none").into(),
            ),
        ]
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.down();
    }
}
