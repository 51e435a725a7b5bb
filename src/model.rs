//! The widget's state and what changes it: the screens open, the user's draft and latest
//! word, the notice. Pure: what the user's actions do to the page, the server and the host is
//! [`crate::widget`]'s. Every other module may depend on this one; it depends on none of them.

use consent_core::api::{ConsentState, ConsentUpdate, Withdrawal, WrittenApplication};
use consent_core::{catalog, EditionVersion, Lang, PurposeId};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

use crate::command::BannerAction;

/// A screen of the widget. They stack: each opened from another returns to it with Back.
#[derive(Clone, Debug, PartialEq)]
pub enum View {
    Choices,
    Policy {
        anchor: Option<String>,
    },
    /// The written application of a withdrawal, the user's proof of it (2.6).
    Application(WrittenApplication),
    MyData,
    /// What changed in edition `to` since `from`, the edition the user accepted.
    Changes {
        from: EditionVersion,
        to: EditionVersion,
    },
}

/// Why chosen consent has not reached the server yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitingOn {
    /// Offline, or the server cannot be reached.
    Network,
    /// The server failed, or asked to wait (too many requests, its database away).
    Server,
    /// The sign-in expired: they go once the page or the app gives a fresh token.
    SignIn,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Saved,
    /// Saved switches turned consent off: withdrawn from this moment (2.6). The application
    /// comes once the server has recorded the withdrawal.
    Withdrawn {
        purposes: Vec<PurposeId>,
        application: Option<WrittenApplication>,
        /// Not yet delivered, and why.
        waiting: Option<WaitingOn>,
    },
    /// Saved here and applied; the server has yet to hear of it.
    Waiting(WaitingOn),
    Failed(String),
    /// The server can never store the choices: the user is asked to choose again.
    Dropped(String),
    /// The words of the language the user switched to could not be fetched (offline): the
    /// widget stays in the one it speaks, and says so.
    LanguageUnavailable(Lang),
}

impl Notice {
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            Notice::Failed(_) | Notice::Dropped(_) | Notice::LanguageUnavailable(_)
        )
    }

    /// Only plain success goes by itself; what the user may act on stays until dismissed.
    pub fn hides_by_itself(&self) -> bool {
        matches!(self, Notice::Saved)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub lang: Lang,
    /// The server's view of the user; `None` until it answered.
    pub state: Option<ConsentState>,
    /// The first answer (or failure) has come: until then nothing is shown, so nothing flickers.
    pub loaded: bool,
    /// The switches as the user set them in the choices dialog.
    pub draft: BTreeMap<PurposeId, bool>,
    /// The switches the user moved since the dialog opened.
    pub touched: std::collections::BTreeSet<PurposeId>,
    /// The open screens, the shown one last; empty when only the page is seen.
    pub views: Vec<View>,
    pub notice: Option<Notice>,
    /// Tells one notice from the next, so that a success hidden by its timer is that one.
    pub notice_seq: u32,
    /// The browser sends Global Privacy Control: promotion and targeting stay refused.
    pub gpc: bool,
    /// The user's latest choices, saved but not yet confirmed by the server: they apply at
    /// once, over whatever the server last said.
    pub pending: Option<ConsentUpdate>,
    /// The page asked for the banner (`DosmartConsent.showBanner()`), answered or not.
    pub banner_forced: bool,
    /// Full screen in the app's webview: no banner, the choices are the page.
    pub in_app: bool,
    /// A click on the prerendered banner, to carry out once the user's state has loaded.
    pub queued: Option<BannerAction>,
}

pub enum Action {
    Loaded(Option<ConsentState>),
    ShowBanner,
    SetLang(Lang),
    Open(View),
    Back,
    CloseAll,
    Toggle(PurposeId, bool),
    Queue(Option<BannerAction>),
    /// The user saved: the choices apply now and go to the server through the outbox.
    Chosen(ConsentUpdate),
    Delivered {
        state: ConsentState,
        still_pending: Option<ConsentUpdate>,
        withdrawal: Option<Box<Withdrawal>>,
    },
    Waiting(WaitingOn),
    Failed(String),
    Dropped(String),
    LanguageUnavailable(Lang),
    /// The notice numbered so goes (its timer ran out, or the user dismissed it).
    Dismiss(u32),
    /// Another person is signed in: nothing of the one before stays on screen; their own
    /// state loads.
    PersonChanged,
    /// What the one the widget speaks for chose here and is still on its way: it applies
    /// over the server's state. Known only once the token is.
    Pending(Option<ConsentUpdate>),
}

