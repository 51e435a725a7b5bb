//! The server's own secret and what is derived from it: the key of the ledger's chain, the
//! key that proves device ids, and the Ed25519 key that signs checkpoints of the ledger.
//!
//! The secret lives outside the database (`CONSENT_SERVER_SECRET`): someone who can write the
//! database but not read the server's environment can neither recompute a chain after editing
//! a record nor forge a device id or a checkpoint.

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The secret of `--demo`, fixed so that a demo database still verifies after a restart.
/// Public, so never for real data: `--demo` refuses to start with real secrets set.
pub const DEMO_SECRET: &[u8] = b"dosmart-consent demo only: public, not a secret at all";

pub struct ServerKeys {
    chain: [u8; 32],
    device: [u8; 32],
    signing: SigningKey,
}

impl ServerKeys {
    pub fn from_secret(secret: &[u8]) -> ServerKeys {
        // One secret, separate keys per use: a device proof can never pass for a chain hash.
        let derive = |label: &str| -> [u8; 32] {
            let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
            mac.update(label.as_bytes());
            mac.finalize().into_bytes().into()
        };
        ServerKeys {
            chain: derive("dosmart-consent ledger chain v1"),
            device: derive("dosmart-consent device proof v1"),
            signing: SigningKey::from_bytes(&derive("dosmart-consent checkpoint signing v1")),
        }
    }

    /// HMAC-SHA256 over length-prefixed fields, so that no two different field lists give the
    /// same bytes.
    pub fn chain_mac(&self, fields: &[&[u8]]) -> String {
        mac_hex(&self.chain, fields)
    }

    /// A subject as checkpoints and erasures name it: a keyed hash, so that neither names a
    /// person, and a chain can still be matched to them by whoever holds the key.
    pub fn subject_ref(&self, subject: &str) -> String {
        mac_hex(&self.chain, &[b"subject", subject.as_bytes()])
    }

    /// A stable stand-in for something that must not be kept as it is (a network address):
    /// the same input always gives the same one, and without the key it cannot be reversed
    /// by trying every address.
    pub fn pseudonym(&self, text: &str) -> String {
        let mut mac = mac_hex(&self.chain, &[b"pseudonym", text.as_bytes()]);
        mac.truncate(16);
        mac
    }

    pub fn device_proof(&self, device_id: &str) -> String {
        mac_hex(&self.device, &[device_id.as_bytes()])
    }

    /// Constant time: the comparison says nothing about how much of a guess was right.
    pub fn device_proof_is_valid(&self, device_id: &str, proof: &str) -> bool {
        hex::decode(proof).is_ok_and(|bytes| {
            keyed(&self.device, &[device_id.as_bytes()])
                .verify_slice(&bytes)
                .is_ok()
        })
    }

    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.signing.sign(message).to_bytes())
    }

    pub fn public_key_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_bytes())
    }
}

/// Checks a checkpoint's signature with a public key alone, as anyone holding a published
/// checkpoint can.
pub fn signature_is_valid(public_key_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let key = hex::decode(public_key_hex)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    let signature = hex::decode(signature_hex)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| ed25519_dalek::Signature::from_bytes(&b));
    match (key, signature) {
        (Some(key), Some(signature)) => key.verify(message, &signature).is_ok(),
        _ => false,
    }
}

/// An HMAC over length-prefixed fields.
fn keyed(key: &[u8], fields: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    for field in fields {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field);
    }
    mac
}

fn mac_hex(key: &[u8], fields: &[&[u8]]) -> String {
    hex::encode(keyed(key, fields).finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_proof_holds_for_its_id_only_and_under_its_secret_only() {
        let keys = ServerKeys::from_secret(b"a secret of at least thirty-two bytes!!");
        let id = "6f1c1d64-5b8e-4c1e-9a53-0d3f3c2b7a10";
        let proof = keys.device_proof(id);
        assert!(keys.device_proof_is_valid(id, &proof));
        assert!(!keys.device_proof_is_valid("6f1c1d64-5b8e-4c1e-9a53-0d3f3c2b7a11", &proof));
        assert!(!keys.device_proof_is_valid(id, "zz"));
        let other = ServerKeys::from_secret(b"another secret of thirty-two bytes!!!!!");
        assert!(!other.device_proof_is_valid(id, &proof));
    }

    #[test]
    fn a_signature_checks_with_the_public_key_and_fails_on_any_change() {
        let keys = ServerKeys::from_secret(DEMO_SECRET);
        let signature = keys.sign(b"heads");
        assert!(signature_is_valid(
            &keys.public_key_hex(),
            b"heads",
            &signature
        ));
        assert!(!signature_is_valid(
            &keys.public_key_hex(),
            b"heads!",
            &signature
        ));
    }
}
