//! Reads a value the browser's `JSON.parse` made straight into Rust types.
//!
//! serde-wasm-bindgen's reader does the same, but its errors format what they found
//! (`invalid type: floating point 1.5, expected ...`), and that brings Rust's float printing
//! and every type's "expecting" text into the wasm every visitor downloads. The widget never
//! shows those details: an answer it cannot read is "unreadable", and the log says which field
//! or variant was wrong. So this reader's errors are built from plain strings, and it knows only
//! what `JSON.parse` can give: null, booleans, numbers, strings, arrays and plain objects.

use js_sys::{Array, Object, Reflect};
use serde::de::{self, IntoDeserializer};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// Why a value could not be read, in words built without Rust's formatting machinery.
#[derive(Debug)]
pub struct Unreadable(pub String);

impl Unreadable {
    fn because(why: &str, what: &str) -> Unreadable {
        Unreadable([why, what].concat())
    }
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreadable {}

impl de::Error for Unreadable {
    /// What a type says of a value it refuses (a date, an id) is left out: the formatters it
    /// needs cost 2 KB of wasm, for a detail only a developer reads.
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unreadable("a value that is not valid here".to_owned())
    }

    fn invalid_type(_: de::Unexpected, _: &dyn de::Expected) -> Self {
        Unreadable("a value of the wrong type".to_owned())
    }

    fn invalid_value(_: de::Unexpected, _: &dyn de::Expected) -> Self {
        Unreadable("a value out of its range".to_owned())
    }

    fn invalid_length(_: usize, _: &dyn de::Expected) -> Self {
        Unreadable("a list of the wrong length".to_owned())
    }

    fn unknown_variant(variant: &str, _: &'static [&'static str]) -> Self {
        Unreadable::because("unknown variant ", variant)
    }

    fn unknown_field(field: &str, _: &'static [&'static str]) -> Self {
        Unreadable::because("unknown field ", field)
    }

    fn missing_field(field: &'static str) -> Self {
        Unreadable::because("missing field ", field)
    }

    fn duplicate_field(field: &'static str) -> Self {
        Unreadable::because("duplicate field ", field)
    }
}

/// A value from `JSON.parse`, to be read as a Rust type.
pub struct Value(pub JsValue);

type Result<T> = std::result::Result<T, Unreadable>;

fn wrong_type<T>() -> Result<T> {
    Err(de::Error::invalid_type(de::Unexpected::Other(""), &""))
}

/// What a value from `JSON.parse` is, found once, outside the code compiled for each type.
enum Kind {
    Nothing,
    Bool(bool),
    Whole(i64),
    Number(f64),
    Text(String),
    List(Array),
    Object(Object),
    Other,
}

/// The deserializer methods that only hand over to another.
macro_rules! forward {
    ($($($method:ident)* => $to:ident;)*) => {$($(
        fn $method<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            self.$to(visitor)
        }
    )*)*};
}

impl Value {
    #[inline(never)]
    fn kind(self) -> Kind {
        let v = self.0;
        if is_nothing(&v) {
            Kind::Nothing
        } else if let Some(b) = v.as_bool() {
            Kind::Bool(b)
        } else if let Some(n) = whole_number(&v) {
            Kind::Whole(n)
        } else if let Some(n) = v.as_f64() {
            Kind::Number(n)
        } else if let Some(s) = v.as_string() {
            Kind::Text(s)
        } else if Array::is_array(&v) {
            Kind::List(v.unchecked_into())
        } else if v.is_object() {
            Kind::Object(v.unchecked_into())
        } else {
            Kind::Other
        }
    }

    fn object(&self) -> Option<&Object> {
        (self.0.is_object() && !Array::is_array(&self.0)).then(|| self.0.unchecked_ref())
    }
}

/// `null`, or a field that is not there.
fn is_nothing(v: &JsValue) -> bool {
    v.is_null() || v.is_undefined()
}

/// A number that is a whole number JavaScript holds exactly.
fn whole_number(v: &JsValue) -> Option<i64> {
    let n = v.as_f64()?;
    js_sys::Number::is_safe_integer(v).then_some(n as i64)
}

