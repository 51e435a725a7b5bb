use crate::both_databases;
use crate::helpers::*;
use consent_server::auth::StaffRole;
use serde_json::{json, Value};

async fn policy_is_served_in_each_language_with_its_dates(app: TestApp) {
    for (asked, served, title) in [
        ("kk", "kk", "Құпиялылық саясаты"),
        ("ru", "ru", "Политика конфиденциальности"),
        ("en", "ru", "Политика конфиденциальности"),
    ] {
        let response = app.public(&format!("/v1/policy?lang={asked}")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-language"], served);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["edition"]["title"], title);
        assert_eq!(body["language"], served);
        assert_eq!(body["requested_language"], asked);
        assert_eq!(body["published"], "2026-11-01");
        assert_eq!(
            body["deemed_accepted_from"], "2026-11-08",
            "publication + 7 calendar days (1.6)"
        );
        assert_eq!(body["edition"]["sections"].as_array().unwrap().len(), 6);
    }
    let old = app.public("/v1/policy/2026-11?lang=ru").await;
    assert_eq!(old.status(), 200);
    error_of(app.public("/v1/policy/1999-01").await, 404).await;
    let bad = error_of(app.public("/v1/policy?lang=de").await, 422).await;
    assert_eq!(bad["error"], "unknown_language");
}

async fn catalogs_list_purposes_with_clause_anchors_and_categories(app: TestApp) {
    let purposes: Value = app.public_json("/v1/purposes?lang=en").await;
    let contests = by_id(&purposes, "contests_publicity");
    assert_eq!(contests["necessary"], false);
    assert_eq!(contests["default_granted"], false);
    assert!(contests["summary"].as_str().unwrap().contains("prizes"));
    assert_eq!(
        contests["clauses"],
        json!([{ "reference": "2.2.5", "anchor": "c2-2-5" }])
    );
    let kk: Value = app.public_json("/v1/purposes?lang=kk").await;
    let ads = by_id(&kk, "personalised_ads");
    assert_eq!(
        ads["clauses"].as_array().unwrap().len(),
        2,
        "kk 2.2.9 and 2.2.10"
    );
    let categories: Value = app.public_json("/v1/data-categories?lang=ru").await;
    let categories = categories.as_array().unwrap();
    assert_eq!(categories.len(), 14);
    let face = categories.iter().find(|c| c["id"] == "face_image").unwrap();
    assert_eq!(face["sensitivity"], "sensitive");
    assert_eq!(face["name"], "Изображение лица");
}

async fn the_widget_reads_the_whole_catalog_and_the_words_of_one_language(app: TestApp) {
    let response = app.public("/v1/catalog").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert_eq!(response.headers()["content-type"], "application/json");
    let catalog: Value = response.json().await.unwrap();
    let contests = by_id(&catalog["purposes"], "contests_publicity");
    assert_eq!(contests["basis"], "consent");
    assert_eq!(contests["clauses"]["kk"], json!(["2.2.5"]));
    for lang in ["kk", "ru", "en"] {
        assert!(
            contests["title"][lang].is_string(),
            "every language's title: {lang}"
        );
    }
    assert!(
        contests["warning"]["ru"].is_string(),
        "what /v1/purposes leaves out"
    );
    assert_eq!(catalog["categories"].as_array().unwrap().len(), 14);

    let ru: Value = app.public_json("/v1/texts?lang=ru").await;
    assert_eq!(ru["accept_all"], "Принять все");
    let kk: Value = app.public_json("/v1/texts?lang=kk").await;
    assert_eq!(kk["accept_all"], "Барлығын қабылдау");
    assert_eq!(
        kk.as_object().unwrap().len(),
        ru.as_object().unwrap().len(),
        "every language has every word"
    );
    assert!(ru.get("banner_title").is_some() && kk.get("en").is_none());
    let bad = error_of(app.public("/v1/texts?lang=de").await, 422).await;
    assert_eq!(bad["error"], "unknown_language");
}

fn edition_source(lang: &str, version: &str, published: &str) -> String {
    let title = if lang == "kk" {
        "Құпиялылық саясаты"
    } else {
        "Политика конфиденциальности"
    };
    format!("---\nedition: \"{version}\"\npublished: {published}\nlanguage: {lang}\n---\n\n# {title}\n\n## 1. ONE\n\n1.1. Text of {lang}.\n")
}

pub async fn publish(app: &TestApp, version: &str, published: &str) -> reqwest::Response {
    app.post("/v1/admin/editions")
        .bearer_auth(staff_token("editor", StaffRole::PolicyEditor))
        .json(&json!({ "sources": { "kk": edition_source("kk", version, published), "ru": edition_source("ru", version, published) } }))
        .send()
        .await
        .unwrap()
}

async fn a_new_edition_makes_acceptance_out_of_date_until_accepted_by_button(app: TestApp) {
    let token = user_token("u-edition");
    assert_eq!(
        app.put_consents(&token, json!({ "surveys": true }))
            .await
            .status(),
        200
    );
    let state = app.consents(&token).await;
    assert_eq!(state["current_accepted"], true);
    assert_eq!(state["accepted"]["method"], "button");

    let today = consent_core::Timestamp(chrono_free_now())
        .kazakhstan_date()
        .to_string();
    assert_eq!(publish(&app, "2026-12", &today).await.status(), 201);
    let policy: Value = app.public_json("/v1/policy?lang=kk").await;
    assert_eq!(policy["version"], "2026-12");

    let state = app.consents(&token).await;
    assert_eq!(state["current_edition"], "2026-12");
    assert_eq!(
        state["current_accepted"], false,
        "published today: not deemed before 7 days"
    );
    assert_eq!(state["accepted"]["edition"], "2026-11");

    let accept = json!({ "events": [{ "id": uuid::Uuid::new_v4().to_string(), "kind": "policy_accepted_by_button", "at": "2026-12-02T10:00:00.000Z", "edition": "2026-12" }] });
    let response = app.post_events(&token, &accept).await;
    assert_eq!(response.status(), 200);
    let state = app.consents(&token).await;
    assert_eq!(state["current_accepted"], true);
    assert_eq!(state["accepted"]["method"], "button");
    assert!(granted(&state, "surveys"), "choices survive a new edition");
}

fn chrono_free_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// 1.6 counted in calendar days in Kazakhstan: on day 6 after publication continued use is not
/// acceptance, on days 7 and 8 it is; recorded once, even when visits come at the same moment.
async fn continued_use_from_the_seventh_day_counts_as_acceptance_once(app: TestApp) {
    for (days, deemed) in [(6, false), (7, true), (8, true)] {
        let app = app.another().await;
        let token = user_token("u-deemed");
        let answered = app
            .put_consents(&token, json!({ "promotion": false }))
            .await;
        assert_eq!(answered.status(), 200);
        let first = app;
        let app = first
            .with_edition_published_days_ago("2026-10b", days)
            .await;
        // Eight visits at the same moment.
        let visits: Vec<_> = (0..8)
            .map(|_| tokio::spawn(app.get("/v1/consents").bearer_auth(&token).send()))
            .collect();
        for visit in visits {
            assert_eq!(visit.await.unwrap().unwrap().status(), 200);
        }
        let state = app.consents(&token).await;
        assert_eq!(state["current_edition"], "2026-10b");
        assert_eq!(state["current_accepted"], deemed, "day {days}");
        let acceptances: Vec<Value> = app
            .ledger_of("u-deemed")
            .await
            .into_iter()
            .filter(|e| kind_of(e) == "edition_accepted" && detail_of(e)["edition"] == "2026-10b")
            .collect();
        if deemed {
            assert_eq!(state["accepted"]["method"], "deemed_by_continued_use");
            assert_eq!(
                acceptances.len(),
                1,
                "day {days}: once, though 9 visits came"
            );
        } else {
            assert_eq!(state["accepted"]["edition"], "2026-11");
            assert!(acceptances.is_empty(), "day {days}");
        }
    }
}

/// A late acceptance of an older edition (an event sent from an outbox after days offline)
/// never replaces the acceptance of a newer one.
async fn an_older_edition_accepted_late_does_not_replace_a_newer_one(app: TestApp) {
    let token = user_token("u-late");
    let today = consent_core::Timestamp(chrono_free_now())
        .kazakhstan_date()
        .to_string();
    assert_eq!(publish(&app, "2026-12", &today).await.status(), 201);
    let accept = |edition: &str| json!({ "events": [{ "id": uuid::Uuid::new_v4().to_string(), "kind": "policy_accepted_by_button", "at": "2026-12-02T10:00:00.000Z", "edition": edition }] });
    assert_eq!(
        app.post_events(&token, &accept("2026-12")).await.status(),
        200
    );
    assert_eq!(
        app.post_events(&token, &accept("2026-11")).await.status(),
        200
    );
    let state = app.consents(&token).await;
    assert_eq!(state["accepted"]["edition"], "2026-12");
    assert_eq!(state["current_accepted"], true);
}

async fn an_edition_cannot_be_published_on_a_past_date(app: TestApp) {
    let yesterday = consent_core::Timestamp(chrono_free_now())
        .kazakhstan_date()
        .add_days(-1)
        .to_string();
    let refused = error_of(publish(&app, "2026-10z", &yesterday).await, 422).await;
    assert!(
        refused["message"].as_str().unwrap().contains("past date"),
        "{refused}"
    );
    let policy: Value = app.public_json("/v1/policy?lang=kk").await;
    assert_eq!(policy["version"], "2026-11");
}

async fn only_policy_editors_publish_and_only_valid_editions(app: TestApp) {
    let as_support = app
        .post("/v1/admin/editions")
        .bearer_auth(staff_token("s", StaffRole::Support))
        .json(&json!({ "sources": {} }))
        .send()
        .await
        .unwrap();
    error_of(as_support, 403).await;
    let as_user = app
        .post("/v1/admin/editions")
        .bearer_auth(user_token("u"))
        .json(&json!({ "sources": {} }))
        .send()
        .await
        .unwrap();
    error_of(as_user, 401).await;
    let missing_ru = app
        .post("/v1/admin/editions")
        .bearer_auth(staff_token("e", StaffRole::PolicyEditor))
        .json(&json!({ "sources": { "kk": edition_source("kk", "x-1", "2026-01-01") } }))
        .send()
        .await
        .unwrap();
    assert!(message_of(missing_ru, 422).await.contains("ru"));
    let broken = app
        .post("/v1/admin/editions")
        .bearer_auth(staff_token("e", StaffRole::PolicyEditor))
        .json(&json!({ "sources": { "kk": "no front matter", "ru": edition_source("ru", "x-1", "2026-01-01") } }))
        .send()
        .await
        .unwrap();
    assert!(message_of(broken, 422).await.contains("line 1"));
    error_of(publish(&app, "2026-11", "2026-11-01").await, 422).await;
    let current: Value = app.public_json("/v1/policy").await;
    assert_eq!(current["version"], "2026-11", "nothing was published");
}

async fn openapi_lists_every_endpoint(app: TestApp) {
    let doc: Value = app.public_json("/v1/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/policy",
        "/v1/policy/{version}",
        "/v1/purposes",
        "/v1/data-categories",
        "/v1/catalog",
        "/v1/texts",
        "/v1/consents",
        "/v1/events",
        "/v1/withdrawals",
        "/v1/me/data",
        "/v1/me/export",
        "/v1/admin/subjects/{user}/data",
        "/v1/admin/subjects/{user}/records",
        "/v1/admin/subjects/{user}/verify",
        "/v1/admin/editions",
        "/v1/checkpoints/latest",
        "/healthz",
    ] {
        assert!(paths.contains_key(path), "{path} missing from OpenAPI");
    }
    // Every status a write can answer, with the error body.
    let put = &doc["paths"]["/v1/consents"]["put"];
    for status in ["200", "400", "401", "413", "415", "422", "500"] {
        assert!(
            put["responses"][status].is_object(),
            "PUT /v1/consents {status}"
        );
    }
    assert_eq!(
        put["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    assert!(
        doc["paths"]["/v1/admin/subjects/{user}/records"]["get"]["responses"]["403"].is_object()
    );
    // What the server requires, said in the document: a necessary purpose is only granted, an
    // edition is one that exists, a staff look needs its reason.
    let choices = &doc["components"]["schemas"]["ConsentUpdate"]["properties"]["choices"];
    assert_eq!(choices["properties"]["service"]["const"], true);
    assert_eq!(choices["properties"]["surveys"]["type"], "boolean");
    assert_eq!(choices["additionalProperties"], false);
    let version = &doc["components"]["schemas"]["ConsentUpdate"]["properties"]["policy_version"];
    assert_eq!(version["enum"], json!(["2026-11"]));
    let reason = doc["paths"]["/v1/admin/subjects/{user}/records"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "reason")
        .unwrap()
        .clone();
    assert_eq!(reason["required"], true);
    assert_eq!(reason["in"], "query");
    assert_eq!(
        doc["paths"]["/v1/consents"]["put"]["security"][1],
        json!({ "device_id": [], "device_proof": [] }),
        "a device id counts only with its proof"
    );
    assert_eq!(app.public("/healthz").await.text().await.unwrap(), "ok");
}

/// Publications are evidence too: each edition is a record in the company's own chain, which
/// `verify` checks and the signed checkpoints cover.
async fn each_published_edition_is_a_record_in_the_company_chain(app: TestApp) {
    let today = consent_core::Timestamp(chrono_free_now())
        .kazakhstan_date()
        .to_string();
    assert_eq!(publish(&app, "2026-12", &today).await.status(), 201);
    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("ok      company: 2 records"),
        "the shipped edition and the new one: {stdout}"
    );
}

/// The fixture edition 2026-12 (2026-11 with item 5 of 2.2 changed and a clause 2.9 added),
/// published today.
async fn publish_fixture(app: &TestApp) {
    let today = consent_server::clock::now().kazakhstan_date().to_string();
    let source = |lang: &str| {
        std::fs::read_to_string(format!(
            "{}/../policy/fixtures/2026-12/{lang}.md",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .replace("published: 2026-12-01", &format!("published: {today}"))
    };
    let response = app
        .post("/v1/admin/editions")
        .bearer_auth(staff_token("editor", StaffRole::PolicyEditor))
        .json(&json!({ "sources": { "kk": source("kk"), "ru": source("ru") } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

async fn what_changed_between_editions_is_said_clause_by_clause_with_the_words_marked(
    app: TestApp,
) {
    publish_fixture(&app).await;
    for (lang, gone, came, added) in [
        (
            "ru",
            "в любом виде, который Компания сочтет подходящим по собственному усмотрению",
            "только с отдельного согласия Пользователя",
            "Пользователь вправе получить подписанную квитанцию",
        ),
        (
            "kk",
            "Компания өз қалауы бойынша қолайлы деп санайтын",
            "тек Пайдаланушының жеке келісімімен",
            "Пайдаланушы берілген немесе кері қайтарылған",
        ),
    ] {
        let changes = app
            .public_json(&format!(
                "/v1/policy/2026-12/changes?from=2026-11&lang={lang}"
            ))
            .await;
        assert_eq!(
            (&changes["from"], &changes["to"], &changes["language"]),
            (&json!("2026-11"), &json!("2026-12"), &json!(lang))
        );
        let clauses = changes["clauses"].as_array().unwrap();
        let summary: Vec<(String, String)> = clauses
            .iter()
            .map(|c| {
                (
                    c["number"].as_str().unwrap().to_owned(),
                    c["change"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected =
            [("2.2.5", "changed"), ("2.9.", "added")].map(|(n, c)| (n.to_owned(), c.to_owned()));
        assert_eq!(
            summary, expected,
            "{lang}: item 5 of 2.2 on its own, and the new clause"
        );
        let runs = |i: usize, kind: &str| -> String {
            clauses[i]["words"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|w| w["change"] == kind)
                .map(|w| w["text"].as_str().unwrap())
                .collect()
        };
        let phrase = |text: String| text.trim().trim_end_matches(',').to_owned();
        assert_eq!(phrase(runs(0, "removed")), gone, "{lang}");
        assert_eq!(phrase(runs(0, "added")), came, "{lang}");
        assert!(
            runs(0, "same").starts_with("5) "),
            "the rest of the item is there, unmarked"
        );
        assert!(
            !runs(0, "same").contains("4) "),
            "and not the items around it"
        );
        assert!(runs(1, "added").starts_with(added), "{lang}");
    }
    let unasked = app.public("/v1/policy/2026-12/changes?lang=ru").await;
    assert!(message_of(unasked, 422).await.contains("?from="));
    let unknown = app.public("/v1/policy/2026-12/changes?from=1999-01").await;
    assert_eq!(error_of(unknown, 404).await["error"], "not_found");
}

both_databases!(
    what_changed_between_editions_is_said_clause_by_clause_with_the_words_marked,
    each_published_edition_is_a_record_in_the_company_chain,
    policy_is_served_in_each_language_with_its_dates,
    catalogs_list_purposes_with_clause_anchors_and_categories,
    the_widget_reads_the_whole_catalog_and_the_words_of_one_language,
    a_new_edition_makes_acceptance_out_of_date_until_accepted_by_button,
    continued_use_from_the_seventh_day_counts_as_acceptance_once,
    an_older_edition_accepted_late_does_not_replace_a_newer_one,
    an_edition_cannot_be_published_on_a_past_date,
    only_policy_editors_publish_and_only_valid_editions,
    openapi_lists_every_endpoint,
);
