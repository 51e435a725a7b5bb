//! Events and choices never get lost: they wait in localStorage and are delivered in batches,
//! again with backoff while the network or the server is down, and on the next page load.
//! Each event has its UUID and each change of choices its idempotency key from the start, so
//! what is resent after a lost answer is stored once by the server. The server keeps keys and
//! event ids per subject, so choices and events are sent only as the one who made them (the
//! device, or the account whose token it was), whoever is signed in by then.
//!
//! Nothing leaves the outbox silently: a refusal keeps the item and says so; only an answer
//! that the item can never be stored removes it, and the user and the page are told. Tabs of
//! one browser deliver one at a time (Web Locks), so no item is sent twice at once.

use consent_core::api::{
    ConsentState, ConsentUpdate, EventBatch, EventKind, UiEvent, Withdrawal, MAX_EVENTS_PER_BATCH,
};
use consent_core::{EditionVersion, Lang, PurposeId, Timestamp};
use gloo_timers::callback::Timeout;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

use crate::api::{self, ApiError};
pub use crate::api::{speaking_for, Speaker};
use crate::model::WaitingOn;
use crate::slot::Slot;
use crate::storage;

mod stored;

pub use stored::{Outbox, PendingChoices};

const MAX_BACKOFF_MS: u32 = 60_000;
const LOCK_NAME: &str = "dosmart-consent-outbox";

/// The choices the one the widget speaks for made last and the server has not confirmed:
/// they apply already.
pub fn pending_update() -> Option<ConsentUpdate> {
    Outbox::load()
        .choices_of(&api::speaking_for())
        .map(|p| p.update.clone())
}

/// 1 s, 2 s, 4 s … at most a minute between tries.
pub fn backoff_ms(failures: u32) -> u32 {
    1_000u32
        .saturating_mul(1 << failures.min(6))
        .min(MAX_BACKOFF_MS)
}

pub fn now() -> Timestamp {
    Timestamp(js_sys::Date::now() as i64)
}

pub struct EventDetail {
    pub purpose: Option<PurposeId>,
    pub lang: Option<Lang>,
    pub edition: Option<EditionVersion>,
}

pub fn event(kind: EventKind, detail: EventDetail) -> UiEvent {
    UiEvent {
        id: storage::random_uuid(),
        kind,
        at: now(),
        purpose: detail.purpose,
        lang: detail.lang,
        edition: detail.edition,
    }
}

/// Queues an event and starts delivery.
pub fn record(kind: EventKind, lang: Lang) {
    record_event(event(
        kind,
        EventDetail {
            purpose: None,
            lang: Some(lang),
            edition: None,
        },
    ));
}

pub fn record_event(event: UiEvent) {
    let mut outbox = Outbox::load();
    outbox.push_event(event, api::speaking_for());
    outbox.save();
    deliver_when_due();
}

/// Queues the user's new choices (replacing older ones not yet sent) and starts delivery.
/// `true` when the network is known to be down: the caller tells the user they wait.
pub fn queue_choices(update: ConsentUpdate) -> bool {
    let mut outbox = Outbox::load();
    outbox.replace_choices(PendingChoices {
        key: storage::random_uuid(),
        update,
        made_by: api::speaking_for(),
    });
    outbox.save();
    let failing = FAILURES.with(Cell::get) > 0;
    deliver_when_due();
    failing
}

/// What the App hears of deliveries.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The server stored the queued choices; `still_pending` is anything newer still waiting.
    Delivered {
        state: ConsentState,
        still_pending: Option<ConsentUpdate>,
        /// Switches turned off that were on: the server recorded a withdrawal (2.6).
        withdrawal: Option<Box<Withdrawal>>,
    },
    /// The choices could not be sent yet; they wait and will be.
    Waiting(crate::model::WaitingOn),
    /// The server refused the choices for a reason that may pass: they wait.
    Held(String),
    /// The server can never store them (e.g. the edition they answer no longer exists).
    Dropped(String),
}

thread_local! {
    static FAILURES: Cell<u32> = const { Cell::new(0) };
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
    static PLANNED: Cell<bool> = const { Cell::new(false) };
    static AWAITING_TOKEN: Cell<bool> = const { Cell::new(false) };
    static STARTED: Cell<bool> = const { Cell::new(false) };
    static TIMER: RefCell<Option<Timeout>> = const { RefCell::new(None) };
    static ON_REPORT: Slot<Report> = const { Slot::new() };
}

