//! What one client may ask of the server: requests per subject (a device or a signed-in user)
//! and, looser, per network address, since a mobile carrier puts many people behind one; how
//! long a request may take; how large each route's body may be.
//!
//! Only credentials that hold are counted as a subject: a token whose signature verifies, a
//! device id with its proof. Anything else counts by its address alone, so no one can spend a
//! user's allowance by naming them. The counting is in [`keyed`]; this module says what is
//! counted and answers 429 with `Retry-After` in the API's error shape.

mod keyed;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use consent_core::SubjectKey;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use keyed::{KeyedLimiter, Rate, MAX_KEYS};

use super::client::ClientAddress;
use crate::auth::Keys;
use crate::error::{ApiError, LimitedBy};

#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub per_subject: Option<Rate>,
    pub per_address: Option<Rate>,
}

/// A page view sends a few requests, a busy session a few dozen a minute.
pub const SUBJECT_PER_MINUTE: u32 = 120;
pub const SUBJECT_BURST: u32 = 60;
/// An address may carry a carrier's many users.
pub const ADDRESS_PER_MINUTE: u32 = 3_000;
pub const ADDRESS_BURST: u32 = 600;

impl RateLimits {
    /// No limit: for load benchmarks, which measure the server and not its limit.
    pub fn off() -> RateLimits {
        RateLimits {
            per_subject: None,
            per_address: None,
        }
    }
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            per_subject: Rate::per_minute(SUBJECT_PER_MINUTE, SUBJECT_BURST),
            per_address: Rate::per_minute(ADDRESS_PER_MINUTE, ADDRESS_BURST),
        }
    }
}

/// How many connections may be open at once: from one network address, and in all. Each holds
/// a file descriptor; without a cap, a few hundred stalled ones would take them all.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// `None`: no cap per address (behind a proxy, whose one address carries everyone).
    pub per_address: Option<std::num::NonZeroUsize>,
    pub total: std::num::NonZeroUsize,
}

/// A browser opens a handful of connections; a carrier's address carries many browsers.
pub const CONNECTIONS_PER_ADDRESS: usize = 256;
/// Well under the file descriptors a server process is given here (20,000).
pub const CONNECTIONS_TOTAL: usize = 10_000;

impl ConnectionLimits {
    pub fn new(per_address: usize, total: usize) -> ConnectionLimits {
        ConnectionLimits {
            per_address: std::num::NonZeroUsize::new(per_address),
            total: std::num::NonZeroUsize::new(total).unwrap_or(std::num::NonZeroUsize::MIN),
        }
    }
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits::new(CONNECTIONS_PER_ADDRESS, CONNECTIONS_TOTAL)
    }
}

/// The longest a request may take, reading its body included; a client that sends slower
/// than this holds nothing of ours longer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// A body not in whole within this is answered `408 body_not_read`: well inside the request's
/// deadline, so a slow client is told what it did, not that the server was slow.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection that has not sent its request's headers within this is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Body limits per route: what the largest valid body needs, with room.
pub mod body {
    /// A consent change, a withdrawal, an edition's acceptance.
    pub const SMALL: usize = 16 * 1024;
    /// A batch of UI events (at most `MAX_EVENTS_PER_BATCH`).
    pub const EVENTS: usize = 64 * 1024;
    /// What the company holds about a user.
    pub const HELD_DATA: usize = 256 * 1024;
    /// A policy edition: the whole Markdown text in each language.
    pub const EDITION: usize = 2 * 1024 * 1024;
}

pub struct Limiters {
    subject: Option<KeyedLimiter<SubjectKey>>,
    address: Option<KeyedLimiter<IpAddr>>,
    /// To tell a subject's genuine credentials from forged ones.
    keys: Arc<Keys>,
}

impl Limiters {
    pub fn new(limits: RateLimits, keys: Arc<Keys>) -> Arc<Limiters> {
        let limiters = Arc::new(Limiters {
            subject: limits.per_subject.map(KeyedLimiter::new),
            address: limits.per_address.map(KeyedLimiter::new),
            keys,
        });
        crate::vital::spawn(forget_idle(Arc::downgrade(&limiters)));
        limiters
    }

    fn check(&self, request: &Request) -> Result<(), ApiError> {
        let now = Instant::now();
        let refused = |by: LimitedBy, wait: Duration| {
            ApiError::RateLimited(by, wait.as_secs_f64().ceil().max(1.0) as u64)
        };
        if let Some(limiter) = &self.address {
            let address = request
                .extensions()
                .get::<ClientAddress>()
                .map(|ClientAddress(ip)| *ip);
            if let Some(ip) = address {
                limiter
                    .check(ip, now)
                    .map_err(|w| refused(LimitedBy::Address, w))?;
            }
        }
        // Only what a limit counts is read: a token is verified only for the subject's limit.
        if let Some(limiter) = &self.subject {
            if let Some(key) = crate::auth::verified_subject(request.headers(), &self.keys) {
                limiter
                    .check(key, now)
                    .map_err(|w| refused(LimitedBy::Subject, w))?;
            }
        }
        Ok(())
    }
}

/// Keys whose allowance is whole again are dropped, so the maps stay as small as the recent
/// clients.
async fn forget_idle(limiters: std::sync::Weak<Limiters>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let Some(limiters) = limiters.upgrade() else {
            return;
        };
        let now = Instant::now();
        if let Some(l) = &limiters.subject {
            l.forget_idle(now);
        }
        if let Some(l) = &limiters.address {
            l.forget_idle(now);
        }
    }
}

/// Counts the request against its subject and its address, or answers 429.
pub async fn limit(
    State(limiters): State<Arc<Limiters>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    limiters.check(&request)?;
    Ok(next.run(request).await)
}

/// The answer to a request, or `503 timed_out` once it has run past [`REQUEST_TIMEOUT`]. A
/// write stopped before its commit rolls back; one whose commit was under way may have landed,
/// which the same request sent again with its `Idempotency-Key` tells.
pub async fn within_deadline(answer: impl std::future::Future<Output = Response>) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, answer).await {
        Ok(response) => response,
        Err(_) => ApiError::TimedOut(REQUEST_TIMEOUT.as_secs()).into_response(),
    }
}