impl<'de> IntoDeserializer<'de, Unreadable> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Unreadable;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.kind() {
            Kind::Nothing => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(b),
            Kind::Whole(n) => visitor.visit_i64(n),
            Kind::Number(n) => visitor.visit_f64(n),
            Kind::Text(s) => visitor.visit_string(s),
            Kind::List(array) => visitor.visit_seq(Items::of(array)),
            Kind::Object(object) => visitor.visit_map(Entries::of(&object)),
            Kind::Other => wrong_type(),
        }
    }

    // The type says what it expects: one check, not the whole of `deserialize_any`, which
    // every field of every type would otherwise carry.

    fn deserialize_bool<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0.as_bool() {
            Some(b) => visitor.visit_bool(b),
            None => wrong_type(),
        }
    }

    fn deserialize_i64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match whole_number(&self.0) {
            Some(n) => visitor.visit_i64(n),
            None => wrong_type(),
        }
    }

    fn deserialize_f64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0.as_f64() {
            Some(n) => visitor.visit_f64(n),
            None => wrong_type(),
        }
    }

    fn deserialize_string<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0.as_string() {
            Some(s) => visitor.visit_string(s),
            None => wrong_type(),
        }
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0.dyn_into::<Array>() {
            Ok(array) => visitor.visit_seq(Items::of(array)),
            Err(_) => wrong_type(),
        }
    }

    fn deserialize_unit<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if is_nothing(&self.0) {
            visitor.visit_unit()
        } else {
            wrong_type()
        }
    }

    forward! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_u8 deserialize_u16
        deserialize_u32 deserialize_u64 => deserialize_i64;
        deserialize_f32 => deserialize_f64;
        deserialize_str deserialize_identifier => deserialize_string;
    }

    fn deserialize_tuple<V: de::Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_unit_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if is_nothing(&self.0) {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let Some(object) = self.object() else {
            return wrong_type();
        };
        visitor.visit_map(Entries::of(object))
    }

    /// Looks up each field the type knows by name: no list of the object's keys is made, and
    /// keys it does not know are never read.
    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.object() {
            Some(object) => visitor.visit_map(Fields {
                object: object.clone(),
                fields: fields.iter(),
                value: None,
            }),
            None => wrong_type(),
        }
    }

    /// `"Variant"` for a unit variant, `{"Variant": …}` for one with data, as serde_json writes.
    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.0.is_string() {
            return visitor.visit_enum(Variant {
                tag: self.0,
                data: JsValue::UNDEFINED,
            });
        }
        let Some(object) = self.object() else {
            return wrong_type();
        };
        let entries = Object::entries(object);
        if entries.length() != 1 {
            return Err(Unreadable("not one variant".to_owned()));
        }
        let entry: Array = entries.get(0).unchecked_into();
        visitor.visit_enum(Variant {
            tag: entry.get(0),
            data: entry.get(1),
        })
    }

    /// Skipped values are not even looked at.
    fn deserialize_ignored_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf
    }
}

/// The items of an array.
struct Items {
    array: Array,
    next: u32,
}

impl Items {
    fn of(array: Array) -> Items {
        Items { array, next: 0 }
    }

    fn next_item(&mut self) -> Option<JsValue> {
        let item = (self.next < self.array.length()).then(|| self.array.get(self.next));
        self.next += 1;
        item
    }
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Unreadable;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>> {
        self.next_item()
            .map(|item| seed.deserialize(Value(item)))
            .transpose()
    }
}

/// The `[key, value]` pairs of an object read as a map.
struct Entries {
    entries: Items,
    value: Option<JsValue>,
}

impl Entries {
    fn of(object: &Object) -> Entries {
        Entries {
            entries: Items::of(Object::entries(object)),
            value: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = Unreadable;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some(entry) = self.entries.next_item() else {
            return Ok(None);
        };
        let entry: Array = entry.unchecked_into();
        self.value = Some(entry.get(1));
        seed.deserialize(Value(entry.get(0))).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(Value(take_pending(&mut self.value)))
    }
}

/// The fields of an object read as a struct; a field that is absent (undefined) is left out,
/// so that serde's defaults and `missing field` apply.
struct Fields {
    object: Object,
    fields: std::slice::Iter<'static, &'static str>,
    value: Option<JsValue>,
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = Unreadable;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        self.next_present()
            .map(|field| seed.deserialize(de::value::StrDeserializer::<Unreadable>::new(field)))
            .transpose()
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(Value(take_pending(&mut self.value)))
    }
}

// Not generic, and kept out of line: each struct read would otherwise carry its own copy.
impl Fields {
    #[inline(never)]
    fn next_present(&mut self) -> Option<&'static str> {
        for field in self.fields.by_ref() {
            let value = Reflect::get(&self.object, &JsValue::from_str(field)).unwrap_or_default();
            if !value.is_undefined() {
                self.value = Some(value);
                return Some(field);
            }
        }
        None
    }
}

/// The value whose key a map or struct was just given (kept out of line for the same reason).
#[inline(never)]
fn take_pending(value: &mut Option<JsValue>) -> JsValue {
    value.take().unwrap_or(JsValue::UNDEFINED)
}

/// An enum's variant name and its data (`undefined` for a unit variant).
struct Variant {
    tag: JsValue,
    data: JsValue,
}

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = Unreadable;
    type Variant = Value;

    fn variant_seed<V: de::DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Value)> {
        Ok((seed.deserialize(Value(self.tag))?, Value(self.data)))
    }
}

impl<'de> de::VariantAccess<'de> for Value {
    type Error = Unreadable;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: de::Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: de::Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}