impl Reducible for Model {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded(state) => {
                next.loaded = true;
                if let Some(state) = state {
                    next.state = Some(state);
                    next.refresh_draft();
                }
            }
            Action::Pending(pending) => {
                next.pending = pending;
                next.refresh_draft();
            }
            Action::PersonChanged => {
                next.state = None;
                next.loaded = false;
                next.pending = None;
                if !next.in_app {
                    next.views.clear();
                }
                next.notice = None;
                next.banner_forced = false;
                next.touched.clear();
                next.refresh_draft();
            }
            Action::SetLang(lang) => {
                next.lang = lang;
                if matches!(next.notice, Some(Notice::LanguageUnavailable(_))) {
                    next.notice = None;
                }
            }
            Action::ShowBanner => next.banner_forced = true,
            Action::Open(view) => {
                if view == View::Choices && !next.views.contains(&View::Choices) {
                    next.draft = next.draft_from_latest();
                    next.touched.clear();
                }
                if next.views.last() != Some(&view) {
                    next.views.push(view);
                }
            }
            Action::Back => {
                next.views.pop();
            }
            Action::CloseAll => next.views.clear(),
            Action::Queue(action) => next.queued = action,
            Action::Toggle(purpose, on) => {
                next.draft.insert(purpose, on);
                next.touched.insert(purpose);
                // "Saved" spoke of the switches as they were.
                if next.notice == Some(Notice::Saved) {
                    next.notice = None;
                }
            }
            Action::Chosen(update) => {
                let withdrawn = next.withdrawn_by(&update);
                next.pending = Some(update);
                next.draft = next.draft_from_latest();
                next.touched.clear();
                next.banner_forced = false;
                next.set_notice((!withdrawn.is_empty()).then_some(Notice::Withdrawn {
                    purposes: withdrawn,
                    application: None,
                    waiting: None,
                }));
                next.views = next.views_after_answer();
            }
            Action::Delivered {
                state,
                still_pending,
                withdrawal,
            } => {
                next.state = Some(state);
                next.pending = still_pending;
                next.refresh_draft();
                match (withdrawal, &mut next.notice) {
                    (Some(w), _) => next.set_notice(Some(Notice::Withdrawn {
                        purposes: w.purposes,
                        application: Some(w.application),
                        waiting: None,
                    })),
                    // Told at once; now the server has it too.
                    (None, Some(Notice::Withdrawn { waiting, .. })) => *waiting = None,
                    (None, _) => next.set_notice(Some(Notice::Saved)),
                }
            }
            Action::Waiting(on) => match &mut next.notice {
                // A withdrawal applies at once, online or not: its notice stays, and says
                // that the server has yet to hear of it.
                Some(Notice::Withdrawn { waiting, .. }) => *waiting = Some(on),
                _ => next.set_notice(Some(Notice::Waiting(on))),
            },
            Action::Failed(message) => next.set_notice(Some(Notice::Failed(message))),
            Action::LanguageUnavailable(lang) => {
                next.set_notice(Some(Notice::LanguageUnavailable(lang)))
            }
            Action::Dropped(message) => {
                next.pending = None;
                next.refresh_draft();
                next.set_notice(Some(Notice::Dropped(message)));
            }
            Action::Dismiss(seq) => {
                if seq == next.notice_seq {
                    next.notice = None;
                }
            }
        }
        Rc::new(next)
    }
}

pub fn gpc_enabled() -> bool {
    js_sys::Reflect::get(
        &gloo_utils::window().navigator(),
        &"globalPrivacyControl".into(),
    )
    .ok()
    .and_then(|v| v.as_bool())
    .unwrap_or(false)
}

impl Model {
    pub fn answered(&self) -> bool {
        self.pending.is_some() || self.state.as_ref().is_some_and(|s| s.answered)
    }

    /// The user's latest word on a purpose: a choice still on its way wins over the server's
    /// older state, so a refusal applies from the moment it is made.
    pub fn granted(&self, purpose: PurposeId) -> bool {
        if catalog().purpose_by_id(purpose).is_necessary() {
            return true;
        }
        match self.pending.as_ref().and_then(|p| p.choices.get(&purpose)) {
            Some(granted) => *granted,
            None => self.state.as_ref().is_some_and(|s| s.granted(purpose)),
        }
    }

    /// The switches a user starts from: what they chose last, else every consent purpose off.
    fn draft_from_latest(&self) -> BTreeMap<PurposeId, bool> {
        consent_choices(self.gpc, &|p| self.granted(p))
    }

    /// The switches follow what is now known, except those the user moved and has not saved.
    fn refresh_draft(&mut self) {
        let moved = std::mem::take(&mut self.draft);
        self.draft = self.draft_from_latest();
        let touched = &self.touched;
        self.draft
            .extend(moved.into_iter().filter(|(p, _)| touched.contains(p)));
    }

    /// On the web an answer closes every screen; in the app the choices are the screen.
    fn views_after_answer(&self) -> Vec<View> {
        if self.in_app {
            vec![View::Choices]
        } else {
            Vec::new()
        }
    }

    /// The consent purposes `update` turns off that are on now: a withdrawal (2.6).
    pub fn withdrawn_by(&self, update: &ConsentUpdate) -> Vec<PurposeId> {
        update
            .choices
            .iter()
            .filter(|(purpose, granted)| !**granted && self.granted(**purpose))
            .map(|(purpose, _)| *purpose)
            .collect()
    }

    fn set_notice(&mut self, notice: Option<Notice>) {
        self.notice_seq += 1;
        self.notice = notice;
    }

    pub fn view(&self) -> Option<&View> {
        self.views.last()
    }

    pub fn banner_visible(&self) -> bool {
        let answering = self.queued.is_some_and(BannerAction::answers);
        self.loaded && !self.in_app && !answering && (self.banner_forced || !self.answered())
    }

    /// Of the consent purposes, how many are on now and how many there are.
    pub fn consent_count(&self) -> (usize, usize) {
        let purposes = catalog().consent_purposes();
        purposes.fold((0, 0), |(on, all), p| {
            (on + usize::from(self.granted(p.id)), all + 1)
        })
    }

    /// An edition newer than the one the user accepted is in force (1.5–1.6).
    pub fn update_pending(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| s.answered && s.accepted.is_some() && !s.current_accepted)
    }

    /// The edition in force, as the server last said.
    pub fn loaded_edition(&self) -> Option<EditionVersion> {
        self.state.as_ref().map(|s| s.current_edition.clone())
    }
}

/// Every consent purpose as `granted` says, except that one the browser's Global Privacy
/// Control refuses is never on.
pub fn consent_choices(
    gpc: bool,
    granted: &dyn Fn(PurposeId) -> bool,
) -> BTreeMap<PurposeId, bool> {
    consent_core::map_by_insertion(
        catalog()
            .consent_purposes()
            .map(|p| (p.id, granted(p.id) && !(gpc && p.gpc_refuses))),
    )
}
