//! What the host page tells the widget, read at run time from the mount element's `data-*`
//! attributes, `window.dosmartConsentConfig`, and `?lang=`.

use consent_core::Lang;
use wasm_bindgen::JsValue;
use web_sys::Element;

pub const MOUNT_ID: &str = "dosmart-consent";

#[derive(Debug, Clone, PartialEq)]
pub struct WidgetConfig {
    /// The consent server, e.g. `https://consent.dosmart.kz`; empty for the same origin.
    pub api_base: String,
    /// A language fixed by the host or by `?lang=`: it wins over everything else.
    pub explicit_lang: Option<Lang>,
    /// The signed-in user's token, handed over by the site or app.
    pub token: Option<String>,
    /// Demo only: where to fetch a token for the sample user.
    pub token_url: Option<String>,
    /// Full screen in the mobile app's webview: the choices, no banner.
    pub in_app: bool,
}

pub fn mount_point() -> Element {
    let document = gloo_utils::document();
    if let Some(existing) = document.get_element_by_id(MOUNT_ID) {
        return existing;
    }
    let element = document.create_element("div").expect("a div can be made");
    element.set_id(MOUNT_ID);
    document
        .body()
        .expect("the page has a body")
        .append_child(&element)
        .expect("the widget can be mounted");
    element
}

impl WidgetConfig {
    pub fn from_page() -> WidgetConfig {
        let mount = gloo_utils::document().get_element_by_id(MOUNT_ID);
        let attr = |name: &str| {
            mount
                .as_ref()
                .and_then(|m| m.get_attribute(name))
                .filter(|v| !v.is_empty())
        };
        let global = js_sys::Reflect::get(
            &gloo_utils::window(),
            &JsValue::from_str("dosmartConsentConfig"),
        )
        .ok()
        .filter(|v| v.is_object());
        let from_global = |key: &str| {
            global
                .as_ref()
                .and_then(|g| js_sys::Reflect::get(g, &JsValue::from_str(key)).ok())
                .and_then(|v| v.as_string())
                .filter(|v| !v.is_empty())
        };
        let query_lang = gloo_utils::window()
            .location()
            .search()
            .ok()
            .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
            .and_then(|params| params.get("lang"));
        WidgetConfig {
            api_base: from_global("api")
                .or_else(|| attr("data-api"))
                .unwrap_or_default(),
            explicit_lang: from_global("lang")
                .or_else(|| attr("data-lang"))
                .or(query_lang)
                .and_then(|code| Lang::parse(&code).ok()),
            token: from_global("token"),
            token_url: attr("data-token-url"),
            in_app: false,
        }
    }
}
