//! localStorage under one prefix. Storage can be missing or full (private modes, quotas): the
//! widget then still works, it only forgets sooner.

const PREFIX: &str = "dosmart-consent:";

fn local() -> Option<web_sys::Storage> {
    gloo_utils::window().local_storage().ok().flatten()
}

pub fn get(key: &str) -> Option<String> {
    local()?.get_item(&format!("{PREFIX}{key}")).ok().flatten()
}

pub fn set(key: &str, value: &str) -> bool {
    local().is_some_and(|s| s.set_item(&format!("{PREFIX}{key}"), value).is_ok())
}

pub fn remove(key: &str) {
    if let Some(s) = local() {
        let _ = s.remove_item(&format!("{PREFIX}{key}"));
    }
}

pub fn get_json<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    crate::json::from_text(&get(key)?).ok()
}

pub fn set_json<T: serde::Serialize>(key: &str, value: &T) -> bool {
    set(key, &crate::json::to_text(value))
}

/// The anonymous id of this browser, issued by the server with a proof that it issued it:
/// choices of a visitor who is not signed in are kept against it.
pub struct Device {
    pub id: String,
    pub proof: String,
}

/// An id kept without its proof (from an older widget) counts as none.
pub fn device() -> Option<Device> {
    Some(Device {
        id: get("device")?,
        proof: get("device-proof")?,
    })
}

pub fn keep_device(id: &str, proof: &str) {
    set("device", id);
    set("device-proof", proof);
}

pub fn forget_device() {
    remove("device");
    remove("device-proof");
}

pub fn random_uuid() -> String {
    gloo_utils::window()
        .crypto()
        .map(|c| c.random_uuid())
        .unwrap_or_else(|_| {
            format!(
                "00000000-0000-4000-8000-{:012x}",
                (js_sys::Math::random() * 1e14) as u64
            )
        })
}
