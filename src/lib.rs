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
pub mod json;
pub mod language;
mod loading;
pub mod model;
mod my_data;
pub mod outbox;
mod policy;
mod slot;
pub mod storage;
mod update_notice;
pub mod widget;
mod withdrawal;

use command::{BannerAction, Command};
use consent_core::Lang;
use wasm_bindgen::prelude::*;
use web_sys::Element;

/// Mounts the widget in the page's container (`#dosmart-consent`, made if missing), unless
/// `consent.js` loaded it to mount in a shadow root of its own. Only a page that includes the
/// wasm itself (trunk's development page) comes here: it reads the catalog and its words from
/// the server first, as the loader does beside the wasm.
pub fn start() {
    let embedded = js_sys::Reflect::get(&gloo_utils::window(), &"__dosmartConsentEmbed".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false);
    if embedded {
        return;
    }
    let config = config::WidgetConfig::from_page();
    api::configure(&config);
    wasm_bindgen_futures::spawn_local(async move {
        let lang = language::initial(config.explicit_lang);
        let served = match (api::catalog().await, api::texts(lang).await) {
            (Ok(catalog), Ok(texts)) => Served {
                catalog,
                lang,
                texts,
            },
            (Err(e), _) | (_, Err(e)) => return report_not_started(&e.message()),
        };
        if let Err(e) = start_in(config::mount_point(), config, &served) {
            report_not_started(&e);
        }
    });
}

fn report_not_started(why: &str) {
    web_sys::console::error_1(&format!("dosmart consent could not start: {why}").into());
}

/// What the widget reads from the server before it can say anything: both catalogs
/// (`GET /v1/catalog`) and its words in the language it speaks (`GET /v1/texts`), as JSON text.
pub struct Served {
    pub catalog: String,
    pub lang: consent_core::Lang,
    pub texts: String,
}

/// Renders the widget in `root` once what the server served is read; a catalog or words that
/// cannot be read are the error, and nothing is rendered.
pub fn start_in(
    root: web_sys::Element,
    config: config::WidgetConfig,
    served: &Served,
) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let catalog = json::from_text(&served.catalog).map_err(|e| format!("catalog: {e}"))?;
    consent_core::catalog::install(catalog)?;
    i18n::install_text(served.lang, &served.texts)?;
    embed::set_root(root.clone());
    // Embedded, the widget is the shadow root's host as the page sees it.
    let host = root
        .get_root_node()
        .dyn_into::<web_sys::ShadowRoot>()
        .map(|shadow| shadow.host())
        .unwrap_or_else(|_| root.clone());
    focus::follow_page_focus(host);
    api::configure(&config);
    // It starts in the language whose words it read (the loader chose it by the same rule).
    let config = config::WidgetConfig {
        explicit_lang: Some(served.lang),
        ..config
    };
    yew::Renderer::<app::App>::with_root_and_props(root, app::AppProps { config }).render();
    Ok(())
}

/// Points the API client at a server, as [`start`] does from the page's configuration.
pub fn api_configure_for_tests(config: &config::WidgetConfig) {
    api::configure(config);
}

/// Called by `consent.js`: renders the widget in `element` (inside its shadow root).
/// `config` has `api`, `lang`, `token`, `inApp`; `on_event(kind, payload)` hears the changes;
/// `catalog` and `texts` are what the loader fetched beside the wasm (`GET /v1/catalog`, and
/// `GET /v1/texts` for `lang`). One it cannot read is the error, and nothing is mounted.
#[wasm_bindgen(js_name = mountConsentWidget)]
pub fn mount(
    element: Element,
    config: JsValue,
    on_event: js_sys::Function,
    catalog: String,
    lang: &str,
    texts: String,
) -> Result<(), JsValue> {
    embed::set_host(on_event);
    embed::set_root(element.clone());
    let get = |key: &str| js_sys::Reflect::get(&config, &JsValue::from_str(key)).ok();
    let text = |key: &str| {
        get(key)
            .and_then(|v| v.as_string())
            .filter(|v| !v.is_empty())
    };
    let config = config::WidgetConfig {
        api_base: text("api").unwrap_or_default(),
        explicit_lang: text("lang").and_then(|l| Lang::parse(&l).ok()),
        token: text("token"),
        token_url: text("tokenUrl"),
        in_app: get("inApp").and_then(|v| v.as_bool()).unwrap_or(false),
    };
    let lang = Lang::parse(lang).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let served = Served {
        catalog,
        lang,
        texts,
    };
    start_in(element, config, &served).map_err(|e| JsValue::from_str(&e))
}

/// `DosmartConsent.<name>(arg)`, forwarded by `consent.js`.
#[wasm_bindgen(js_name = consentCommand)]
pub fn command(name: &str, arg: JsValue) -> Result<(), JsValue> {
    let text = arg.as_string();
    let command = match name {
        "showBanner" => Command::ShowBanner,
        "openChoices" => Command::OpenChoices,
        "openPolicy" => {
            Command::OpenPolicy(text.map(|clause| consent_core::policy::anchor_for(&clause)))
        }
        "close" => Command::Close,
        "act" => Command::Act(
            BannerAction::parse(&text.unwrap_or_default())
                .ok_or_else(|| JsValue::from_str("DosmartConsent: unknown action"))?,
        ),
        "setLanguage" => Command::SetLanguage(
            Lang::parse(&text.unwrap_or_default())
                .map_err(|e| JsValue::from_str(&e.to_string()))?,
        ),
        "setToken" => {
            let before = api::speaking_for();
            api::set_token(text);
            outbox::token_refreshed();
            if api::speaking_for() == before {
                return Ok(()); // the same person's token, refreshed
            }
            Command::PersonChanged
        }
        other => {
            return Err(JsValue::from_str(&format!(
                "DosmartConsent has no `{other}`"
            )))
        }
    };
    embed::deliver(command);
    Ok(())
}
