//! Requests counted per key (GCRA: each key holds the time at which its allowance is whole
//! again), in memory that stays bounded whoever sends: at most [`MAX_KEYS`] keys are held, and
//! past that the keys not seen for longest go first.
//!
//! Forgetting a key is harmless once its allowance is whole again, and costs at most one fresh
//! burst before. Only keys that proved themselves (a verified token, a device id with its
//! proof, an address) are counted here, so reaching the cap takes that many real credentials.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::num::NonZeroU32;

/// Requests per minute, and how many may come at once before the rate applies; `None`: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    /// `per_minute` 0 means no limit.
    pub fn per_minute(per_minute: u32, burst: u32) -> Option<Rate> {
        Some(Rate {
            per_minute: NonZeroU32::new(per_minute)?,
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        })
    }
}

/// The most keys one limiter holds: a few megabytes, far more than the clients of one minute.
pub const MAX_KEYS: usize = 100_000;

pub struct KeyedLimiter<K> {
    /// The time between two requests at the steady rate.
    interval: Duration,
    /// How far ahead of now a key's time may run: the burst.
    tolerance: Duration,
    keys: Mutex<Generations<K>>,
}

/// The keys seen in this generation and in the one before it. When this one is full, the one
/// before is dropped whole: every key in it was last seen before every key in this one.
struct Generations<K> {
    current: HashMap<K, Instant>,
    previous: HashMap<K, Instant>,
}

impl<K: Hash + Eq> KeyedLimiter<K> {
    pub fn new(rate: Rate) -> KeyedLimiter<K> {
        let interval = Duration::from_secs(60) / rate.per_minute.get();
        KeyedLimiter {
            interval,
            tolerance: interval * rate.burst.get(),
            keys: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
            }),
        }
    }

    /// Counts one request of `key`, or says how long it must wait.
    pub fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let held = keys.current.get(&key).copied();
        let held = held.or_else(|| keys.previous.remove(&key));
        let next = held.map_or(now, |t| t.max(now)) + self.interval;
        let ahead = next - now;
        if ahead > self.tolerance {
            if let Some(t) = held {
                keys.current.insert(key, t);
            }
            return Err(ahead - self.tolerance);
        }
        if keys.current.len() >= MAX_KEYS / 2 && !keys.current.contains_key(&key) {
            keys.previous = std::mem::take(&mut keys.current);
        }
        keys.current.insert(key, next);
        Ok(())
    }

    /// Drops the keys whose allowance is whole again: they are as good as new.
    pub fn forget_idle(&self, now: Instant) {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.current.retain(|_, t| *t > now);
        keys.previous.retain(|_, t| *t > now);
        keys.current.shrink_to_fit();
        keys.previous.shrink_to_fit();
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.current.len() + keys.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(per_minute: u32, burst: u32) -> Rate {
        Rate::per_minute(per_minute, burst).unwrap()
    }

    #[test]
    fn a_burst_passes_then_the_steady_rate() {
        let limiter = KeyedLimiter::new(rate(60, 3));
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", start).is_ok());
        }
        let wait = limiter.check("a", start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(
            limiter.check("b", start).is_ok(),
            "another key has its own allowance"
        );
        assert!(limiter.check("a", start + Duration::from_secs(1)).is_ok());
        assert!(limiter.check("a", start + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_keys_go_first() {
        let limiter = KeyedLimiter::new(rate(60, 1));
        let now = Instant::now();
        assert!(limiter.check(0usize, now).is_ok());
        for key in 1..MAX_KEYS * 3 {
            assert!(limiter.check(key, now).is_ok());
            assert!(limiter.len() <= MAX_KEYS);
        }
        let last = MAX_KEYS * 3 - 1;
        assert!(
            limiter.check(last, now).is_err(),
            "the newest key is still held"
        );
        assert!(limiter.check(0, now).is_ok(), "the oldest was forgotten");
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let limiter = KeyedLimiter::new(rate(60, 2));
        let now = Instant::now();
        limiter.check("a", now).unwrap();
        limiter.check("b", now).unwrap();
        limiter.check("b", now).unwrap();
        limiter.forget_idle(now + Duration::from_millis(1500));
        assert_eq!(limiter.len(), 1, "a is whole again, b is not");
    }
}
