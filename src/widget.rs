//! What the user's actions do: [`Widget`], the handle every screen gets, changes the model and
//! reaches the page, the server and the host through the effects ([`crate::outbox`],
//! [`crate::embed`], [`crate::storage`], [`crate::api`]) and moves focus ([`crate::focus`]).
//! Features act through it; it knows none of them.

use consent_core::api::{ConsentUpdate, EventKind};
use consent_core::{EditionVersion, Lang, PurposeId};
use std::collections::BTreeMap;
use yew::prelude::*;

use crate::command::{BannerAction, Command};
use crate::i18n::texts;
use crate::model::{consent_choices, Action, Model, View, WaitingOn};
use crate::outbox::{self, EventDetail};
use crate::{api, embed, focus, storage};

/// What every part of the widget reads and acts through.
#[derive(Clone, PartialEq)]
pub struct Widget {
    pub model: UseReducerHandle<Model>,
}

impl Widget {
    pub fn lang(&self) -> Lang {
        self.model.lang
    }

    /// The edition in force: as the server last said, or as it said on an earlier visit
    /// (offline).
    pub fn edition(&self) -> Option<EditionVersion> {
        self.model
            .loaded_edition()
            .or_else(|| storage::get("edition").and_then(|v| EditionVersion::parse(&v)))
    }

    /// Opens `view` over what is shown; Back returns to it.
    pub fn open(&self, view: View) {
        let kind = match &view {
            View::Choices => Some(EventKind::ChoicesOpened),
            View::Policy { .. } => Some(EventKind::PolicyOpened),
            View::MyData => Some(EventKind::MyDataOpened),
            View::Application(_) | View::Changes { .. } => None,
        };
        if let Some(kind) = kind {
            outbox::record(kind, self.lang());
        }
        if self.model.view() != Some(&view) {
            focus::opening(self.model.views.len());
        }
        self.model.dispatch(Action::Open(view));
    }

    /// One screen back. The last one closes: on the web back to the page, in the app by
    /// telling the native side, which closes the screen (it is never left blank).
    pub fn back(&self) {
        outbox::record(EventKind::DialogClosed, self.lang());
        let open = self.model.views.len();
        if open > 1 {
            focus::closing_to(open - 1);
            self.model.dispatch(Action::Back);
        } else if self.model.in_app {
            embed::notify("close", &embed::Empty {});
        } else {
            self.close_all();
        }
    }

    fn close_all(&self) {
        focus::closing_to(0);
        self.model.dispatch(Action::CloseAll);
    }

    pub fn run(&self, command: Command) {
        match command {
            Command::ShowBanner => self.model.dispatch(Action::ShowBanner),
            Command::OpenChoices => self.open(View::Choices),
            Command::OpenPolicy(anchor) => self.open(View::Policy { anchor }),
            Command::SetLanguage(lang) => self.set_lang(lang),
            // The app's back button or gesture goes one screen back, at every depth.
            Command::Close if self.model.in_app => self.back(),
            Command::Close => self.close_all(),
            // Until the state has loaded an answer has no edition to answer.
            Command::Act(action) if !self.model.loaded => {
                self.model.dispatch(Action::Queue(Some(action)))
            }
            Command::Act(action) => self.act(action),
            Command::PersonChanged => {
                self.model.dispatch(Action::PersonChanged);
                wasm_bindgen_futures::spawn_local(load_state(self.model.clone()));
            }
        }
    }

