//! The second security review's attacks on the running server, each as the reviewer ran it:
//! the rate limits turned against users, spelling tricks, limiter memory, tokens for later.
//! docs/security.md lists each threat with its test here.

use crate::helpers::*;
use consent_server::auth::{self, Secret};
use consent_server::http::limits::{Rate, RateLimits};
use futures_util::StreamExt;

fn subject_limit_only(per_minute: u32, burst: u32) -> impl FnOnce(&mut consent_server::Settings) {
    move |settings| {
        settings.limits = RateLimits {
            per_subject: Rate::per_minute(per_minute, burst),
            per_address: None,
        }
    }
}

/// A token naming `user` that only an attacker could have made: the wrong secret.
fn forged_token(user: &str) -> String {
    let attacker = Secret::new(b"an-attackers-own-secret-0123456789abcdef");
    auth::issue(&attacker, auth::USER_AUDIENCE, user, None, 600)
}

async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

/// F1: the limiter counted a token's `sub` before its signature was checked.
#[tokio::test]
async fn a_thousand_forged_tokens_naming_a_user_leave_that_users_own_requests_served() {
    let app = spawn_app_with(Db::Sqlite, subject_limit_only(60, 10))
        .await
        .unwrap();
    let forged = forged_token("victim");
    let answers: Vec<u16> = futures_util::stream::iter(0..1_000)
        .map(|_| status_of(app.get("/v1/consents").bearer_auth(&forged)))
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        answers.iter().all(|s| *s == 401),
        "each forged token is refused as such, never counted as the victim: {:?}",
        answers.iter().filter(|s| **s != 401).collect::<Vec<_>>()
    );
    let victim = user_token("victim");
    for i in 0..10 {
        let status = status_of(app.get("/v1/consents").bearer_auth(&victim)).await;
        assert_eq!(status, 200, "the victim's request {i} is served");
    }
}

/// F2: another spelling of the same credential opened a fresh allowance.
#[tokio::test]
async fn one_subject_is_one_allowance_however_its_credentials_are_spelled() {
    let app = spawn_app_with(Db::Sqlite, subject_limit_only(60, 6))
        .await
        .unwrap();
    let token = user_token("u-spelled");
    let mut statuses = Vec::new();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        for _ in 0..2 {
            let request = app
                .get("/v1/consents")
                .header("Authorization", format!("{scheme} {token}"))
                // A fresh device each time: a signed-in user stays one subject.
                .device(&new_device());
            statuses.push(status_of(request).await);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);

    let device = new_device();
    let mut statuses = Vec::new();
    for spelling in [
        device.id.clone(),
        device.id.to_uppercase(),
        device.id.replace('-', ""),
        device.id.to_uppercase().replace('-', ""),
    ] {
        for _ in 0..2 {
            let request = app
                .get("/v1/consents")
                .header("X-Consent-Device", &spelling)
                .header("X-Consent-Device-Proof", &device.proof);
            statuses.push(status_of(request).await);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
}

#[tokio::test]
async fn malformed_credentials_are_refused_naming_the_header() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let token = user_token("u-malformed");
    for (what, value) in [
        ("two spaces", format!("Bearer  {token}")),
        ("a tab", format!("Bearer\t{token}")),
        ("no token", "Bearer ".to_owned()),
        ("no space", format!("Bearer{token}")),
        ("two tokens", format!("Bearer {token} {token}")),
    ] {
        let response = app
            .get("/v1/consents")
            .header("Authorization", value)
            .send()
            .await
            .unwrap();
        let body = error_of(response, 400).await;
        assert_eq!(body["error"], "bad_authorization", "{what}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("`Authorization`"),
            "{what}: {body}"
        );
    }
    let response = app
        .get("/v1/consents")
        .header("X-Consent-Device", "not-a-uuid")
        .send()
        .await
        .unwrap();
    // A device id is a credential: one that cannot be one is refused as a bad credential.
    let body = error_of(response, 401).await;
    assert_eq!(body["error"], "bad_device_id");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("`X-Consent-Device`"));
}

