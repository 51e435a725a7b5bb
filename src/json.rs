//! JSON through the browser's own `JSON.parse`, and text written here: serde_json would add its
//! parser and its number formatting to the wasm every visitor downloads. [`read`] reads what the
//! browser parsed into the shared types field by field; [`write`] writes Rust values as JSON
//! text.

mod read;
mod write;

pub use read::{field, items, object, Read, Unreadable};

use serde::Serialize;
use wasm_bindgen::JsValue;

pub fn to_text<T: Serialize + ?Sized>(value: &T) -> String {
    let mut writer = write::Writer::default();
    match value.serialize(&mut writer) {
        Ok(()) => writer.text,
        Err(write::Unwritable) => "null".to_owned(),
    }
}

/// The value as the browser's own object, for a page's event listeners.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    js_sys::JSON::parse(&to_text(value)).unwrap_or(JsValue::NULL)
}

/// Reads `text` into one of the shared types (see [`read`]); the error names what did not fit.
pub fn from_text<T: Read>(text: &str) -> Result<T, String> {
    T::read(&parse(text)?).map_err(|read::Unreadable(why)| why)
}

/// Kept out of line: every type read from text would otherwise carry a copy.
#[inline(never)]
fn parse(text: &str) -> Result<JsValue, String> {
    js_sys::JSON::parse(text).map_err(|_| "not JSON".to_owned())
}
