//! What waits in localStorage: the events and changes of choices not yet stored by the server,
//! each with who made it. Read item by item, so one unreadable item loses nothing else.

use consent_core::api::{ConsentUpdate, UiEvent};
use js_sys::Reflect;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::api::Speaker;
use crate::json;
use crate::storage;

const KEY: &str = "outbox";

/// A change of choices on its way, with the key that makes sending it twice harmless when it
/// is sent as the one who made it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingChoices {
    pub key: uuid::Uuid,
    pub update: ConsentUpdate,
    pub made_by: Speaker,
}

/// Stored in localStorage, where an older widget, a full disk or a person may have left
/// anything: each part is read on its own, and one that cannot be read is left out without
/// losing the rest.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outbox {
    pub events: Vec<UiEvent>,
    /// Who recorded each event, by the event's id: it is sent as them, as choices are. An
    /// event not named here was kept by a widget from before.
    pub event_makers: Vec<(uuid::Uuid, Speaker)>,
    /// The latest choices of each one who chose in this browser (the device, each account
    /// signed in), not yet stored by the server: a newer change by the same one replaces theirs.
    pub pending_choices: Vec<PendingChoices>,
}

impl json::Read for Outbox {
    fn read(value: &JsValue) -> Result<Outbox, json::Unreadable> {
        let kept = json::object(value)?;
        let part = |name| Reflect::get(kept, &JsValue::from_str(name)).unwrap_or(JsValue::NULL);
        let pending = part("pending_choices");
        Ok(Outbox {
            events: readable_items(&part("events")),
            event_makers: readable_items(&part("event_makers")),
            // A widget from before kept one object, not a list.
            pending_choices: match PendingChoices::read(&pending) {
                Ok(one) => vec![one],
                Err(_) => readable_items(&pending),
            },
        })
    }
}

/// The items of a list that can be read; nothing when it is no list.
fn readable_items<T: json::Read>(list: &JsValue) -> Vec<T> {
    json::items(list)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| T::read(&item).ok())
                .collect()
        })
        .unwrap_or_default()
}

impl json::Read for PendingChoices {
    fn read(value: &JsValue) -> Result<PendingChoices, json::Unreadable> {
        let kept = json::object(value)?;
        Ok(PendingChoices {
            key: json::field(kept, "key")?,
            update: json::field(kept, "update")?,
            // Kept by a widget from before writes were marked: whoever it speaks for now.
            made_by: json::field::<Option<Speaker>>(kept, "made_by")?.unwrap_or_default(),
        })
    }
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
        self.events.is_empty() && self.pending_choices.is_empty()
    }

    /// What `speaker` chose last and the server has not stored yet.
    pub fn choices_of(&self, speaker: &Speaker) -> Option<&PendingChoices> {
        self.pending_choices
            .iter()
            .rev()
            .find(|p| p.made_by.is(speaker))
    }

    /// Keeps `pending` as its speaker's latest choices, in place of any they made before.
    pub fn replace_choices(&mut self, pending: PendingChoices) {
        self.pending_choices
            .retain(|p| p.made_by != pending.made_by);
        self.pending_choices.push(pending);
    }

    /// Queues `event`, recorded by `maker`.
    pub fn push_event(&mut self, event: UiEvent, maker: Speaker) {
        self.event_makers.push((event.id, maker));
        self.events.push(event);
    }

    fn maker_of(&self, event: &UiEvent) -> Speaker {
        self.event_makers
            .iter()
            .find(|(id, _)| *id == event.id)
            .map(|(_, maker)| maker.clone())
            .unwrap_or_default()
    }

    /// The next events that can go while the widget speaks for `now`, at most `limit`, all
    /// of one maker (one request speaks for one subject), with that maker.
    pub fn next_batch(&self, limit: usize, now: &Speaker) -> (Speaker, Vec<UiEvent>) {
        let mut sendable = self
            .events
            .iter()
            .map(|event| (self.maker_of(event), event))
            .filter(|(maker, _)| maker.may_send_while(now));
        let Some((maker, first)) = sendable.next() else {
            return (Speaker::Current, Vec::new());
        };
        let rest = sendable
            .filter(|(other, _)| *other == maker)
            .map(|(_, event)| event);
        let batch = std::iter::once(first)
            .chain(rest)
            .take(limit)
            .cloned()
            .collect();
        (maker, batch)
    }

    pub fn acknowledge(&mut self, delivered: &[UiEvent]) {
        self.events
            .retain(|e| !delivered.iter().any(|d| d.id == e.id));
        self.event_makers
            .retain(|(id, _)| !delivered.iter().any(|d| d.id == *id));
    }
}