/// F3: distinct over-long keys grew the limiter's memory without bound (162 MB in 8 s).
#[tokio::test]
async fn twenty_thousand_distinct_8_kb_credentials_grow_the_server_by_under_20_mb() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    // The address limit off, as behind a proxy: every request reaches the subject's limit.
    let server = app
        .process_with(None, &[("CONSENT_RATE_ADDRESS", "0")])
        .await;
    let long = |i: usize| format!("{i:0>8192}");
    // Warm: the first requests of a process allocate its pools.
    for i in 0..200 {
        let _ = status_of(
            server
                .app
                .get("/v1/consents")
                .header("X-Consent-Device", long(i)),
        )
        .await;
    }
    let before = server.resident_bytes();
    let statuses: Vec<u16> = futures_util::stream::iter(0..20_000)
        .map(|i| {
            let request = if i % 2 == 0 {
                server
                    .app
                    .get("/v1/consents")
                    .header("X-Consent-Device", long(i))
            } else {
                server.app.get("/v1/consents").bearer_auth(long(i))
            };
            status_of(request)
        })
        .buffered(16)
        .collect()
        .await;
    let grown = server.resident_bytes().saturating_sub(before);
    println!(
        "20,000 requests with distinct 8 KB credentials: the server grew by {:.1} MB",
        grown as f64 / 1e6
    );
    // An over-long token is malformed (400 token_too_long), an over-long device id no device
    // (401 bad_device_id): refused either way, before anything counts it.
    type Answers = Vec<(usize, u16)>;
    let (tokens, devices): (Answers, Answers) = statuses
        .iter()
        .copied()
        .enumerate()
        .partition(|(i, _)| i % 2 == 1);
    assert!(tokens.iter().all(|(_, s)| *s == 400), "{tokens:?}");
    assert!(devices.iter().all(|(_, s)| *s == 401), "{devices:?}");
    assert!(grown < 20_000_000, "grew by {grown} bytes");
}

/// A token whose `nbf` (not before) is still to come is refused until then.
#[tokio::test]
async fn a_token_not_valid_until_later_is_refused() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let token = |nbf: i64| {
        let claims = auth::Claims {
            sub: "u-later".into(),
            exp: now + 7_200,
            aud: auth::USER_AUDIENCE.into(),
            nbf: Some(nbf),
            role: None,
        };
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(USER_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let later = app
        .get("/v1/consents")
        .bearer_auth(token(now + 3_600))
        .send()
        .await
        .unwrap();
    let body = error_of(later, 401).await;
    assert!(
        body["message"].as_str().unwrap().contains("not valid yet"),
        "{body}"
    );
    let already = app
        .get("/v1/consents")
        .bearer_auth(token(now - 60))
        .send()
        .await
        .unwrap();
    assert_eq!(already.status(), 200);
}

/// A connection from `from` (a loopback address of its own) that has sent `first` and will
/// send nothing more.
async fn stalled_connection(
    server: std::net::SocketAddr,
    from: std::net::IpAddr,
    first: &'static [u8],
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::new(from, 0)).unwrap();
    let mut stream = socket.connect(server).await.expect("the server accepts");
    stream.write_all(first).await.unwrap();
    stream
}

/// How long after now the server closes `stream`.
async fn until_closed(mut stream: tokio::net::TcpStream) -> std::time::Duration {
    use tokio::io::AsyncReadExt;
    let since = std::time::Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return since.elapsed(),
            Ok(_) => continue,
        }
    }
}

fn socket_of(base: &str) -> std::net::SocketAddr {
    base.trim_start_matches("http://").parse().unwrap()
}

