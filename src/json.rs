//! JSON through the browser's own `JSON.parse` / `JSON.stringify`: serde_json would add its
//! parser and formatter to the wasm every visitor downloads. Values are written to the
//! browser's objects by `serde-wasm-bindgen` and read from them by [`read`].

mod read;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Plain objects for maps (not `Map`), numbers for integers: what JSON has.
fn serializer() -> serde_wasm_bindgen::Serializer {
    serde_wasm_bindgen::Serializer::json_compatible()
}

pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    value.serialize(&serializer()).unwrap_or(JsValue::NULL)
}

pub fn to_text<T: Serialize + ?Sized>(value: &T) -> String {
    js_sys::JSON::stringify(&to_js(value))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, String> {
    T::deserialize(read::Value(value)).map_err(|read::Unreadable(why)| why)
}

pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_owned())?;
    from_js(value)
}