pub fn on_report(callback: impl Fn(Report) + 'static) {
    ON_REPORT.with(|c| c.set(callback));
}

fn report(report: Report) {
    // Nobody listening (the page is closing) is fine: the outbox still holds what matters.
    ON_REPORT.with(|c| {
        let _ = c.call(report);
    });
}

/// Delivers what the last page load left, and again whenever the browser comes back online.
pub fn start_background_delivery() {
    if STARTED.with(|s| s.replace(true)) {
        return;
    }
    let online = gloo_events::EventListener::new(&gloo_utils::window(), "online", |_| retry_now());
    online.forget();
    deliver_soon(0);
}

/// The page or the app handed over a fresh token: what waited for it goes now.
pub fn token_refreshed() {
    AWAITING_TOKEN.with(|a| a.set(false));
    retry_now();
}

/// What stopped deliveries has passed (or the user asked): try at once, with the backoff
/// started afresh.
pub fn retry_now() {
    FAILURES.with(|f| f.set(0));
    deliver_soon(0);
}

/// Now, unless deliveries are failing: then at the retry already planned, so that a burst of
/// clicks during an outage does not become a burst of requests.
fn deliver_when_due() {
    if AWAITING_TOKEN.with(Cell::get) {
        return; // setToken / token_refresh starts delivery
    }
    if !STARTED.with(Cell::get) {
        return; // who the widget speaks for is not known yet: the start delivers
    }
    let failing = FAILURES.with(Cell::get) > 0;
    if !(failing && PLANNED.with(Cell::get)) {
        deliver_soon(0);
    }
}

fn deliver_soon(delay_ms: u32) {
    PLANNED.with(|p| p.set(true));
    TIMER.with(|t| {
        *t.borrow_mut() = Some(Timeout::new(delay_ms, || {
            PLANNED.with(|p| p.set(false));
            wasm_bindgen_futures::spawn_local(deliver())
        }));
    });
}

/// Why a delivery stopped short.
enum Stop {
    /// Offline, timed out, or the server failed: again after a backoff.
    Unreachable(WaitingOn),
    /// The server asked to wait this long (`Retry-After`): again then, not sooner.
    Wait(u32),
    /// The token expired: again once the page or app gives a fresh one.
    AwaitToken,
    /// Refused for a reason that may pass: kept, tried again at the longest backoff.
    Held,
}

async fn deliver() {
    if DELIVERING.with(|d| d.replace(true)) {
        // One delivery at a time; the running one goes round again for what came meanwhile.
        AGAIN.with(|a| a.set(true));
        return;
    }
    let mut result = exclusively().await;
    while result.is_ok() && AGAIN.with(|a| a.replace(false)) {
        result = exclusively().await;
    }
    DELIVERING.with(|d| d.set(false));
    match result {
        Ok(()) => FAILURES.with(|f| f.set(0)),
        Err(Stop::AwaitToken) => {
            // Never silent: the user hears why their choices wait, the page or app is asked.
            AWAITING_TOKEN.with(|a| a.set(true));
            report(Report::Waiting(WaitingOn::SignIn));
        }
        Err(stop) => {
            let failures = FAILURES.with(|f| {
                f.set(f.get() + 1);
                f.get()
            });
            let delay = match stop {
                Stop::Held => MAX_BACKOFF_MS,
                Stop::Wait(ms) => ms,
                _ => backoff_ms(failures),
            };
            deliver_soon(delay);
        }
    }
}

/// Runs one delivery holding the browser-wide lock, so that two tabs never send the same item;
/// the outbox is read inside it, after any other tab's delivery has cleared what it sent.
async fn exclusively() -> Result<(), Stop> {
    let navigator = gloo_utils::window().navigator();
    let locks = js_sys::Reflect::get(&navigator, &"locks".into()).unwrap_or(JsValue::UNDEFINED);
    let request = js_sys::Reflect::get(&locks, &"request".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(request) = request else {
        return deliver_all().await;
    };
    let outcome: Rc<RefCell<Option<Result<(), Stop>>>> = Rc::new(RefCell::new(None));
    let slot = outcome.clone();
    let callback = Closure::once(move |_lock: JsValue| -> js_sys::Promise {
        wasm_bindgen_futures::future_to_promise(async move {
            *slot.borrow_mut() = Some(deliver_all().await);
            Ok(JsValue::UNDEFINED)
        })
    });
    let Ok(promise) = request.call2(&locks, &LOCK_NAME.into(), callback.as_ref()) else {
        return Err(Stop::Unreachable(WaitingOn::Network));
    };
    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise)).await;
    drop(callback);
    let delivered = outcome.borrow_mut().take();
    delivered.unwrap_or(Err(Stop::Unreachable(WaitingOn::Network)))
}

