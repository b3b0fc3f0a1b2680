//! The `termino` binary as a newcomer runs it: `termino serve` on the
//! embedded default prints where to go, serves, keeps personal data out of
//! its logs, and stops cleanly on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_logs_no_personal_data_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("termino-bin-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_termino"))
        .arg("serve")
        .current_dir(std::env::temp_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERMINO_LISTEN", "127.0.0.1:0")
        .env("TERMINO_DATA_DIR", &dir)
        .env("RUST_LOG", "debug")
        // Background work runs below, as `termino jobs run`, when the test
        // wants it: no waiting for a worker.
        .env("TERMINO_WORKER", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let stderr_task = tokio::spawn(async move {
        let mut all = String::new();
        let _ = stderr.read_to_string(&mut all).await;
        all
    });

    // The printed sign-up URL tells where the server is.
    let mut printed = String::new();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).await.unwrap() == 0 {
                panic!("termino exited early: {printed}");
            }
            printed.push_str(&line);
            if let Some(rest) = line.trim().strip_prefix("Sign up a business:") {
                return rest.trim().trim_end_matches("/signup").to_string();
            }
        }
    })
    .await
    .expect("termino printed its URL");
    assert!(printed.contains("Termino is running"));

    let client = reqwest::Client::new();
    let name = "Zofia Przykładowa";
    let email = "zofia.przykladowa@example.com";
    let phone = "+48 601 777 888";
    let password = "Bardzo-Tajne-Haslo-2026";
    let resp = client
        .post(format!("{url}/api/v1/auth/signup"))
        .json(&json!({
            "company_name": "Gabinet Zofii", "slug": "gabinet-zofii", "owner_name": name,
            "email": email, "phone": phone, "password": password,
            "time_zone": "Europe/Warsaw", "language": "pl",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    let session = cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_string();
    let resp = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": "Wrong-Password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = client
        .post(format!("{url}/api/v1/auth/password-reset"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    // Send the reset mail with one worker step in a second process on the
    // same database, then read its token to look for it in logs.
    let step = Command::new(env!("CARGO_BIN_EXE_termino"))
        .args(["jobs", "run"])
        .current_dir(std::env::temp_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERMINO_DATA_DIR", &dir)
        .env("RUST_LOG", "debug")
        .output()
        .await
        .unwrap();
    assert!(step.status.success(), "{step:?}");
    let step_output = format!(
        "{}{}",
        String::from_utf8_lossy(&step.stdout),
        String::from_utf8_lossy(&step.stderr)
    );
    assert!(step_output.contains("sent 1 mails"), "{step_output}");
    let outbox = dir.join("outbox");
    let path = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "eml"))
        .expect("the reset mail");
    let mail = crate::helpers::decode_quoted_printable(&std::fs::read_to_string(path).unwrap());
    let reset_token = crate::helpers::link_token(&mail, "/reset/");
    let resp = client
        .get(format!("{url}/reset/{reset_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // SIGTERM: a graceful stop with exit code 0.
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).await.unwrap();
    let logs = format!("{printed}{rest}{}{step_output}", stderr_task.await.unwrap());
    assert!(
        logs.contains("request"),
        "request log lines are written: {logs}"
    );
    assert!(logs.contains("shutting down"));
    for secret in [
        name,
        email,
        "601 777 888",
        "48601777888",
        password,
        &session,
        &reset_token,
    ] {
        assert!(
            !logs.contains(secret),
            "the logs contain {secret:?}:\n{logs}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
