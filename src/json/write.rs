//! Writes Rust values as JSON text, for the API's request bodies and localStorage.
//!
//! Built here rather than taken from a crate: serde_json brings its own number formatting,
//! and serde-wasm-bindgen builds a browser object field by field (a call into JavaScript for
//! each) only for `JSON.stringify` to turn it into text. This writes the text at once, with the
//! integer printing the wasm has anyway; the rare float is printed by the browser.

use serde::ser::{self, Serialize};
use std::fmt;

/// Nothing the widget writes can fail; a type's own refusal is all this can carry.
#[derive(Debug)]
pub struct Unwritable;

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value that cannot be written as JSON")
    }
}

impl std::error::Error for Unwritable {}

impl ser::Error for Unwritable {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unwritable
    }
}

/// The text written so far.
#[derive(Default)]
pub struct Writer {
    pub text: String,
}

type Result<T = ()> = std::result::Result<T, Unwritable>;

impl Writer {
    /// Escaped as serde_json escapes: the text is the one the server itself would write.
    fn string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.text.push('"');
        for c in s.chars() {
            match c {
                '"' => self.text.push_str("\\\""),
                '\\' => self.text.push_str("\\\\"),
                '\n' => self.text.push_str("\\n"),
                '\r' => self.text.push_str("\\r"),
                '\t' => self.text.push_str("\\t"),
                '\u{8}' => self.text.push_str("\\b"),
                '\u{c}' => self.text.push_str("\\f"),
                c if (c as u32) < 0x20 => {
                    self.text.push_str("\\u00");
                    self.text.push(HEX[c as usize >> 4] as char);
                    self.text.push(HEX[c as usize & 15] as char);
                }
                c => self.text.push(c),
            }
        }
        self.text.push('"');
    }

    fn integer(&mut self, n: impl ToString) -> Result {
        self.text.push_str(&n.to_string());
        Ok(())
    }

    /// `{"variant":` before a variant's data, as serde_json writes it.
    fn open_variant(&mut self, variant: &str) {
        self.text.push('{');
        self.string(variant);
        self.text.push(':');
    }

    /// `{"variant":[` or `{"variant":{`, closed with the variant's brace.
    fn variant_compound(&mut self, variant: &str, open: char, close: &'static str) -> Compound<'_> {
        self.open_variant(variant);
        self.compound(open, close)
    }

    fn compound(&mut self, open: char, close: &'static str) -> Compound<'_> {
        self.text.push(open);
        Compound {
            writer: self,
            first: true,
            close,
        }
    }
}

/// Every integer is printed as `i64` or `u64`, so that only two printers are compiled.
macro_rules! integers {
    ($($method:ident: $type:ty as $printed:ty,)*) => {$(
        fn $method(self, v: $type) -> Result {
            self.integer(<$printed>::from(v))
        }
    )*};
}

impl<'w> ser::Serializer for &'w mut Writer {
    type Ok = ();
    type Error = Unwritable;
    type SerializeSeq = Compound<'w>;
    type SerializeTuple = Compound<'w>;
    type SerializeTupleStruct = Compound<'w>;
    type SerializeTupleVariant = Compound<'w>;
    type SerializeMap = Compound<'w>;
    type SerializeStruct = Compound<'w>;
    type SerializeStructVariant = Compound<'w>;

    fn serialize_bool(self, v: bool) -> Result {
        self.text.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    integers! {
        serialize_i8: i8 as i64,
        serialize_i16: i16 as i64,
        serialize_i32: i32 as i64,
        serialize_i64: i64 as i64,
        serialize_u8: u8 as u64,
        serialize_u16: u16 as u64,
        serialize_u32: u32 as u64,
        serialize_u64: u64 as u64,
    }

    fn serialize_f32(self, v: f32) -> Result {
        self.serialize_f64(v.into())
    }

    /// As `JSON.stringify` does: the browser prints the number, and what is not finite is null.
    fn serialize_f64(self, v: f64) -> Result {
        match js_sys::Number::from(v).to_string_with_radix(10) {
            Ok(text) if v.is_finite() => self.text.push_str(&String::from(text)),
            _ => self.text.push_str("null"),
        }
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result {
        self.string(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result {
        let mut bytes = self.compound('[', "]");
        v.iter()
            .try_for_each(|b| ser::SerializeSeq::serialize_element(&mut bytes, b))?;
        ser::SerializeSeq::end(bytes)
    }

    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.text.push_str("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.text.push('}');
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'w>> {
        Ok(self.compound('[', "]"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'w>> {
        Ok(self.compound('[', "]"))
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'w>> {
        Ok(self.compound('[', "]"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w>> {
        Ok(self.variant_compound(variant, '[', "]}"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'w>> {
        Ok(self.compound('{', "}"))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'w>> {
        Ok(self.compound('{', "}"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w>> {
        Ok(self.variant_compound(variant, '{', "}}"))
    }
}

/// An array or object being written: a comma before every item but the first, and the
/// closing bracket (and the variant's brace) at the end.
pub struct Compound<'w> {
    writer: &'w mut Writer,
    first: bool,
    close: &'static str,
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.writer.text.push(',');
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.comma();
        value.serialize(&mut *self.writer)
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result {
        self.comma();
        self.writer.string(key);
        self.writer.text.push(':');
        value.serialize(&mut *self.writer)
    }

    fn close(self) -> Result {
        self.writer.text.push_str(self.close);
        Ok(())
    }
}

// serde has a trait for each kind of array and object; here they differ only in name.
macro_rules! items {
    ($($kind:ident :: $method:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Unwritable;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
                self.element(value)
            }

            fn end(self) -> Result {
                self.close()
            }
        }
    )*};
}

items!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! fields {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Unwritable;

            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result {
                self.field(key, value)
            }

            fn end(self) -> Result {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;

    /// JSON's keys are strings: a key that writes itself as a number is quoted.
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        self.comma();
        let start = self.writer.text.len();
        key.serialize(&mut *self.writer)?;
        if !self.writer.text[start..].starts_with('"') {
            self.writer.text.insert(start, '"');
            self.writer.text.push('"');
        }
        self.writer.text.push(':');
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result {
        self.close()
    }
}
