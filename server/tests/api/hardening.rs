//! The server as an attacker or an operator would try it: headers, rate limits, body limits,
//! slow clients, TLS versions, and the database going away.

use crate::helpers::*;
use consent_server::http::client::TrustedProxies;
use consent_server::http::limits::{Rate, RateLimits};
use consent_server::http::listen::TlsFiles;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn every_answer_forbids_sniffing_and_referrers_and_personal_ones_are_never_stored() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let token = user_token("u-headers");
    let personal = [
        app.get("/v1/consents").bearer_auth(&token),
        app.get("/v1/me/data").bearer_auth(&token),
        app.get("/v1/admin/subjects/u-headers/records?reason=check")
            .bearer_auth(staff_token(
                "dpo",
                consent_server::auth::StaffRole::PrivacyOfficer,
            )),
        // Refused requests too: an error about a person is about a person.
        app.get("/v1/me/export"),
    ];
    for request in personal {
        let response = request.send().await.unwrap();
        let url = response.url().clone();
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store", "{url}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{url}");
    }
    for public in [
        "/v1/purposes",
        "/v1/policy/current",
        "/healthz",
        "/no-such-page",
    ] {
        let response = app.public(public).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{public}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{public}");
        assert_ne!(
            headers.get("cache-control").map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{public} names no one and may be cached"
        );
    }
}

fn limited(
    per_subject: Option<Rate>,
    per_address: Option<Rate>,
) -> impl FnOnce(&mut consent_server::Settings) {
    move |settings| {
        settings.limits = RateLimits {
            per_subject,
            per_address,
        }
    }
}

async fn send_events(app: &TestApp, token: &str, count: usize) -> Vec<reqwest::Response> {
    let mut answers = Vec::new();
    for _ in 0..count {
        answers.push(
            app.post_events(token, &json!({ "events": [event("banner_shown")] }))
                .await,
        );
    }
    answers
}

async fn a_user_over_their_limit_waits_and_nothing_refused_is_stored(db: Db) {
    let Some(app) = spawn_app_with(db, limited(Rate::per_minute(60, 5), None)).await else {
        return;
    };
    let token = user_token("u-rapid");
    let answers = send_events(&app, &token, 12).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(&statuses[..5], &[200; 5], "the burst passes: {statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let refused = answers.into_iter().last().unwrap();
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=2).contains(&wait),
        "one request a second: wait {wait} s"
    );
    let body = error_of(refused, 429).await;
    assert_eq!(body["error"], "rate_limited");
    assert!(body["message"].as_str().unwrap().contains("device or user"));
    // Someone else is not held up by this user.
    let other = send_events(&app, &user_token("u-calm"), 1).await;
    assert_eq!(other[0].status(), 200);
    let events = app.ledger_of("u-rapid").await.len();
    assert_eq!(events, 5, "exactly the answered events are stored");
    // After the wait, the user is served again.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(send_events(&app, &token, 1).await[0].status(), 200);
}

#[tokio::test]
async fn one_address_is_limited_however_many_devices_it_claims() {
    let app = spawn_app_with(Db::Sqlite, limited(None, Rate::per_minute(60, 8)))
        .await
        .unwrap();
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..12 {
        let response = app
            .get("/v1/consents")
            .device(&new_device())
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        last = Some(response);
    }
    assert_eq!(&statuses[..8], &[200; 8], "{statuses:?}");
    assert!(statuses[8..].iter().all(|s| *s == 429), "{statuses:?}");
    let message = message_of(last.unwrap(), 429).await;
    assert!(message.contains("network address"), "{message}");
}

#[tokio::test]
async fn each_route_takes_bodies_as_large_as_it_needs_and_no_larger() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let token = user_token("u-body");
    // A consent change is small: 20 KB of padding is refused before it is read as JSON.
    let padded = format!(
        r#"{{"policy_version":"2026-11","lang":"kk","choices":{{"surveys":true}},"pad":"{}"}}"#,
        "x".repeat(20 * 1024)
    );
    let response = app
        .put("/v1/consents")
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(padded)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response, 413).await["error"], "too_large");
    // What the company holds about a user may be larger: 40 values of 1,000 characters.
    let items: Vec<_> = (0..40)
        .map(|i| json!({ "category": "full_name", "value": format!("{i}{}", "я".repeat(999)), "source": "company" }))
        .collect();
    let body = json!({ "items": items });
    assert!(serde_json::to_vec(&body).unwrap().len() > 64 * 1024);
    let response = app.upsert_data("u-body", &body).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// Connects and sends `head` (and nothing more); returns how long until the server closes the
