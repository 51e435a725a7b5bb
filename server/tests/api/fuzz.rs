//! Request bodies fuzzed against the real server: valid bodies of every write, mutated at
//! random (a value replaced by one of another type or a hostile string, a key removed or
//! added, nesting deepened). Each answer is a 2xx or a 4xx with the JSON error naming the
//! problem, never a 5xx, and what was refused left no trace: every chain still verifies.

use crate::helpers::*;
use consent_server::http::limits::RateLimits;
use proptest::test_runner::{Config, RngAlgorithm, TestRng};
use serde_json::{json, Value};

/// A number below `n` from proptest's RNG, seeded: a failure comes back when run again.
trait Below {
    fn below(&mut self, n: usize) -> usize;
}

impl Below for TestRng {
    fn below(&mut self, n: usize) -> usize {
        use proptest::prelude::Rng;
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

fn hostile_value(rng: &mut TestRng) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(1e308),
        4 => json!(""),
        5 => json!("<img src=x onerror=alert(1)>"),
        6 => json!("\u{202e}gnp.exe"),
        7 => json!("x".repeat(5000)),
        8 => json!([]),
        9 => json!({}),
        10 => json!("2026-02-30T25:61:00Z"),
        _ => json!("\u{0}\u{ffff}ә"),
    }
}

/// One random change somewhere in `value`.
fn mutate(value: &mut Value, rng: &mut TestRng, depth: usize) {
    let descend = depth < 4 && rng.below(3) > 0;
    match value {
        Value::Object(map) if !map.is_empty() && descend => {
            let key = map.keys().nth(rng.below(map.len())).unwrap().clone();
            mutate(map.get_mut(&key).unwrap(), rng, depth + 1);
        }
        Value::Array(items) if !items.is_empty() && descend => {
            let at = rng.below(items.len());
            mutate(&mut items[at], rng, depth + 1);
        }
        Value::Object(map) => match rng.below(3) {
            0 if !map.is_empty() => {
                let key = map.keys().nth(rng.below(map.len())).unwrap().clone();
                map.remove(&key);
            }
            1 => {
                map.insert("admin".into(), hostile_value(rng));
            }
            _ => *value = hostile_value(rng),
        },
        Value::Array(items) if rng.below(2) == 0 => {
            let copy = items.first().cloned().unwrap_or(Value::Null);
            items.extend(std::iter::repeat_n(copy, rng.below(150)));
        }
        _ => *value = hostile_value(rng),
    }
}

fn valid_bodies() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "PUT",
            "/v1/consents",
            json!({ "policy_version": "2026-11", "lang": "kk", "choices": { "surveys": true, "promotion": false } }),
        ),
        (
            "POST",
            "/v1/events",
            json!({ "events": [event("banner_shown"), event("choices_opened")] }),
        ),
        (
            "POST",
            "/v1/withdrawals",
            json!({ "purposes": ["surveys"], "lang": "ru" }),
        ),
        (
            "PUT",
            "/v1/admin/subjects/u-fuzz/data",
            json!({ "items": [{ "category": "phone", "value": "+77010000000", "source": "user" }] }),
        ),
    ]
}

#[tokio::test]
async fn mutated_bodies_of_every_write_get_a_clear_answer_and_leave_no_trace() {
    let app = spawn_app_with(Db::Sqlite, |s| s.limits = RateLimits::off())
        .await
        .unwrap();
    let token = user_token("u-fuzz");
    let service = service_token();
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[29; 32]);
    let cases = Config::default().cases as usize; // 256, or PROPTEST_CASES
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..cases {
        for (method, path, valid) in valid_bodies() {
            let mut body = valid.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut body, &mut rng, 0);
            }
            let bearer = if path.starts_with("/v1/admin") {
                &service
            } else {
                &token
            };
            let request = match method {
                "PUT" => app.put(path),
                _ => app.post(path),
            };
            let response = request
                .bearer_auth(bearer)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert!(
                status < 500,
                "case {case}: {method} {path} {body} -> {status} {text}"
            );
            if status >= 400 {
                refused += 1;
                let error: Value =
                    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
                assert!(
                    error["error"].is_string()
                        && !error["message"].as_str().unwrap_or("").is_empty(),
                    "{text}"
                );
            } else {
                accepted += 1;
            }
        }
    }
    println!(
        "fuzzed writes: {accepted} accepted, {refused} refused with their error, 0 server errors"
    );
    assert!(
        refused > cases,
        "the mutations reach the checks: {refused} refused"
    );
    let verified = app
        .get("/v1/admin/subjects/u-fuzz/verify?reason=fuzz")
        .bearer_auth(staff_token(
            "dpo",
            consent_server::auth::StaffRole::PrivacyOfficer,
        ))
        .send()
        .await
        .unwrap();
    let report: Value = verified.json().await.unwrap();
    assert!(report["problem"].is_null(), "the chain verifies: {report}");
    assert!(report["records"].as_u64().unwrap() > 0, "{report}");
}