    pub fn set_lang(&self, lang: Lang) {
        #[cfg(target_arch = "wasm32")]
        if !crate::i18n::is_loaded(lang) {
            // Its words first, then the switch in one step; offline, the user is told why not.
            let widget = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_texts(lang).await {
                    Ok(()) => widget.set_lang(lang),
                    Err(_) => widget.model.dispatch(Action::LanguageUnavailable(lang)),
                }
            });
            return;
        }
        storage::set("lang", lang.code());
        outbox::record(EventKind::LanguageChanged, lang);
        self.model.dispatch(Action::SetLang(lang));
    }

    pub fn toggle(&self, purpose: PurposeId, on: bool) {
        self.model.dispatch(Action::Toggle(purpose, on));
    }

    pub fn accept_all(&self) {
        let choices = consent_choices(self.model.gpc, &|_| true);
        self.save(EventKind::AcceptAll, choices);
    }

    pub fn refuse_optional(&self) {
        let choices = consent_choices(self.model.gpc, &|_| false);
        self.save(EventKind::RefuseOptional, choices);
    }

    pub fn save_draft(&self) {
        self.save(EventKind::ChoicesSaved, self.model.draft.clone());
    }

    /// The choices apply at once (gating, Consent Mode, the page and the app hear them now)
    /// and go to the server through the outbox, which keeps them until it has stored them.
    /// Turning off what was on is a withdrawal (2.6): the server records it as one.
    fn save(&self, kind: EventKind, choices: BTreeMap<PurposeId, bool>) {
        let lang = self.lang();
        outbox::record(kind, lang);
        let Some(policy_version) = self.edition() else {
            self.model
                .dispatch(Action::Failed(texts(lang).load_failed.into()));
            return;
        };
        let update = ConsentUpdate {
            policy_version,
            lang,
            choices,
        };
        if !self.model.withdrawn_by(&update).is_empty() {
            outbox::record(EventKind::WithdrawalRequested, lang);
        }
        let offline = outbox::queue_choices(update.clone());
        if self.model.in_app {
            focus::closing_to(1);
        } else if self.model.views.is_empty() {
            focus::return_to_page();
        } else {
            focus::closing_to(0);
        }
        self.model.dispatch(Action::Chosen(update));
        if offline {
            self.model.dispatch(Action::Waiting(WaitingOn::Network));
        }
    }

    /// Sends what waits in the outbox now, after a failure the user saw.
    pub fn retry(&self) {
        outbox::retry_now();
    }

    pub fn dismiss_notice(&self) {
        self.model.dispatch(Action::Dismiss(self.model.notice_seq));
    }

    pub fn accept_edition(&self) {
        let Some(edition) = self.edition() else {
            return;
        };
        outbox::record_event(outbox::event(
            EventKind::PolicyAcceptedByButton,
            EventDetail {
                purpose: None,
                lang: Some(self.lang()),
                edition: Some(edition.clone()),
            },
        ));
        // Shown as accepted at once; the event reaches the server through the outbox.
        if let Some(mut state) = self.model.state.clone() {
            state.current_accepted = true;
            self.model.dispatch(Action::Loaded(Some(state)));
        }
    }
}

impl Widget {
    /// A banner answer, from the live banner or from a click on the prerendered one that the
    /// loader kept until the widget ran.
    pub fn act(&self, action: BannerAction) {
        match action {
            BannerAction::AcceptAll => self.accept_all(),
            BannerAction::RefuseOptional => self.refuse_optional(),
            BannerAction::Choose => self.open(View::Choices),
            BannerAction::ReadPolicy => self.open(View::Policy { anchor: None }),
            BannerAction::Language(lang) => self.set_lang(lang),
        }
    }
}

/// The state of the one the widget speaks for: from the server, under what they chose here
/// and is still on its way (which applies at once, before the server answers).
pub async fn load_state(model: UseReducerHandle<Model>) {
    model.dispatch(Action::Pending(outbox::pending_update()));
    match api::consents().await {
        Ok(state) => {
            storage::set("edition", state.current_edition.as_str());
            model.dispatch(Action::Loaded(Some(state)));
        }
        // Offline on arrival: the banner still shows unless the user answered before.
        Err(_) => model.dispatch(Action::Loaded(None)),
    }
}

/// Fetches the words of a language the user switched to, and keeps them for the loader to
/// use offline.
#[cfg(target_arch = "wasm32")]
async fn fetch_texts(lang: Lang) -> Result<(), String> {
    if crate::i18n::is_loaded(lang) {
        return Ok(());
    }
    let served = api::texts(lang).await.map_err(|e| e.message())?;
    crate::i18n::install_text(lang, &served)?;
    storage::set(&format!("texts:{lang}"), &served);
    Ok(())
}
