//! The staff routes' refusals, handed to the alerts (3.2.2).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::client::ClientAddress;
use crate::alerts;
use crate::state::AppState;

/// Watches what staff endpoints answer: each refusal is counted by its source.
pub async fn watch_refusals(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let staff_route = request.uri().path().starts_with("/v1/admin/");
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .map(|ClientAddress(ip)| *ip);
    let response = next.run(request).await;
    let refused = matches!(response.status().as_u16(), 401 | 403);
    if let (true, true, Some(ip)) = (staff_route, refused, address) {
        alerts::staff_request_refused(&app.store, &app.refusals, app.alert_rules, ip).await;
    }
    response
}
