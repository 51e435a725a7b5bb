//! Who is asking: a signed-in user (a JWT from the site or app), an anonymous device, the
//! company's systems (service token) or staff (staff token with a role). Extractors do the
//! checking, so a handler that takes an [`AuthenticatedUser`] cannot forget it.

use axum::http::HeaderMap;
use consent_core::api::{DEVICE_HEADER, DEVICE_PROOF_HEADER};
pub use consent_core::{DeviceId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::error::ApiError;
use crate::seal::ServerKeys;

pub const USER_AUDIENCE: &str = "dosmart-consent";
pub const SERVICE_AUDIENCE: &str = "dosmart-consent-service";
pub const STAFF_AUDIENCE: &str = "dosmart-consent-staff";
/// Shorter secrets are refused at start: HS256 with a guessable key is no signature.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone)]
pub struct Secret {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Secret {
    pub fn new(secret: &[u8]) -> Secret {
        Secret {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

/// The three token secrets; service and staff tokens are refused when theirs is not set. And the
/// server's own keys: the ledger chain, device proofs, checkpoints.
#[derive(Clone)]
pub struct Keys {
    pub user: Secret,
    pub service: Option<Secret>,
    pub staff: Option<Secret>,
    pub server: Arc<ServerKeys>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    pub aud: String,
    /// Not valid before this time (seconds): a token issued for later is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<StaffRole>,
}

pub use consent_core::ledger::StaffRole;

pub fn issue(
    secret: &Secret,
    audience: &str,
    sub: &str,
    role: Option<StaffRole>,
    ttl_secs: i64,
) -> String {
    let claims = Claims {
        sub: sub.to_owned(),
        exp: now_secs() + ttl_secs,
        aud: audience.to_owned(),
        nbf: None,
        role,
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &secret.encoding)
        .expect("HS256 signing cannot fail")
}

fn now_secs() -> i64 {
    crate::clock::now().millis() / 1000
}

fn verify(secret: &Secret, audience: &str, token: &str) -> Result<Claims, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "sub", "aud"]);
    validation.leeway = 30;
    validation.validate_nbf = true;
    let claims = jsonwebtoken::decode::<Claims>(token, &secret.decoding, &validation)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind::*;
            ApiError::Unauthorized(match e.kind() {
                ExpiredSignature => "the token has expired",
                ImmatureSignature => "the token is not valid yet (nbf)",
                InvalidAudience => "the token is not for this service (audience)",
                InvalidSignature => "the token's signature does not match",
                InvalidAlgorithm => "the token must be signed with HS256",
                _ => "the token is malformed",
            })
        })?
        .claims;
    subject_of(&claims)?;
    Ok(claims)
}

/// Who a token names, checked as a user id is (every kind of token names someone that way).
fn subject_of(claims: &Claims) -> Result<UserId, ApiError> {
    UserId::parse(&claims.sub)
        .map_err(|_| ApiError::Unauthorized("the token's subject is not a valid user id"))
}

/// The longest token taken. The site's tokens are a few hundred bytes; a longer one is refused
/// before anything is done with it.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// The request's bearer token, if it sends one. The scheme is `Bearer` in any letter case (RFC
/// 9110, 11.1), then one space, then the token: one spelling of a credential, so no other
/// spelling can pass for another caller.
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ApiError::BadAuthorization)?;
    let (scheme, token) = text.split_once(' ').ok_or(ApiError::BadAuthorization)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized(
            "use `Authorization: Bearer <token>`",
        ));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(ApiError::TokenTooLong(MAX_TOKEN_BYTES));
    }
    let token68 = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b);
    if token.is_empty() || !token.bytes().all(token68) {
        return Err(ApiError::BadAuthorization);
    }
    Ok(Some(token))
}

/// The claims of the request's bearer token for `audience`; `missing` says what to send when
/// it sends none.
fn required_claims(
    headers: &HeaderMap,
    secret: &Secret,
    audience: &str,
    missing: &'static str,
) -> Result<Claims, ApiError> {
    let token = bearer_token(headers)?.ok_or(ApiError::Unauthorized(missing))?;
    verify(secret, audience, token)
}

/// The device the request names, if it proves the server issued that id: an id copied out of
/// another browser is worth nothing without its proof.
fn device(headers: &HeaderMap, keys: &ServerKeys) -> Result<Option<DeviceId>, ApiError> {
    // An empty header names no device, as a missing one.
    let Some(value) = headers.get(DEVICE_HEADER).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ApiError::BadDeviceId)?;
    let id = DeviceId::parse(text).map_err(|_| ApiError::BadDeviceId)?;
    let proof = headers
        .get(DEVICE_PROOF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::DeviceNotProven)?;
    if !keys.device_proof_is_valid(id.as_str(), proof) {
        return Err(ApiError::DeviceNotProven);
    }
    Ok(Some(id))
}

/// Whom a request's requests count against: the user its token names, if the token verifies,
/// else the device it names, if the device's proof holds. A forged or unreadable credential
/// names no one, and the request counts by its address alone: no one can spend another's
/// allowance, and no spelling of one credential passes for another subject.
pub fn verified_subject(headers: &HeaderMap, keys: &Keys) -> Option<consent_core::SubjectKey> {
    match bearer_token(headers) {
        Ok(Some(token)) => verify(&keys.user, USER_AUDIENCE, token)
            .and_then(|claims| subject_of(&claims))
            .ok()
            .map(|id| id.subject()),
        Ok(None) => device(headers, &keys.server)
            .ok()
            .flatten()
            .map(|id| id.subject()),
        Err(_) => None,
    }
}

