//! `--demo`: a sample user with data on file, and a page that signs them in.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Json;
use axum::Router;
use consent_core::api::DataSource;
use consent_core::DataCategoryId;

use crate::auth::{self, USER_AUDIENCE};
use crate::state::AppState;
use crate::store::held;
use crate::store::held::HeldValue;
use crate::store::StoreError;

pub const DEMO_USER: &str = "demo-user";

/// Not the Company's address: a placeholder that says so, for written applications in the demo.
pub const COMPANY_ADDRESS: &str = "010000, г. Астана, ул. Примерная, 1 (адрес для демонстрации)";

const SAMPLE: &[(&str, &str, DataSource)] = &[
    ("full_name", "Айгерім Сәрсенқызы Ахметова", DataSource::User),
    ("phone", "+7 701 234 56 78", DataSource::User),
    ("email", "aigerim@example.kz", DataSource::User),
    (
        "identity_document",
        "ID 045678912, both sides",
        DataSource::User,
    ),
    ("face_image", "avatar-2026-03.jpg", DataSource::User),
    ("ip_address", "95.56.12.34", DataSource::Company),
    (
        "geolocation",
        "Almaty, 43.24 N 76.89 E",
        DataSource::Company,
    ),
    (
        "browser_os",
        "Chrome 131 on Android 15",
        DataSource::Company,
    ),
    ("social_name", "aigerim.a", DataSource::ThirdParty),
];

pub async fn seed(app: &AppState) -> Result<(), StoreError> {
    let mut conn = app.store.pool().acquire().await?;
    let seeded = !held::held(&mut conn, DEMO_USER).await?.is_empty();
    drop(conn);
    if seeded {
        return Ok(());
    }
    let now = crate::clock::now();
    let mut tx = app.store.begin().await?;
    for (category, value, source) in SAMPLE {
        let id = DataCategoryId::parse(category).expect("sample categories are in the catalog");
        let held = HeldValue {
            value: (*value).to_owned(),
            source: *source,
            since: now,
        };
        held::upsert_held(&mut tx, DEMO_USER, id, &held, now).await?;
    }
    tx.commit().await
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/demo/token", get(demo_token))
        // The demo storefront, which embeds the widget with its one script tag.
        .route(
            "/",
            get(|| async { axum::response::Redirect::temporary("/shop.html") }),
        )
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    user: Option<String>,
}

/// Signs the demo page in as the sample user (or `?user=`): what the real site does with its
/// own login. The demo's secret is random per start and never the real one (see `cli`).
async fn demo_token(
    State(app): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Json<serde_json::Value> {
    let user = q
        .user
        .filter(|u| !u.is_empty() && u.len() <= 128 && !u.chars().any(char::is_control))
        .unwrap_or_else(|| DEMO_USER.to_owned());
    let token = auth::issue(&app.keys.user, USER_AUDIENCE, &user, None, 3600);
    Json(serde_json::json!({ "token": token, "user": user }))
}
