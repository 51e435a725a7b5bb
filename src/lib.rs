//! The dosmart.kz consent widget: banner, per-purpose choices, the policy in the user's
//! language, acceptance of new editions, withdrawal, and "my data". It talks only to the
//! consent server's `/v1` API; what it could not send waits in localStorage.

mod api;
pub mod app;
pub mod banner;
mod changes;
mod choices;
mod command;
pub mod config;
mod dialog;
mod download;
pub mod embed;
mod feedback;
mod focus;
pub mod i18n;
mod json;
pub mod language;
mod loading;
pub mod model;
mod my_data;
pub mod outbox;
mod policy;
mod slot;
pub mod storage;
mod update_notice;
mod withdrawal;

/// Mounts the widget in the page's container (`#dosmart-consent`, made if missing), unless
/// `consent.js` loaded it to mount in a shadow root of its own.
pub fn start() {
    let embedded = js_sys::Reflect::get(&gloo_utils::window(), &"__dosmartConsentEmbed".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false);
    if !embedded {
        start_in(config::mount_point(), config::WidgetConfig::from_page());
    }
}

/// Reads the shipped catalogs with the browser's JSON parser: before anything uses them.
pub fn prepare() {
    struct BrowserJson;
    impl consent_core::catalog::JsonParser for BrowserJson {
        fn parse<T: serde::de::DeserializeOwned>(&self, text: &str) -> Result<T, String> {
            json::from_text(text)
        }
    }
    consent_core::catalog::install_shipped(&BrowserJson);
}

pub fn start_in(root: web_sys::Element, config: config::WidgetConfig) {
    use wasm_bindgen::JsCast;
    prepare();
    embed::set_root(root.clone());
    // Embedded, the widget is the shadow root's host as the page sees it.
    let host = root
        .get_root_node()
        .dyn_into::<web_sys::ShadowRoot>()
        .map(|shadow| shadow.host())
        .unwrap_or_else(|_| root.clone());
    focus::follow_page_focus(host);
    api::configure(&config);
    yew::Renderer::<app::App>::with_root_and_props(root, app::AppProps { config }).render();
}

/// Points the API client at a server, as [`start`] does from the page's configuration.
pub fn api_configure_for_tests(config: &config::WidgetConfig) {
    api::configure(config);
}
