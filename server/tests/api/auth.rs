use crate::both_databases;
use crate::helpers::*;
use consent_server::auth::{self, Secret};
use serde_json::json;

fn bad_tokens_for(user: &str) -> Vec<(&'static str, String)> {
    let good = user_token(user);
    let parts: Vec<&str> = good.split('.').collect();
    let other = user_token("someone-else");
    let other_payload = other.split('.').nth(1).unwrap();
    let user_secret = Secret::new(USER_SECRET.as_bytes());
    vec![
        (
            "expired",
            auth::issue(&user_secret, auth::USER_AUDIENCE, user, None, -3600),
        ),
        (
            "alg none",
            format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]),
        ),
        (
            "tampered payload",
            format!("{}.{}.{}", parts[0], other_payload, parts[2]),
        ),
        (
            "wrong audience",
            auth::issue(&user_secret, "another-service", user, None, 600),
        ),
        (
            "wrong secret",
            auth::issue(
                &Secret::new(b"an-attacker-secret-0123456789abcdef0123"),
                auth::USER_AUDIENCE,
                user,
                None,
                600,
            ),
        ),
        (
            "service token",
            auth::issue(
                &Secret::new(SERVICE_SECRET.as_bytes()),
                auth::SERVICE_AUDIENCE,
                user,
                None,
                600,
            ),
        ),
        ("garbage", "not.a.token".into()),
    ]
}

async fn bad_tokens_get_401_and_nothing_is_read_or_written(app: TestApp) {
    let victim = "victim";
    assert_eq!(
        app.put_consents(&user_token(victim), json!({ "surveys": true }))
            .await
            .status(),
        200
    );
    let before = app.ledger_of(victim).await.len();
    for (what, token) in bad_tokens_for(victim) {
        let read = app
            .get("/v1/consents")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let body = error_of(read, 401).await;
        assert_eq!(body["error"], "unauthorized", "{what}");
        let write = app
            .put("/v1/consents")
            .bearer_auth(&token)
            .device(&new_device())
            .json(&json!({ "policy_version": "2026-11", "lang": "kk", "choices": { "surveys": false } }))
            .send()
            .await
            .unwrap();
        error_of(write, 401).await;
        let data = app
            .get("/v1/me/data")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        error_of(data, 401).await;
    }
    assert_eq!(
        app.ledger_of(victim).await.len(),
        before,
        "no record was added"
    );
    assert!(granted(&app.consents(&user_token(victim)).await, "surveys"));
    let basic = app
        .get("/v1/consents")
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    error_of(basic, 401).await;
    let expired = error_of(
        app.get("/v1/me/data")
            .bearer_auth(&bad_tokens_for(victim)[0].1)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert!(expired["message"].as_str().unwrap().contains("expired"));
}

async fn cors_allows_only_configured_origins(app: TestApp) {
    let preflight = |origin: &'static str| {
        app.http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/v1/consents", app.base),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "PUT")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type,x-consent-device",
            )
            .send()
    };
    let allowed = preflight("https://dosmart.kz").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dosmart.kz"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

both_databases!(
    bad_tokens_get_401_and_nothing_is_read_or_written,
    cors_allows_only_configured_origins
);
