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

pub fn get_json<T: crate::json::Read>(key: &str) -> Option<T> {
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

pub fn random_uuid() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    let filled = gloo_utils::window()
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes));
    if filled.is_err() {
        // No Web Crypto (very old webviews): ids need only be unique, not secret.
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}
