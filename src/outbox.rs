//! Events and unsaved choices never get lost: they wait in localStorage and are delivered in
//! batches, again with backoff while the network or the server is down, and on the next page
//! load. Each event has its UUID from the start, so a batch resent after a lost answer is
//! stored once by the server.

use consent_core::api::{
    ConsentState, ConsentUpdate, EventBatch, EventKind, UiEvent, MAX_EVENTS_PER_BATCH,
};
use consent_core::{EditionVersion, Lang, PurposeId, Timestamp};
use gloo_timers::callback::Timeout;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};

use crate::api::{self, ApiError};
use crate::slot::Slot;
use crate::storage;

const KEY: &str = "outbox";
const MAX_BACKOFF_MS: u32 = 60_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pub events: Vec<UiEvent>,
    /// Choices the user saved while the server could not be reached; the latest wins.
    pub pending_choices: Option<ConsentUpdate>,
}

impl Outbox {
    pub fn load() -> Outbox {
        storage::get_json(KEY).unwrap_or_default()
    }

    pub fn save(&self) {
        if self.is_empty() {
            storage::remove(KEY);
        } else {
            storage::set_json(KEY, self);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.pending_choices.is_none()
    }

    pub fn next_batch(&self) -> Vec<UiEvent> {
        self.events
            .iter()
            .take(MAX_EVENTS_PER_BATCH)
            .cloned()
            .collect()
    }

    pub fn acknowledge(&mut self, delivered: &[UiEvent]) {
        self.events
            .retain(|e| !delivered.iter().any(|d| d.id == e.id));
    }
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
    outbox.events.push(event);
    outbox.save();
    deliver_when_due();
}

pub fn queue_choices(update: ConsentUpdate) {
    let mut outbox = Outbox::load();
    outbox.pending_choices = Some(update);
    outbox.save();
    deliver_when_due();
}

thread_local! {
    static FAILURES: Cell<u32> = const { Cell::new(0) };
    static DELIVERING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
    static PLANNED: Cell<bool> = const { Cell::new(false) };
    static TIMER: RefCell<Option<Timeout>> = const { RefCell::new(None) };
    static ON_CHOICES_DELIVERED: Slot<ConsentState> = const { Slot::new() };
}

/// Told when queued choices reach the server, so the widget can show the saved state.
pub fn on_choices_delivered(callback: impl Fn(ConsentState) + 'static) {
    ON_CHOICES_DELIVERED.with(|c| c.set(callback));
}

/// Delivers what the last page load left, and again whenever the browser comes back online.
pub fn start_background_delivery() {
    let online = gloo_events::EventListener::new(&gloo_utils::window(), "online", |_| {
        FAILURES.with(|f| f.set(0));
        deliver_soon(0);
    });
    online.forget();
    deliver_soon(0);
}

/// Now, unless deliveries are failing: then at the retry already planned, so that a burst of
/// clicks during an outage does not become a burst of requests.
fn deliver_when_due() {
    let failing = FAILURES.with(Cell::get) > 0;
    let planned = PLANNED.with(Cell::get);
    if !(failing && planned) {
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

async fn deliver() {
    if DELIVERING.with(|d| d.replace(true)) {
        // One delivery at a time; the running one goes round again for what came meanwhile.
        AGAIN.with(|a| a.set(true));
        return;
    }
    let mut result = deliver_all().await;
    while result.is_ok() && AGAIN.with(|a| a.replace(false)) {
        result = deliver_all().await;
    }
    DELIVERING.with(|d| d.set(false));
    match result {
        Ok(()) => FAILURES.with(|f| f.set(0)),
        Err(_) => {
            let failures = FAILURES.with(|f| {
                f.set(f.get() + 1);
                f.get()
            });
            deliver_soon(backoff_ms(failures));
        }
    }
}

/// Sends the pending choices, then the events batch by batch. Stops at the first failure worth
/// retrying; drops what the server refuses for good (it would be refused forever).
async fn deliver_all() -> Result<(), ApiError> {
    if let Some(update) = Outbox::load().pending_choices {
        match api::put_consents(&update).await {
            Ok(saved) => {
                // Nobody listening (the page is closing) is fine: the server has them.
                let _ = ON_CHOICES_DELIVERED.with(|c| c.call(saved.state));
                clear_pending(&update);
            }
            Err(e) if e.is_worth_retrying() => return Err(e),
            Err(e) => {
                web_sys::console::warn_1(
                    &format!("consent choices refused: {}", e.message()).into(),
                );
                clear_pending(&update);
            }
        }
    }
    loop {
        let batch = Outbox::load().next_batch();
        if batch.is_empty() {
            return Ok(());
        }
        match api::post_events(&EventBatch {
            events: batch.clone(),
        })
        .await
        {
            Ok(_) => {}
            Err(e) if e.is_worth_retrying() => return Err(e),
            Err(e) => {
                web_sys::console::warn_1(&format!("consent events refused: {}", e.message()).into())
            }
        }
        // Loaded again: events recorded while the batch was in flight stay queued.
        let mut outbox = Outbox::load();
        outbox.acknowledge(&batch);
        outbox.save();
    }
}

fn clear_pending(delivered: &ConsentUpdate) {
    let mut outbox = Outbox::load();
    if outbox.pending_choices.as_ref() == Some(delivered) {
        outbox.pending_choices = None;
    }
    outbox.save();
}
