//! The pages in a real browser: `tests/browser/run.mjs` (Playwright's
//! `playwright-core` driving Debian's chromium) against a real server, on
//! SQLite and then on PostgreSQL with Redis when those are configured.
//!
//! Without chromium or `tests/browser/node_modules` the test is skipped
//! with a message, unless `TERMINO_BROWSER_TESTS=required` (set by
//! `.ci/run`, which installs both): then their absence fails it.

use std::path::{Path, PathBuf};

use crate::helpers::{Backend, TestApp};

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

fn missing_tools() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!("no chromium at {chromium}"));
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        return Some("playwright-core is not installed (npm ci in tests/browser)".into());
    }
    match std::process::Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => None,
        _ => Some("node is not installed".into()),
    }
}

async fn run_in_browser(app: &TestApp) {
    let shots = browser_dir()
        .join("../screenshots")
        .join(format!("{:?}", app.backend).to_lowercase());
    let out = tokio::process::Command::new("node")
        .arg(browser_dir().join("run.mjs"))
        .env("TERMINO_URL", &app.url)
        .env("SCREENSHOT_DIR", &shots)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "browser tests failed on {:?}:\n{stdout}\n{stderr}",
        app.backend
    );
    // Every step ran: a script that stopped early cannot pass.
    assert!(stdout.contains("19 of 19 browser steps passed"), "{stdout}");
}

async fn spawn(backend: Backend, fake: &crate::fake_sms::FakeSms) -> Option<TestApp> {
    let base = fake.url.clone();
    TestApp::spawn_with(backend, move |s| {
        s.sms = Some(termino_app::sms::SmsConfig {
            gateway: termino_app::sms::SmsGatewayConfig::Smsapi {
                token: crate::fake_sms::SMSAPI_TOKEN.into(),
                base_url: base,
            },
            sender: crate::fake_sms::SENDER.into(),
        });
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_in_a_real_browser() {
    if let Some(missing) = missing_tools() {
        if std::env::var("TERMINO_BROWSER_TESTS").as_deref() == Ok("required") {
            panic!("browser tests are required but cannot run: {missing}");
        }
        crate::helpers::skip(&format!(
            "{missing}; run `npm ci` in tests/browser and install chromium"
        ));
        return;
    }
    // One browser at a time: the machine has two cores. SMS is on (the
    // booking page offers its consent), through the local fake SMSAPI.
    let fake = crate::fake_sms::FakeSms::start().await;
    let app = spawn(Backend::Sqlite, &fake).await.expect("SQLite server");
    run_in_browser(&app).await;
    app.finish().await;
    if let Some(app) = spawn(Backend::Postgres, &fake).await {
        run_in_browser(&app).await;
        app.finish().await;
    }
}
