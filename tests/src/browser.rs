//! Headless Chromium through ChromeDriver (Debian's `chromium` + `chromium-driver`), driven
//! with fantoccini over WebDriver. Each [`Browser`] owns its ChromeDriver process and a fresh
//! profile directory, and kills both when dropped.

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::Stdio;
use std::time::Duration;

pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts ChromeDriver on a free port and opens a headless session. Extra Chromium flags
    /// (e.g. a fake camera) go in `extra_args`.
    pub async fn launch(extra_args: &[&str]) -> Self {
        let port = free_port();
        let driver =
            tokio::process::Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("chromedriver is installed (apt-get install chromium chromium-driver; .ci/lib.sh does it)");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend(extra_args.iter().map(|s| s.to_string()));
        let mut caps = serde_json::Map::new();
        let mut chrome = serde_json::json!({ "args": args });
        if let Ok(bin) = std::env::var("CHROMIUM") {
            chrome["binary"] = bin.into();
        }
        caps.insert("goog:chromeOptions".into(), chrome);
        let url = format!("http://127.0.0.1:{port}");
        let client = crate::wait_for("chromedriver to accept a session", Duration::from_secs(30), || {
            let caps = caps.clone();
            let url = url.clone();
            async move {
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps)
                    .connect(&url)
                    .await
                    .ok()
            }
        })
        .await;
        Self { client, driver, _profile: profile }
    }

    /// Waits until the element matching `css` exists and has non-empty text; returns the text.
    pub async fn text_of(&self, css: &str, timeout: Duration) -> String {
        let client = self.client.clone();
        crate::wait_for(&format!("text in {css}"), timeout, || {
            let client = client.clone();
            async move {
                let el = client.find(Locator::Css(css)).await.ok()?;
                let text = el.text().await.ok()?;
                (!text.trim().is_empty()).then_some(text)
            }
        })
        .await
    }

    /// Runs a script in the page and returns what it returns.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `script` returns something truthy (not `null`, `false`, `""` or `0`).
    pub async fn wait_js(&self, what: &str, script: &str, timeout: Duration) -> serde_json::Value {
        let client = self.client.clone();
        crate::wait_for(what, timeout, || {
            let client = client.clone();
            async move {
                let v = client.execute(script, vec![]).await.ok()?;
                let truthy = !(v.is_null() || v == false || v == "" || v == 0);
                truthy.then_some(v)
            }
        })
        .await
    }

    /// Waits until the element matching `css` is there and enabled, then clicks it.
    pub async fn click(&self, css: &str, timeout: Duration) {
        let client = self.client.clone();
        let el = crate::wait_for(&format!("{css} to be clickable"), timeout, || {
            let client = client.clone();
            async move {
                let el = client.find(Locator::Css(css)).await.ok()?;
                (el.attr("disabled").await.ok()?.is_none() && el.is_displayed().await.ok()?).then_some(el)
            }
        })
        .await;
        el.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Sets a form control's value as typing would (the `input` and `change` events fire), once
    /// it exists.
    pub async fn fill(&self, css: &str, value: &str, timeout: Duration) {
        let css_json = serde_json::to_string(css).expect("json");
        let value_json = serde_json::to_string(value).expect("json");
        let script = format!(
            "const el = document.querySelector({css_json}); if (!el) return false; \
             el.value = {value_json}; \
             el.dispatchEvent(new Event('input', {{ bubbles: true }})); \
             el.dispatchEvent(new Event('change', {{ bubbles: true }})); return true;"
        );
        self.wait_js(&format!("{css} to fill"), &script, timeout).await;
    }

    /// Waits until the text of `css` contains `needle`; returns the text.
    pub async fn wait_text(&self, css: &str, needle: &str, timeout: Duration) -> String {
        let client = self.client.clone();
        crate::wait_for(&format!("{needle:?} in {css}"), timeout, || {
            let client = client.clone();
            async move {
                let text = client.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
                text.contains(needle).then_some(text)
            }
        })
        .await
    }

    /// Saves what the page shows to `target/screenshots/<name>.png`, for a person to look at.
    pub async fn screenshot(&self, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}