/// A new device's id, with the proof the widget keeps and sends with it.
pub fn issue_device(keys: &ServerKeys) -> (DeviceId, String) {
    let id = DeviceId::parse(&uuid::Uuid::new_v4().hyphenated().to_string())
        .expect("a new UUID is a device id");
    let proof = keys.device_proof(id.as_str());
    (id, proof)
}

/// Whose records a request reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Signed in; `device` is the anonymous id the same browser used before signing in.
    User {
        id: UserId,
        device: Option<DeviceId>,
    },
    Device(DeviceId),
}

impl Subject {
    /// The signed-in user, if it is one.
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Subject::User { id, .. } => Some(id),
            Subject::Device(_) => None,
        }
    }

    /// The key of the subject's records in the store.
    pub fn key(&self) -> String {
        match self {
            Subject::User { id, .. } => id.subject(),
            Subject::Device(d) => d.subject(),
        }
        .to_string()
    }
}

impl Subject {
    /// Who a request is: a signed-in user (with the device, if it names one) or a device.
    pub fn of_request(headers: &HeaderMap, keys: &Keys) -> Result<Subject, ApiError> {
        let device = device(headers, &keys.server)?;
        match bearer_token(headers)? {
            Some(token) => {
                let claims = verify(&keys.user, USER_AUDIENCE, token)?;
                Ok(Subject::User {
                    id: subject_of(&claims)?,
                    device,
                })
            }
            None => device.map(Subject::Device).ok_or(ApiError::NoSubject),
        }
    }
}

/// A signed-in user: for what only a known person may see (their data, their export).
pub struct AuthenticatedUser {
    pub id: UserId,
}

impl AuthenticatedUser {
    pub fn of_request(headers: &HeaderMap, keys: &Keys) -> Result<AuthenticatedUser, ApiError> {
        let missing = "sign in: this needs a bearer token";
        let claims = required_claims(headers, &keys.user, USER_AUDIENCE, missing)?;
        Ok(AuthenticatedUser {
            id: subject_of(&claims)?,
        })
    }
}

/// The company's own systems, which upsert what they hold about users.
pub struct ServiceCaller {
    pub name: String,
}

impl ServiceCaller {
    pub fn of_request(headers: &HeaderMap, keys: &Keys) -> Result<ServiceCaller, ApiError> {
        let secret = keys.service.as_ref().ok_or(ApiError::Unauthorized(
            "service tokens are not enabled on this server",
        ))?;
        let missing = "a service token is required";
        let claims = required_claims(headers, secret, SERVICE_AUDIENCE, missing)?;
        Ok(ServiceCaller { name: claims.sub })
    }
}

/// A member of staff with a role.
pub struct Staff {
    pub id: String,
    pub role: StaffRole,
}

impl Staff {
    pub fn of_request(headers: &HeaderMap, keys: &Keys) -> Result<Staff, ApiError> {
        let secret = keys.staff.as_ref().ok_or(ApiError::Unauthorized(
            "staff tokens are not enabled on this server",
        ))?;
        let missing = "a staff token is required";
        let claims = required_claims(headers, secret, STAFF_AUDIENCE, missing)?;
        let role = claims
            .role
            .ok_or(ApiError::Unauthorized("a staff token must carry a role"))?;
        Ok(Staff {
            id: claims.sub,
            role,
        })
    }

    pub fn require(&self, allowed: &[StaffRole]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("your staff role does not allow this"))
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"fuzz-secret-0123456789abcdef0123456789";
    const TOKEN_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

    fn refused(token: &str) -> bool {
        matches!(
            verify(&Secret::new(SECRET), USER_AUDIENCE, token),
            Err(ApiError::Unauthorized(_))
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_text_as_a_token_is_refused(token in any::<String>()) {
            prop_assert!(refused(&token));
            let headers: HeaderMap = [(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))]
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
                .collect();
            let keys = Keys {
                user: Secret::new(SECRET),
                service: None,
                staff: None,
                server: std::sync::Arc::new(ServerKeys::from_secret(SECRET)),
            };
            prop_assert_eq!(verified_subject(&headers, &keys), None);
        }

        #[test]
        fn a_signed_token_with_any_character_changed_is_refused(at in any::<prop::sample::Index>(), with in any::<prop::sample::Index>()) {
            let token = issue(&Secret::new(SECRET), USER_AUDIENCE, "u-fuzz", None, 600);
            prop_assert!(!refused(&token), "the untouched token passes");
            let mut bytes = token.clone().into_bytes();
            let at = at.index(bytes.len());
            bytes[at] = TOKEN_CHARS.as_bytes()[with.index(TOKEN_CHARS.len())];
            let changed = String::from_utf8(bytes).unwrap();
            prop_assume!(changed != token);
            prop_assert!(refused(&changed), "{changed}");
        }

        #[test]
        fn tokens_signed_otherwise_are_refused(secret in prop::collection::vec(any::<u8>(), 32..64), audience in "[a-z-]{0,30}", ttl in -100_000i64..100_000) {
            // Not within a minute of expiry, where the leeway and the clock's tick decide.
            prop_assume!(!(-60..=0).contains(&ttl));
            let token = issue(&Secret::new(&secret), &audience, "u-fuzz", None, ttl);
            let genuine = secret == SECRET && audience == USER_AUDIENCE && ttl > 0;
            prop_assert_eq!(refused(&token), !genuine);
        }
    }
}
