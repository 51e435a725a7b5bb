//! Whose records: a signed-in user or an anonymous device. Ids are checked once, where they
//! enter (a token, a header, a path, a command line); past that they cannot be malformed, and
//! the store's key (`user:<id>`, `device:<uuid>`) is spelled in one place.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A user id as the site's tokens name users (`sub`): 1 to 128 characters, none of them
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

/// A device id: a UUID the server issued, in lower-case hyphenated form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId(pub &'static str);

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InvalidId {}

impl UserId {
    /// The key of this user's records.
    pub fn subject(&self) -> SubjectKey {
        SubjectKey::User(self.clone())
    }

    pub fn parse(text: &str) -> Result<UserId, InvalidId> {
        if text.is_empty() || text.chars().count() > 128 || text.chars().any(char::is_control) {
            return Err(InvalidId(
                "a user id is 1 to 128 characters, none of them control characters",
            ));
        }
        Ok(UserId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl DeviceId {
    /// The key of this device's records.
    pub fn subject(&self) -> SubjectKey {
        SubjectKey::Device(self.clone())
    }

    /// Any spelling of a UUID, kept in the one form the store uses.
    pub fn parse(text: &str) -> Result<DeviceId, InvalidId> {
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        let grouped =
            text.len() == 36 && [8, 13, 18, 23].iter().all(|i| text.as_bytes()[*i] == b'-');
        let plain = text.len() == 32;
        if !(grouped || plain) || hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(InvalidId("a device id is a UUID"));
        }
        let hex = hex.to_ascii_lowercase();
        Ok(DeviceId(format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key of a subject's records in the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubjectKey {
    User(UserId),
    Device(DeviceId),
    /// The company's own records: the editions it published.
    Company,
}

impl fmt::Display for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectKey::User(id) => write!(f, "{}{}", SubjectKey::USERS, id.0),
            SubjectKey::Device(id) => write!(f, "{}{}", SubjectKey::DEVICES, id.0),
            SubjectKey::Company => f.write_str(SubjectKey::COMPANY),
        }
    }
}

impl SubjectKey {
    /// How every user's key starts (for queries over all users, e.g. the retention purge).
    pub const USERS: &'static str = "user:";
    /// How every device's key starts.
    pub const DEVICES: &'static str = "device:";
    /// The company's key.
    pub const COMPANY: &'static str = "company";

    /// A key as the store holds it.
    pub fn parse(text: &str) -> Result<SubjectKey, InvalidId> {
        if let Some(id) = text.strip_prefix(SubjectKey::USERS) {
            UserId::parse(id).map(SubjectKey::User)
        } else if let Some(id) = text.strip_prefix(SubjectKey::DEVICES) {
            DeviceId::parse(id).map(SubjectKey::Device)
        } else if text == SubjectKey::COMPANY {
            Ok(SubjectKey::Company)
        } else {
            Err(InvalidId(
                "a subject key is user:<id>, device:<uuid> or company",
            ))
        }
    }
}

macro_rules! text_id {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_id!(UserId);
text_id!(DeviceId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_spelled_once_and_read_back() {
        let user = SubjectKey::User(UserId::parse("u-42").unwrap());
        assert_eq!(user.to_string(), "user:u-42");
        assert_eq!(SubjectKey::parse("user:u-42").unwrap(), user);
        let device = DeviceId::parse("6F9619FF8B86D011B42D00C04FC964FF").unwrap();
        assert_eq!(device.as_str(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        assert_eq!(
            SubjectKey::Device(device).to_string(),
            "device:6f9619ff-8b86-d011-b42d-00c04fc964ff"
        );
    }

    #[test]
    fn malformed_ids_are_refused_where_they_enter() {
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("a\nb").is_err());
        assert!(UserId::parse(&"x".repeat(129)).is_err());
        assert!(DeviceId::parse("not-a-uuid").is_err());
        assert!(DeviceId::parse("6f9619ff-8b86-d011-b42d-00c04fc964fz").is_err());
        assert!(SubjectKey::parse("admin:x").is_err());
        assert_eq!(SubjectKey::parse("company").unwrap(), SubjectKey::Company);
        assert!(serde_json::from_str::<UserId>("\"\"").is_err());
    }
}