/// connection, and what it answered.
async fn hold_open(addr: &str, head: &str) -> (Duration, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(40), stream.read_to_end(&mut answer)).await;
    (
        started.elapsed(),
        String::from_utf8_lossy(&answer).into_owned(),
    )
}

#[tokio::test]
async fn a_client_that_sends_slowly_is_cut_off() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let addr = app.base.trim_start_matches("http://").to_owned();
    let token = user_token("u-slow");
    // Headers that never end, and a body that never comes whole.
    let unfinished_headers = hold_open(&addr, "GET /v1/purposes HTTP/1.1\r\nHost: x\r\n");
    let body_head = format!(
        "PUT /v1/consents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"policy_version\""
    );
    let unfinished_body = hold_open(&addr, &body_head);
    let ((headers_cut, _), (body_cut, body_answer)) =
        tokio::join!(unfinished_headers, unfinished_body);
    let limits = consent_server::http::limits::HEADER_TIMEOUT..Duration::from_secs(25);
    assert!(
        limits.contains(&headers_cut),
        "headers cut after {headers_cut:?}"
    );
    // Told it was too slow (408) before the request's own deadline (503) could say otherwise.
    let body_window =
        consent_server::http::limits::BODY_TIMEOUT..consent_server::http::limits::REQUEST_TIMEOUT;
    assert!(
        body_window.contains(&body_cut),
        "body cut after {body_cut:?}"
    );
    assert!(body_answer.starts_with("HTTP/1.1 408"), "{body_answer}");
    assert!(body_answer.contains("body_not_read"), "{body_answer}");
    println!("slow clients: unfinished headers cut after {headers_cut:.1?}, an unfinished body answered 408 after {body_cut:.1?}");
    assert!(app.ledger_of("u-slow").await.is_empty());
}

/// A self-signed certificate for 127.0.0.1, made by the openssl command.
fn self_signed(dir: &std::path::Path) -> TlsFiles {
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&files.key)
        .arg("-out")
        .arg(&files.cert)
        .output()
        .expect("the openssl command");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    files
}