/// Sends the pending choices, then the events batch by batch, and stops at the first thing
/// that cannot go now.
async fn deliver_all() -> Result<(), Stop> {
    deliver_choices().await?;
    let mut limit = MAX_EVENTS_PER_BATCH;
    loop {
        let (maker, batch) = Outbox::load().next_batch(limit, &api::speaking_for());
        if batch.is_empty() {
            return Ok(());
        }
        let events = EventBatch {
            events: batch.clone(),
        };
        match api::post_events(&events, &maker).await {
            Ok(_) => {}
            Err(e) => match stop_for(&e) {
                // Too large, or one bad event among good ones: smaller batches find it.
                None if batch.len() > 1 && (e.status() == 413 || e.is_impossible()) => {
                    limit = (batch.len() / 2).max(1);
                    continue;
                }
                None if e.is_impossible() => {
                    tell_page("event_dropped", &e);
                }
                None => {
                    tell_page("events_held", &e);
                    return Err(Stop::Held);
                }
                Some(stop) => return Err(stop),
            },
        }
        // Loaded again: events recorded while the batch was in flight stay queued.
        let mut outbox = Outbox::load();
        outbox.acknowledge(&batch);
        outbox.save();
    }
}

/// Sends each one's pending choices as them. An account's wait while another account (or
/// nobody) is signed in: they go when that account's token is back. Events likewise.
async fn deliver_choices() -> Result<(), Stop> {
    let now_for = api::speaking_for();
    let sendable = Outbox::load()
        .pending_choices
        .into_iter()
        .filter(|p| p.made_by.may_send_while(&now_for));
    for pending in sendable {
        deliver_one(pending).await?;
    }
    Ok(())
}

async fn deliver_one(pending: PendingChoices) -> Result<(), Stop> {
    match api::put_consents(&pending.update, &pending.key.to_string(), &pending.made_by).await {
        Ok(saved) => {
            clear_pending(&pending);
            if !pending.made_by.is(&api::speaking_for()) {
                // Stored for the device, or an account, that is not the one on screen now:
                // their state is not the one shown.
                return Ok(());
            }
            report(Report::Delivered {
                state: saved.state,
                still_pending: pending_update(),
                withdrawal: saved.withdrawal.map(Box::new),
            });
            Ok(())
        }
        Err(e) => match stop_for(&e) {
            Some(stop) => {
                match stop {
                    Stop::Unreachable(on) => report(Report::Waiting(on)),
                    Stop::Wait(_) => report(Report::Waiting(WaitingOn::Server)),
                    _ => {}
                }
                Err(stop)
            }
            None if e.is_impossible() => {
                clear_pending(&pending);
                tell_page("choices_dropped", &e);
                report(Report::Dropped(e.message()));
                Ok(())
            }
            None => {
                tell_page("choices_held", &e);
                report(Report::Held(e.message()));
                Err(Stop::Held)
            }
        },
    }
}

/// What stops delivery whatever the item: the network, the server, or an expired token.
fn stop_for(error: &ApiError) -> Option<Stop> {
    if let ApiError::Busy { after_ms, .. } = error {
        Some(Stop::Wait(*after_ms))
    } else if let ApiError::ServerFailed(_) = error {
        Some(Stop::Unreachable(WaitingOn::Server))
    } else if error.is_worth_retrying() {
        Some(Stop::Unreachable(WaitingOn::Network))
    } else if error.needs_fresh_token() {
        crate::embed::notify("token_expired", &crate::embed::Empty {});
        Some(Stop::AwaitToken)
    } else {
        None
    }
}

/// The page hears every refusal (`dosmart:consent-error`), to log it.
fn tell_page(what: &'static str, error: &ApiError) {
    #[derive(Serialize)]
    struct Problem<'a> {
        what: &'static str,
        status: u16,
        error: &'a str,
        message: String,
    }
    web_sys::console::warn_1(&format!("dosmart consent: {what}: {}", error.message()).into());
    crate::embed::notify(
        "problem",
        &Problem {
            what,
            status: error.status(),
            error: error.code(),
            message: error.message(),
        },
    );
}

fn clear_pending(delivered: &PendingChoices) {
    let mut outbox = Outbox::load();
    outbox.pending_choices.retain(|p| p != delivered);
    outbox.save();
}
