//! Whether the server is up.

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "The server is up", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}