/// A handshake by `openssl s_client` offering only `version` (e.g. `-tls1`); its output.
async fn handshake(addr: &str, version: &str) -> (bool, String) {
    let output = tokio::process::Command::new("openssl")
        .args(["s_client", "-connect", addr, version, "-brief"])
        // Old protocols need the client's own security level lowered to be offered at all.
        .args(["-cipher", "DEFAULT@SECLEVEL=0"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("the openssl command");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.success() && text.contains("Protocol version"),
        text,
    )
}

#[tokio::test]
async fn https_takes_tls_1_2_and_1_3_and_refuses_1_0_and_1_1() {
    let dir = std::env::temp_dir().join(format!("consent-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = self_signed(&dir);
    let app = spawn_app_with(Db::Sqlite, |s| s.tls = Some(files.clone()))
        .await
        .unwrap();
    assert!(app.base.starts_with("https://"), "{}", app.base);
    let addr = app.base.trim_start_matches("https://").to_owned();
    for version in ["-tls1", "-tls1_1"] {
        let (connected, text) = handshake(&addr, version).await;
        assert!(!connected, "{version} must be refused: {text}");
        // "sslv3 alert …" is an alert the server sent; a client that would not offer the
        // version itself says "no protocols available" instead.
        assert!(
            text.contains("alert handshake failure") || text.contains("alert protocol version"),
            "{version}: the server, not the client, refused it: {text}"
        );
    }
    for (version, name) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let (connected, text) = handshake(&addr, version).await;
        assert!(connected, "{version} must be accepted: {text}");
        assert!(
            text.contains(&format!("Protocol version: {name}")),
            "{text}"
        );
    }
    // And it serves the API over it (the server runs on this test's thread: wait, not block).
    let fetched = tokio::process::Command::new("curl")
        .args(["-s", "--max-time", "20", "--cacert"])
        .arg(&files.cert)
        .arg(format!("{}/v1/policy/current", app.base))
        .output()
        .await
        .expect("the curl command");
    let body: serde_json::Value = serde_json::from_slice(&fetched.stdout).expect("JSON over HTTPS");
    assert_eq!(body["version"], "2026-11");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `statement` on the administrative database of the test PostgreSQL.
async fn as_admin(statement: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin_postgres_url())
        .await
        .unwrap();
    sqlx::Executor::execute(&mut conn, statement).await.unwrap();
}

#[tokio::test]
async fn while_postgresql_refuses_connections_requests_get_503_and_the_server_recovers() {
    let Some(app) = spawn_app(Db::Postgres).await else {
        return;
    };
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let token = user_token("u-outage");
    let on = json!({ "surveys": true });
    assert_eq!(app.put_consents(&token, on.clone()).await.status(), 200);

    as_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    as_admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    let off = json!({ "surveys": false });
    for _ in 0..3 {
        let refused = app.put_consents(&token, off.clone()).await;
        assert!(refused.headers().contains_key("retry-after"));
        let body = error_of(refused, 503).await;
        assert_eq!(body["error"], "unavailable", "{body}");
        let read = app
            .get("/v1/consents")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(read, 503).await["error"], "unavailable");
    }
    // The public catalog needs no database and stays up.
    assert_eq!(app.public("/v1/purposes").await.status(), 200);

    as_admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    let started = Instant::now();
    let recovered = loop {
        let response = app.put_consents(&token, json!({ "promotion": true })).await;
        if response.status() == 200 || started.elapsed() > Duration::from_secs(30) {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(recovered.status(), 200, "recovered by itself");
    println!(
        "PostgreSQL refusing connections: 3 writes and 3 reads answered 503 unavailable; a write answered 200 {:.1?} after connections were allowed again",
        started.elapsed()
    );
    let state = app.consents(&token).await;
    assert!(
        granted(&state, "surveys"),
        "no refused write was stored: {state}"
    );
    assert!(granted(&state, "promotion"));
    let choices = app
        .ledger_of("u-outage")
        .await
        .iter()
        .filter(|e| kind_of(e) == "choices")
        .count();
    assert_eq!(
        choices, 2,
        "the two answered writes, and none of the six refused"
    );
}

async fn unusual_staff_access_raises_an_alert_a_privacy_officer_reads(db: Db) {
    let rules = consent_server::alerts::AlertRules {
        subjects_per_hour: 3,
        refusals: 4,
    };
    let Some(app) = spawn_app_with(db, |s| s.alerts = rules).await else {
        return;
    };
    use consent_server::auth::StaffRole;
    let support = staff_token("sup-7", StaffRole::Support);
    let dpo = staff_token("dpo-1", StaffRole::PrivacyOfficer);
    let look =
        async |token: &str, path: String| app.get(&path).bearer_auth(token).send().await.unwrap();
    // Within the rule: three users; then two more.
    for i in 0..5 {
        let path = format!("/v1/admin/subjects/u-look-{i}/records?reason=ticket%2042");
        assert_eq!(look(&support, path).await.status(), 200);
    }
    let alerts = app.get_json("/v1/admin/alerts", &dpo).await["alerts"].clone();
    let many: Vec<_> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "many_subjects")
        .collect();
    assert_eq!(
        many.len(),
        1,
        "raised once, not at every read after: {alerts}"
    );
    assert_eq!(many[0]["staff"], "sup-7");
    assert!(
        many[0]["detail"].as_str().unwrap().starts_with("4 users"),
        "{alerts}"
    );

    // A read without a reason is refused and raised.
    let unexplained = look(&support, "/v1/admin/subjects/u-look-0/records".into()).await;
    assert_eq!(error_of(unexplained, 422).await["error"], "invalid");
    // A guessed token, again and again.
    for _ in 0..4 {
        let forged = look(
            "not-a-token",
            "/v1/admin/subjects/u-look-0/records?reason=x".into(),
        );
        assert_eq!(forged.await.status(), 401);
    }
    let alerts = app.get_json("/v1/admin/alerts", &dpo).await["alerts"].clone();
    let of_kind = |kind: &str| -> Vec<serde_json::Value> {
        alerts
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["kind"] == kind)
            .cloned()
            .collect()
    };
    let no_reason = of_kind("no_reason");
    assert_eq!(no_reason.len(), 1, "{alerts}");
    assert_eq!(no_reason[0]["staff"], "sup-7");
    let refusals = of_kind("repeated_refusals");
    assert_eq!(refusals.len(), 1, "{alerts}");
    let source = refusals[0]["source"].as_str().unwrap();
    assert!(
        source.len() == 16 && !source.contains('.'),
        "a pseudonym, not the address: {source}"
    );
    // Only a privacy officer reads them.
    let denied = look(&support, "/v1/admin/alerts".into()).await;
    assert_eq!(denied.status(), 403);
}

/// The server as it runs behind a reverse proxy on this machine: the test client connects from
/// 127.0.0.1, the proxy's address. `per_address`: the limit of one client's address.
fn behind_proxy(
    trusted: &str,
    per_address: Option<Rate>,
) -> impl FnOnce(&mut consent_server::Settings) + '_ {
    move |settings| {
        settings.trusted_proxies =
            TrustedProxies::new(vec![TrustedProxies::parse_network(trusted).unwrap()]);
        settings.limits = RateLimits {
            per_subject: None,
            per_address,
        };
    }
}

