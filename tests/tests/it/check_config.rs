//! `reelproof check-config` and the same checks at `serve`'s start: every broken setting is
//! refused with a sentence naming it, a good configuration is printed with its secrets masked,
//! and `serve` refuses to start with one line instead of half-starting.

use reelproof_tests::process::binary;
use reelproof_tests::{TEST_API_SECRET, db::TestDb, s3::MotoS3, smtp::SmtpSink};
use server::domain::secrets::EncryptionKey;
use std::time::Duration;

/// A production configuration whose every outside system is real and up.
struct Setup {
    env: Vec<(String, String)>,
    _db: TestDb,
    _s3: MotoS3,
    _smtp: SmtpSink,
    data: tempfile::TempDir,
}

const AWS_SECRET: &str = "aws-secret-never-printed-0123";

async fn setup() -> Setup {
    let (db, s3, smtp) = (TestDb::create().await, MotoS3::start().await, SmtpSink::start().await);
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", db.url().to_owned()),
        ("SHOPIFY_API_KEY", reelproof_tests::TEST_API_KEY.to_owned()),
        ("SHOPIFY_API_SECRET", TEST_API_SECRET.to_owned()),
        ("REELPROOF_ENCRYPTION_KEY", EncryptionKey::generate().to_base64()),
        ("REELPROOF_PUBLIC_URL", "https://reelproof.example.com".to_owned()),
        ("REELPROOF_DATA_DIR", data.path().display().to_string()),
        ("EMAIL_TRANSPORT", smtp.url()),
        ("EMAIL_FROM", "requests@reelproof.example.com".to_owned()),
        ("MEDIA_STORE", format!("s3://{}", s3.bucket)),
        ("AWS_ENDPOINT_URL", s3.endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing-key-id".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET.to_owned()),
    ];
    let env = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    Setup { env, _db: db, _s3: s3, _smtp: smtp, data }
}

impl Setup {
    fn var(&self, name: &str) -> &str {
        self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).expect("set")
    }

    /// The binary with this configuration, one setting replaced (or added).
    fn command(&self, args: &[&str], changes: &[(&str, &str)]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(binary());
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .env("REELPROOF_LISTEN", "127.0.0.1:0")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .kill_on_drop(true);
        cmd.envs(changes.iter().copied());
        cmd
    }

    async fn run(&self, args: &[&str], changes: &[(&str, &str)]) -> (bool, String, String) {
        let out = tokio::time::timeout(Duration::from_secs(60), self.command(args, changes).output())
            .await
            .expect("finished within 60 s")
            .expect("the binary runs");
        let (stdout, stderr) =
            (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
        (out.status.success(), stdout, stderr)
    }
}

#[tokio::test]
async fn check_config_prints_every_setting_with_secrets_masked_and_passes_a_good_configuration() {
    let s = setup().await;
    let (ok, stdout, stderr) = s.run(&["check-config"], &[]).await;
    assert!(ok, "{stdout}\n{stderr}");
    for setting in [
        "mode",
        "DATABASE_URL",
        "SHOPIFY_API_KEY",
        "SHOPIFY_API_SECRET",
        "REELPROOF_ENCRYPTION_KEY",
        "REELPROOF_PUBLIC_URL",
        "EMAIL_TRANSPORT",
        "EMAIL_FROM",
        "SMS_TRANSPORT",
        "MEDIA_STORE",
        "FFMPEG_PATH / FFPROBE_PATH",
        "REELPROOF_SEND_LEASE_SECONDS",
        "REELPROOF_DRAIN_SECONDS",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ] {
        assert!(stdout.lines().any(|l| l.starts_with(setting)), "{setting} is listed:\n{stdout}");
    }
    assert!(stdout.contains("configuration ok"), "{stdout}");
    for secret in [s.var("SHOPIFY_API_SECRET"), s.var("REELPROOF_ENCRYPTION_KEY"), AWS_SECRET] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "a secret was printed:\n{stdout}{stderr}");
    }
    assert!(!stdout.contains("ERROR"), "{stdout}");
    println!("check-config output:\n{stdout}");
}

#[tokio::test]
async fn check_config_refuses_each_broken_setting_with_a_sentence_naming_it() {
    let s = setup().await;
    let cases: &[(&str, &str, &str)] = &[
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:9/reelproof", "DATABASE_URL: cannot use the database"),
        ("MEDIA_STORE", "s3://no-such-bucket-here", "MEDIA_STORE: cannot use the bucket s3://no-such-bucket-here"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9", "MEDIA_STORE: cannot use the bucket"),
        ("EMAIL_TRANSPORT", "smtp://127.0.0.1:9", "EMAIL_TRANSPORT: cannot use the SMTP server at smtp://127.0.0.1:9"),
        ("EMAIL_TRANSPORT", "carrier-pigeon://x", "EMAIL_TRANSPORT"),
        ("EMAIL_FROM", "not an address", "EMAIL_FROM \"not an address\" is not an email address"),
        ("FFMPEG_PATH", "/nonexistent/ffmpeg", "FFMPEG_PATH / FFPROBE_PATH"),
        ("SHOPIFY_API_KEY", "my-app", "SHOPIFY_API_KEY is not a Shopify client id"),
        ("SHOPIFY_API_SECRET", "too-short", "shorter than the 32 characters"),
        ("REELPROOF_PUBLIC_URL", "http://reelproof.example.com", "REELPROOF_PUBLIC_URL must be https://"),
        ("REELPROOF_ENCRYPTION_KEY", "not-base64-32-bytes", "REELPROOF_ENCRYPTION_KEY"),
        ("SMS_TRANSPORT", "pager", "SMS_TRANSPORT must be `outbox` or `twilio`"),
        ("REELPROOF_DRAIN_SECONDS", "0", "--drain-seconds"),
    ];
    for (setting, value, sentence) in cases {
        let (ok, stdout, stderr) = s.run(&["check-config"], &[(setting, value)]).await;
        assert!(!ok, "{setting}={value} was accepted:\n{stdout}");
        assert!(stderr.contains(sentence), "{setting}={value}: expected {sentence:?} in:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // Twilio's settings are checked for shape (it cannot be reached from here).
    let twilio = [
        ("SMS_TRANSPORT", "twilio"),
        ("TWILIO_ACCOUNT_SID", "not-a-sid"),
        ("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef"),
        ("TWILIO_FROM_NUMBER", "+14155550100"),
    ];
    let (ok, _, stderr) = s.run(&["check-config"], &twilio).await;
    assert!(!ok && stderr.contains("TWILIO_ACCOUNT_SID is not an account SID"), "{stderr}");
    // A web-only process does not need ffmpeg: a note, not an error.
    let (ok, stdout, stderr) =
        s.run(&["check-config", "--role", "web"], &[("FFMPEG_PATH", "/nonexistent/ffmpeg")]).await;
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("this process runs no media work"), "{stdout}");
}

#[tokio::test]
async fn serve_refuses_to_start_on_a_broken_setting_with_one_clear_line() {
    let s = setup().await;
    let (ok, stdout, stderr) = s.run(&["serve"], &[("EMAIL_TRANSPORT", "smtp://127.0.0.1:9")]).await;
    assert!(!ok, "it started:\n{stdout}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line:\n{stderr}");
    assert!(
        lines[0]
            .starts_with("reelproof: not starting: EMAIL_TRANSPORT: cannot use the SMTP server at smtp://127.0.0.1:9"),
        "{stderr}"
    );
    // Nothing was started: no migration ran on the (empty) database, no outbox was made.
    assert!(!s.data.path().join("outbox").exists());
}
