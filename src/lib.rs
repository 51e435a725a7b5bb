//! The dosmart.kz consent widget: banner, per-purpose choices, the policy in the user's
//! language, acceptance of new editions, withdrawal, and "my data". It talks only to the
//! consent server's `/v1` API; what it could not send waits in localStorage.

mod api;
pub mod app;
mod banner;
mod choices;
pub mod config;
mod dialog;
pub mod i18n;
pub mod language;
mod my_data;
pub mod outbox;
mod policy;
pub mod storage;
mod update_notice;
mod withdrawal;

use wasm_bindgen::prelude::*;

/// Mounts the widget in the host's container (`#dosmart-consent`, made if missing).
pub fn start() {
    let config = config::WidgetConfig::from_page();
    let root = config::mount_point();
    api::configure(&config);
    outbox::start_background_delivery();
    yew::Renderer::<app::App>::with_root_and_props(root, app::AppProps { config }).render();
}

/// Points the API client at a server, as [`start`] does from the page's configuration.
pub fn api_configure_for_tests(config: &config::WidgetConfig) {
    api::configure(config);
}

/// The entry point when loaded as a module by the host page.
#[wasm_bindgen(js_name = startConsentWidget)]
pub fn start_from_js() {
    start();
}