/// Four requests from each of two clients (one named by `X-Forwarded-For`, one by
/// `Forwarded`), each with a device of its own: the statuses, in order.
async fn two_clients_behind_one_proxy(app: &TestApp) -> Vec<u16> {
    let mut statuses = Vec::new();
    for (header, value) in [
        ("x-forwarded-for", "203.0.113.7, 10.9.8.7"),
        ("forwarded", "for=198.51.100.23;proto=https"),
    ] {
        for _ in 0..4 {
            let response = app
                .get("/v1/consents")
                .device(&new_device())
                .header(header, value)
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
    }
    statuses
}

/// The IP address the consent history holds for a user who answered through the proxy.
async fn recorded_address(app: &TestApp, user: &str, forwarded_for: &str) -> String {
    let token = user_token(user);
    let answered = app
        .put("/v1/consents")
        .bearer_auth(&token)
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"policy_version": "2026-11", "lang": "ru", "choices": {"surveys": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    let report = app.get_json("/v1/me/data", &token).await;
    let history = report["consent_history"].as_array().unwrap();
    let choice = history.iter().find(|e| kind_of(e) == "choices").unwrap();
    choice["ip"].as_str().unwrap().to_owned()
}

/// What a server trusting `trusted` sees of the two clients behind 127.0.0.1 (each one's four
/// requests, at 3 allowed per address) and which address it records for a user whose request
/// names `1.1.1.1, 203.0.113.50` (the first written by the client, the second by the proxy).
async fn seen_behind(db: Db, trusted: &str) -> Option<(Vec<u16>, String)> {
    let app = spawn_app_with(db, behind_proxy(trusted, Rate::per_minute(60, 3))).await?;
    let statuses = two_clients_behind_one_proxy(&app).await;
    let unlimited = app.same_database_with(behind_proxy(trusted, None)).await;
    let user = format!("u-{}", uuid::Uuid::new_v4().simple());
    let address = recorded_address(&unlimited, &user, "1.1.1.1, 203.0.113.50").await;
    Some((statuses, address))
}

async fn behind_a_trusted_proxy_the_forwarded_client_is_limited_and_recorded(db: Db) {
    let Some((statuses, address)) = seen_behind(db, "127.0.0.1").await else {
        return;
    };
    // Each client has its own allowance of 3, though both come through one proxy.
    assert_eq!(
        statuses,
        [200, 200, 200, 429, 200, 200, 200, 429],
        "{statuses:?}"
    );
    // The evidence of consent names the client, not the proxy; the address the client wrote
    // itself before the proxy's is not believed.
    assert_eq!(address, "203.0.113.50");
}

async fn from_anyone_else_forwarded_addresses_are_ignored(db: Db) {
    // A proxy is trusted, but not the address the test connects from.
    let Some((statuses, address)) = seen_behind(db, "10.0.0.0/8").await else {
        return;
    };
    // Both "clients" are the one peer that sent the headers: one allowance of 3 between them.
    assert_eq!(
        statuses,
        [200, 200, 200, 429, 429, 429, 429, 429],
        "{statuses:?}"
    );
    assert_eq!(
        address, "127.0.0.1",
        "a forged X-Forwarded-For is not evidence"
    );
}

crate::both_databases!(
    db: a_user_over_their_limit_waits_and_nothing_refused_is_stored,
    unusual_staff_access_raises_an_alert_a_privacy_officer_reads,
    behind_a_trusted_proxy_the_forwarded_client_is_limited_and_recorded,
    from_anyone_else_forwarded_addresses_are_ignored
);

#[tokio::test]
async fn a_whole_session_leaves_no_personal_data_in_the_log() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let log =
        std::env::temp_dir().join(format!("consent-log-{}.txt", uuid::Uuid::new_v4().simple()));
    let mut server = app.process_logging_to(Some((&log, "debug"))).await;
    // The client comes from an address of its own, to be looked for in the log.
    let client_ip = "127.0.0.2";
    server.app.http = reqwest::Client::builder()
        .local_address(client_ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let app = &server.app;
    let user = "u-log-4711";
    let token = user_token(user);
    let (name, phone, email) = ("Айгерим Логова", "+77015551234", "aigerim.log@example.kz");
    let held = json!({ "items": [
        { "category": "full_name", "value": name, "source": "user" },
        { "category": "phone", "value": phone, "source": "user" },
        { "category": "email", "value": email, "source": "user" },
    ] });
    assert_eq!(app.upsert_data(user, &held).await.status(), 200);
    let device = new_device();
    app.answer_as_device(&device, json!({ "promotion": true }))
        .await;
    assert_eq!(
        app.put_consents(&token, json!({ "surveys": true, "promotion": true }))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_events(&token, &json!({ "events": [event("banner_shown")] }))
            .await
            .status(),
        200
    );
    app.get_json("/v1/me/data?lang=ru", &token).await;
    let export = app
        .get("/v1/me/export")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        export.text().await.unwrap().contains(phone),
        "the data was there to leak"
    );
    let withdrawal = json!({ "purposes": ["surveys"], "lang": "ru" });
    assert_eq!(app.withdraw(&token, &withdrawal).await.status(), 200);
    let staff = staff_token("dpo-log", consent_server::auth::StaffRole::PrivacyOfficer);
    let reason = format!("request from {email}");
    assert_eq!(app.staff_look(user, &reason, &staff).await.status(), 200);
    // An alert: a read without a reason. Its WARN line says what, not who.
    let unexplained = app
        .get(&format!("/v1/admin/subjects/{user}/records"))
        .bearer_auth(&staff);
    assert_eq!(unexplained.send().await.unwrap().status(), 422);
    // Refusals are logged too: a forged token, a body naming the user.
    let forged = format!("{token}x");
    assert_eq!(
        app.get("/v1/me/data")
            .bearer_auth(&forged)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let bad = app
        .put("/v1/consents")
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"policy_version":"2026-11","lang":"kk","choices":{{"{phone}":true}}}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    server.kill().await;

    let text = std::fs::read_to_string(&log).unwrap();
    let requests = text.matches("request").count();
    assert!(
        requests >= 10,
        "the log holds the session's {requests} request lines:\n{text}"
    );
    assert!(text.contains("ALERT"), "the alert is in the log:\n{text}");
    let signature = token.rsplit('.').next().unwrap();
    let secrets = [
        ("the token", token.as_str()),
        ("the token's signature", signature),
        ("the user id", user),
        ("the name", name),
        ("the phone", phone),
        ("the email", email),
        ("the client's address", client_ip),
        ("the device id", device.id.as_str()),
        ("the member of staff", "dpo-log"),
    ];
    for (what, value) in secrets {
        assert!(!text.contains(value), "{what} is in the log:\n{text}");
    }
    let _ = std::fs::remove_file(&log);
}

/// The attack the review tried: 400 writes as fast as one device can send them, at the limits
/// a server starts with. Prints what it saw, for RELIABILITY.md.
#[tokio::test]
async fn four_hundred_rapid_writes_from_one_device_meet_the_default_limit() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let device = new_device();
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..400 {
        let choices = json!({ "surveys": i % 2 == 0 });
        let body = json!({ "policy_version": "2026-11", "lang": "kk", "choices": choices });
        let response = app
            .put("/v1/consents")
            .device(&device)
            .json(&body)
            .send()
            .await
            .unwrap();
        *statuses.entry(response.status().as_u16()).or_insert(0) += 1;
    }
    println!("400 rapid writes from one device at the default limits: {statuses:?}");
    let served = statuses.get(&200).copied().unwrap_or(0);
    let limit = consent_server::http::limits::SUBJECT_BURST as usize;
    assert!((limit..limit + 20).contains(&served), "{statuses:?}");
    assert_eq!(
        statuses.get(&429).copied().unwrap_or(0),
        400 - served,
        "{statuses:?}"
    );
}