/// Asks `/healthz` on a fresh connection every 200 ms until `done`; the slowest answer.
async fn slowest_health(
    base: String,
    done: tokio::sync::watch::Receiver<bool>,
) -> std::time::Duration {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    let mut slowest = std::time::Duration::ZERO;
    while !*done.borrow() {
        let started = std::time::Instant::now();
        let status = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .map(|r| r.status());
        assert_eq!(
            status.ok().map(|s| s.as_u16()),
            Some(200),
            "/healthz answers"
        );
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    slowest
}

/// F9: connections that sent nothing, or part of the HTTP/2 preface, stayed open forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_hundred_stalled_connections_of_each_kind_are_closed_while_health_answers() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let server = app.process_with(None, &[]).await;
    let address = socket_of(&server.app.base);
    let (finished, done) = tokio::sync::watch::channel(false);
    let health = tokio::spawn(slowest_health(server.app.base.clone(), done));
    let kinds: [(&str, &'static [u8]); 3] = [
        ("nothing", b""),
        ("part of the HTTP/2 preface", b"PRI * HTTP/2.0\r\n"),
        (
            "part of HTTP/1 headers",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        ),
    ];
    let mut stalled = Vec::new();
    for (k, (_, first)) in kinds.iter().enumerate() {
        for i in 0..600 {
            // 100 from each address: under the cap one address may hold.
            let from = std::net::IpAddr::from([127, 0, 1, (k * 6 + i / 100 + 2) as u8]);
            // One at a time: the test is of stalled connections, not of a storm of connects.
            let stream = stalled_connection(address, from, first).await;
            stalled.push(tokio::spawn(until_closed(stream)));
        }
    }
    let since = std::time::Instant::now();
    let wait = std::time::Duration::from_secs(30);
    let mut closed_after = Vec::new();
    for (i, connection) in stalled.into_iter().enumerate() {
        let kind = kinds[i / 600].0;
        let after = tokio::time::timeout(wait.saturating_sub(since.elapsed()), connection)
            .await
            .unwrap_or_else(|_| panic!("a connection that sent {kind} is still open"))
            .unwrap();
        closed_after.push((kind, after));
    }
    finished.send(true).unwrap();
    let slowest = health.await.unwrap();
    let latest = closed_after.iter().map(|(_, d)| *d).max().unwrap();
    println!(
        "1,800 stalled connections: each closed at most {:.1} s after it opened; /healthz answered in at most {} ms meanwhile",
        latest.as_secs_f64(),
        slowest.as_millis()
    );
    let (deadline, second) = (
        consent_server::http::limits::HEADER_TIMEOUT,
        std::time::Duration::from_secs(1),
    );
    for (kind, after) in closed_after {
        assert!(
            after >= deadline - second && after <= deadline + 5 * second,
            "a connection that sent {kind} closed {after:?} after it opened"
        );
    }
    assert!(slowest < std::time::Duration::from_secs(1), "{slowest:?}");
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let server = app.process_with(None, &[]).await;
    let address = socket_of(&server.app.base);
    let cap = consent_server::http::limits::CONNECTIONS_PER_ADDRESS;
    let from = std::net::IpAddr::from([127, 0, 2, 1]);
    let mut connections = Vec::new();
    for _ in 0..cap + 44 {
        let stream = stalled_connection(address, from, b"").await;
        connections.push(tokio::spawn(until_closed(stream)));
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let closed_at_once = connections.iter().filter(|c| c.is_finished()).count();
    assert_eq!(
        closed_at_once, 44,
        "the connections over the cap are closed at once"
    );
    let other = reqwest::get(format!("{}/healthz", server.app.base))
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "another address is served meanwhile");
}

/// A trusted proxy carries every client's connections: its own are capped only in all, while
/// another address keeps its cap. Configured through the environment, as a deployment would.
#[tokio::test]
async fn a_trusted_proxy_is_not_held_to_one_address_share_of_connections() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let server = app
        .process_with(
            None,
            &[
                ("CONSENT_TRUSTED_PROXIES", "10.0.0.0/8,127.0.3.1"),
                ("CONSENT_CONNECTIONS_PER_ADDRESS", "4"),
            ],
        )
        .await;
    let address = socket_of(&server.app.base);
    let (proxy, client) = (
        std::net::IpAddr::from([127, 0, 3, 1]),
        std::net::IpAddr::from([127, 0, 3, 2]),
    );
    let mut from_proxy = Vec::new();
    let mut from_client = Vec::new();
    for _ in 0..10 {
        let stream = stalled_connection(address, proxy, b"").await;
        from_proxy.push(tokio::spawn(until_closed(stream)));
        let stream = stalled_connection(address, client, b"").await;
        from_client.push(tokio::spawn(until_closed(stream)));
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let closed = |connections: &[tokio::task::JoinHandle<_>]| {
        connections.iter().filter(|c| c.is_finished()).count()
    };
    assert_eq!(
        closed(&from_proxy),
        0,
        "the proxy's 10 connections stay open"
    );
    assert_eq!(
        closed(&from_client),
        6,
        "the client's over its cap of 4 are closed"
    );
}

/// Today in Kazakhstan, as the server dates editions.
fn kazakhstan_today() -> consent_core::CalendarDate {
    consent_core::Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
    .kazakhstan_date()
}

/// Publishes the shipped edition again as `version`, dated `published`, with `words` words
/// appended to clause 2.1 in each language.
async fn publish_with_long_clause(
    app: &TestApp,
    version: &str,
    published: consent_core::CalendarDate,
    words: &str,
) {
    let source = |lang: &str| {
        let path = format!(
            "{}/../policy/editions/2026-11/{lang}.md",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        let (head, rest) = text.split_once("\n2.1. ").unwrap();
        let (clause, tail) = rest.split_once('\n').unwrap();
        format!("{head}\n2.1. {clause} {words}\n{tail}")
            .replace("edition: \"2026-11\"", &format!("edition: \"{version}\""))
            .replace("published: 2026-11-01", &format!("published: {published}"))
    };
    let response = app
        .post("/v1/admin/editions")
        .bearer_auth(staff_token("editor", auth::StaffRole::PolicyEditor))
        .json(&serde_json::json!({ "sources": { "kk": source("kk"), "ru": source("ru") } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

/// F10: two editions with 60,000 words in a clause took 23.7 s to compare, and held up
/// `/v1/policy/current` meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comparing_two_huge_editions_answers_within_a_second_and_holds_up_no_one() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let today = kazakhstan_today();
    let words = |seed: u32| -> String {
        (0..60_000u32)
            .map(|i| format!("w{:x}", (i ^ seed).wrapping_mul(2_654_435_761) % 1_000_003))
            .collect::<Vec<_>>()
            .join(" ")
    };
    publish_with_long_clause(&app, "2027-01", today, &words(1)).await;
    publish_with_long_clause(&app, "2027-02", today, &words(7)).await;
    publish_with_long_clause(&app, "2027-03", today.add_days(30), "").await;

    let changes = |from: &'static str, to: &'static str| {
        let app = app.clone_client();
        async move {
            let started = std::time::Instant::now();
            let response = app
                .public(&format!("/v1/policy/{to}/changes?from={from}&lang=ru"))
                .await;
            let status = response.status().as_u16();
            let _ = response.bytes().await.unwrap();
            (status, started.elapsed())
        }
    };
    let first = tokio::spawn(changes("2027-01", "2027-02"));
    let mut slowest_current = std::time::Duration::ZERO;
    while !first.is_finished() {
        let started = std::time::Instant::now();
        assert_eq!(app.public("/v1/policy/current").await.status(), 200);
        slowest_current = slowest_current.max(started.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (status, took) = first.await.unwrap();
    assert_eq!(status, 200);
    let (again, took_again) = changes("2027-01", "2027-02").await;
    assert_eq!(again, 200);
    let (reverse, took_reverse) = changes("2027-02", "2027-01").await;
    assert_eq!(reverse, 200);
    println!(
        "60,000-word clauses compared in {} ms (again: {} ms; the other way: {} ms); /v1/policy/current at most {} ms meanwhile",
        took.as_millis(),
        took_again.as_millis(),
        took_reverse.as_millis(),
        slowest_current.as_millis()
    );
    for took in [took, took_again, took_reverse] {
        assert!(took < std::time::Duration::from_secs(1), "{took:?}");
    }
    assert!(
        slowest_current < std::time::Duration::from_millis(500),
        "{slowest_current:?}"
    );
    // An edition dated ahead is not published yet: nothing to compare with.
    let (unpublished, _) = changes("2027-02", "2027-03").await;
    assert_eq!(unpublished, 404);
}

/// Alert flooding: only the latest 200 alerts were shown, so 200 more hid the one that
/// mattered. Every alert is kept, and the privacy officer pages back to the first.
#[tokio::test]
async fn an_alert_buried_under_three_hundred_newer_ones_is_still_found_page_by_page() {
    let app = spawn_app_with(Db::Sqlite, |s| s.alerts.subjects_per_hour = 3)
        .await
        .unwrap();
    let support = staff_token("sup-curious", auth::StaffRole::Support);
    for i in 0..5 {
        let path = format!("/v1/admin/subjects/u-buried-{i}/records?reason=ticket");
        let read = app.get(&path).bearer_auth(&support).send().await.unwrap();
        assert_eq!(read.status(), 200);
    }
    // The flood: reads without a reason, each one an alert of its own.
    let flooder = staff_token("sup-flooder", auth::StaffRole::Support);
    for _ in 0..300 {
        let read = app
            .get("/v1/admin/subjects/u-any/records")
            .bearer_auth(&flooder)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), 422);
    }
    let dpo = staff_token("dpo", auth::StaffRole::PrivacyOfficer);
    let (mut path, mut seen, mut pages) = ("/v1/admin/alerts?limit=120".to_owned(), Vec::new(), 0);
    let total = loop {
        let page = app.get_json(&path, &dpo).await;
        pages += 1;
        seen.extend(page["alerts"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => path = format!("/v1/admin/alerts?limit=120&before={next}"),
            None => break page["total"].as_i64().unwrap(),
        }
    };
    assert_eq!(total, 301);
    assert_eq!((seen.len(), pages), (301, 3), "every alert, once");
    let ids: std::collections::BTreeSet<_> = seen.iter().map(|a| a["id"].to_string()).collect();
    assert_eq!(ids.len(), 301, "no alert on two pages");
    let buried = seen.last().unwrap();
    assert_eq!(
        (&buried["kind"], &buried["staff"]),
        (
            &serde_json::json!("many_subjects"),
            &serde_json::json!("sup-curious")
        ),
        "the oldest, on the last page"
    );
    let bad = app
        .get("/v1/admin/alerts?before=yesterday")
        .bearer_auth(&dpo)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(bad, 422).await["error"], "invalid");
}

/// F12: on a shared browser, A signs out; B answers the banner the signed-out browser shows and
/// signs in. None of B's doing may join A's account through the device A signed in from: that
/// device id is A's from the link on, and B's browser takes a new one, which B's sign-in carries.
#[tokio::test]
async fn what_someone_does_on_a_browser_after_its_user_signed_out_never_joins_that_account() {
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let device = new_device();
    app.answer_as_device(&device, serde_json::json!({ "promotion": true }))
        .await;
    let alice = user_token("u-alice");
    app.consents_from_device(&alice, &device).await; // signs in: the device is linked
    let linked_records = app
        .count_rows("ledger", &format!("device:{}", device.id))
        .await;

    // Alice signs out. Bob, on the same browser, answers the banner: the device Alice signed in
    // from is refused, as a device the server does not know would be.
    let body = serde_json::json!({ "policy_version": "2026-11", "lang": "kk", "choices": { "surveys": true } });
    let shown = serde_json::json!({ "events": [event("banner_shown")] });
    for request in [
        app.put("/v1/consents").json(&body),
        app.post("/v1/events").json(&shown),
    ] {
        let refused = request.device(&device).send().await.unwrap();
        assert_eq!(error_of(refused, 401).await["error"], "device_signed_out");
    }
    assert_eq!(
        app.count_rows("ledger", &format!("device:{}", device.id))
            .await,
        linked_records,
        "nothing joined the linked device's chain"
    );
    // Bob's browser takes a new device, answers with it, and signs in: his answer is his.
    let bobs = new_device();
    app.answer_as_device(&bobs, serde_json::json!({ "surveys": true }))
        .await;
    let bob = user_token("u-bob");
    let carried = app.consents_from_device(&bob, &bobs).await;
    assert!(
        granted(&carried, "surveys"),
        "Bob's answer is carried to Bob: {carried}"
    );

    let mine = app.get_json("/v1/me/data", &alice).await.to_string();
    assert!(
        mine.contains(r#""promotion":true"#),
        "Alice's own answer from before: {mine}"
    );
    assert!(
        !mine.contains(r#""surveys":true"#),
        "Bob's answer is not Alice's: {mine}"
    );
    assert!(
        !mine.contains("banner_shown"),
        "nor the banner Bob was shown: {mine}"
    );
    // Signed in again on her browser, Alice is served as herself.
    assert_eq!(
        app.consents_from_device(&alice, &device).await["answered"],
        true
    );
}
