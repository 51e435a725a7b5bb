//! The root: the widget's state (a reducer in a context) and the actions every part uses.

use consent_core::api::{ConsentState, ConsentUpdate, EventKind, WrittenApplication};
use consent_core::{catalog, EditionVersion, Lang, PurposeId};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

use crate::api;
use crate::banner::{Banner, BannerAction, SettingsButtonView};
use crate::choices::ChoicesDialog;
use crate::config::WidgetConfig;
use crate::embed::{self, Command, HostState};
use crate::i18n::texts;
use crate::language;
use crate::my_data::MyDataDialog;
use crate::outbox::{self, EventDetail, Report};
use crate::policy::PolicyDialog;
use crate::storage;
use crate::update_notice::UpdateNotice;
use crate::withdrawal::{ApplicationDialog, WithdrawDialog};

#[derive(Clone, Debug, PartialEq)]
pub enum View {
    None,
    Choices,
    Policy { anchor: Option<String> },
    Withdraw(PurposeId),
    Application(WrittenApplication),
    MyData,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Saved,
    SavedOffline,
    Failed(String),
    /// The server can never store the choices: the user is asked to choose again.
    Dropped(String),
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
    pub view: View,
    pub notice: Option<Notice>,
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
    Close,
    Toggle(PurposeId, bool),
    Queue(Option<BannerAction>),
    /// The user saved: the choices apply now and go to the server through the outbox.
    Chosen(ConsentUpdate),
    Delivered {
        state: ConsentState,
        still_pending: Option<ConsentUpdate>,
    },
    SavedOffline,
    Failed(String),
    Dropped(String),
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
            Action::SetLang(lang) => next.lang = lang,
            Action::ShowBanner => next.banner_forced = true,
            Action::Open(view) => {
                if view == View::Choices {
                    next.draft = next.draft_from_latest();
                    next.touched.clear();
                }
                next.view = view;
                next.notice = None;
            }
            Action::Close => next.view = View::None,
            Action::Queue(action) => next.queued = action,
            Action::Toggle(purpose, on) => {
                next.draft.insert(purpose, on);
                next.touched.insert(purpose);
                // "Saved" spoke of the switches as they were.
                next.notice = None;
            }
            Action::Chosen(update) => {
                next.pending = Some(update);
                next.draft = next.draft_from_latest();
                next.touched.clear();
                next.banner_forced = false;
                next.notice = None;
                next.view = next.view_after_answer();
            }
            Action::Delivered {
                state,
                still_pending,
            } => {
                next.state = Some(state);
                next.pending = still_pending;
                next.refresh_draft();
                next.notice = Some(Notice::Saved);
            }
            Action::SavedOffline => next.notice = Some(Notice::SavedOffline),
            Action::Failed(message) => next.notice = Some(Notice::Failed(message)),
            Action::Dropped(message) => {
                next.pending = None;
                next.refresh_draft();
                next.notice = Some(Notice::Dropped(message));
            }
        }
        Rc::new(next)
    }
}

/// Global Privacy Control is a refusal of promotion and targeting.
pub fn refused_by_gpc(purpose: PurposeId) -> bool {
    matches!(purpose.as_str(), "promotion" | "personalised_ads")
}

fn gpc_enabled() -> bool {
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
        catalog()
            .consent_purposes()
            .map(|p| {
                (
                    p.id,
                    self.granted(p.id) && !(self.gpc && refused_by_gpc(p.id)),
                )
            })
            .collect()
    }

    /// The switches follow what is now known, except those the user moved and has not saved.
    fn refresh_draft(&mut self) {
        let moved = std::mem::take(&mut self.draft);
        self.draft = self.draft_from_latest();
        let touched = &self.touched;
        self.draft
            .extend(moved.into_iter().filter(|(p, _)| touched.contains(p)));
    }

    fn view_after_answer(&self) -> View {
        if self.in_app {
            View::Choices
        } else {
            View::None
        }
    }

    pub fn banner_visible(&self) -> bool {
        let answering = self.queued.is_some_and(BannerAction::answers);
        self.loaded && !self.in_app && !answering && (self.banner_forced || !self.answered())
    }

    /// An edition newer than the one the user accepted is in force (1.5–1.6).
    pub fn update_pending(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| s.answered && s.accepted.is_some() && !s.current_accepted)
    }

    pub fn edition(&self) -> Option<EditionVersion> {
        self.state
            .as_ref()
            .map(|s| s.current_edition.clone())
            .or_else(|| storage::get("edition").and_then(|v| EditionVersion::parse(&v)))
    }
}

/// What every part of the widget reads and acts through.
#[derive(Clone, PartialEq)]
pub struct Widget {
    pub model: UseReducerHandle<Model>,
}

impl Widget {
    pub fn lang(&self) -> Lang {
        self.model.lang
    }

    pub fn open(&self, view: View) {
        let kind = match &view {
            View::Choices => Some(EventKind::ChoicesOpened),
            View::Policy { .. } => Some(EventKind::PolicyOpened),
            View::Withdraw(_) => Some(EventKind::WithdrawalStarted),
            View::MyData => Some(EventKind::MyDataOpened),
            View::None | View::Application(_) => None,
        };
        if let Some(kind) = kind {
            outbox::record(kind, self.lang());
        }
        self.model.dispatch(Action::Open(view));
    }

    pub fn close(&self) {
        outbox::record(EventKind::DialogClosed, self.lang());
        if self.model.in_app && matches!(self.model.view, View::Choices) {
            // In the app, closing the choices closes the screen: the native side does that.
            embed::notify("close", &embed::Empty {});
            return;
        }
        self.model.dispatch(Action::Close);
    }

    fn run(&self, command: Command) {
        match command {
            Command::ShowBanner => self.model.dispatch(Action::ShowBanner),
            Command::OpenChoices => self.open(View::Choices),
            Command::OpenPolicy(anchor) => self.open(View::Policy { anchor }),
            Command::SetLanguage(lang) => self.set_lang(lang),
            Command::Close => self.model.dispatch(Action::Close),
            // Until the state has loaded an answer has no edition to answer.
            Command::Act(action) if !self.model.loaded => {
                self.model.dispatch(Action::Queue(Some(action)))
            }
            Command::Act(action) => self.act(action),
        }
    }

    pub fn set_lang(&self, lang: Lang) {
        storage::set("lang", lang.code());
        outbox::record(EventKind::LanguageChanged, lang);
        self.model.dispatch(Action::SetLang(lang));
    }

    pub fn toggle(&self, purpose: PurposeId, on: bool) {
        self.model.dispatch(Action::Toggle(purpose, on));
    }

    pub fn accept_all(&self) {
        let gpc = self.model.gpc;
        let choices = catalog()
            .consent_purposes()
            .map(|p| (p.id, !(gpc && refused_by_gpc(p.id))))
            .collect();
        self.save(EventKind::AcceptAll, choices);
    }

    pub fn refuse_optional(&self) {
        let choices = catalog()
            .consent_purposes()
            .map(|p| (p.id, false))
            .collect();
        self.save(EventKind::RefuseOptional, choices);
    }

    pub fn save_draft(&self) {
        self.save(EventKind::ChoicesSaved, self.model.draft.clone());
    }

    /// The choices apply at once (gating, Consent Mode, the page and the app hear them now)
    /// and go to the server through the outbox, which keeps them until it has stored them.
    fn save(&self, kind: EventKind, choices: BTreeMap<PurposeId, bool>) {
        let lang = self.lang();
        outbox::record(kind, lang);
        let Some(policy_version) = self.model.edition() else {
            self.model
                .dispatch(Action::Failed(texts(lang).load_failed.into()));
            return;
        };
        let update = ConsentUpdate {
            policy_version,
            lang,
            choices,
        };
        let offline = outbox::queue_choices(update.clone());
        self.model.dispatch(Action::Chosen(update));
        if offline {
            self.model.dispatch(Action::SavedOffline);
        }
    }

    pub fn accept_edition(&self) {
        let Some(edition) = self.model.edition() else {
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

    pub fn withdrawn(
        &self,
        purposes: &[PurposeId],
        state: ConsentState,
        application: WrittenApplication,
    ) {
        // Choices still waiting in the outbox must not grant what was just withdrawn.
        outbox::refuse_in_pending(purposes);
        self.model.dispatch(Action::Delivered {
            state,
            still_pending: outbox::pending_update(),
        });
        self.model
            .dispatch(Action::Open(View::Application(application)));
    }
}

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub config: WidgetConfig,
}

#[function_component]
pub fn App(props: &AppProps) -> Html {
    let config = props.config.clone();
    let model = use_reducer(|| Model {
        lang: language::choose(
            config.explicit_lang,
            storage::get("lang").as_deref(),
            &language::browser_languages(),
        ),
        state: None,
        loaded: false,
        draft: BTreeMap::new(),
        touched: Default::default(),
        notice: None,
        gpc: gpc_enabled(),
        pending: outbox::pending_update(),
        banner_forced: false,
        in_app: config.in_app,
        queued: None,
        view: if config.in_app {
            View::Choices
        } else {
            View::None
        },
    });
    let widget = Widget {
        model: model.clone(),
    };

    {
        let (model, widget) = (model.clone(), widget.clone());
        use_effect_with((), move |_| {
            let reports = model.clone();
            outbox::on_report(move |report| {
                reports.dispatch(match report {
                    Report::Delivered {
                        state,
                        still_pending,
                    } => Action::Delivered {
                        state,
                        still_pending,
                    },
                    Report::Waiting => Action::SavedOffline,
                    Report::Held(message) => Action::Failed(message),
                    Report::Dropped(message) => Action::Dropped(message),
                })
            });
            embed::on_command(move |command| widget.run(command));
            wasm_bindgen_futures::spawn_local(load(model, config));
        });
    }
    {
        // Once the state has loaded the widget shows what it must: the loader's prerendered
        // banner goes in the same frame, and a click made on it is carried out now.
        let widget = widget.clone();
        use_effect_with(model.loaded, move |loaded| {
            if *loaded {
                embed::notify("ready_view", &embed::Empty {});
                if let Some(action) = widget.model.queued {
                    if action.answers() {
                        // Answered on the loader's banner, which this widget never showed.
                        record_banner_shown(widget.lang(), widget.model.gpc);
                    }
                    widget.model.dispatch(Action::Queue(None));
                    widget.act(action);
                }
            }
        });
    }
    {
        // Every change of consent reaches the page: gated scripts, Consent Mode, the app.
        let latest = model.clone();
        let host = HostState::of(
            move |purpose| latest.granted(purpose),
            model.answered(),
            model.edition(),
            model.gpc,
            model.lang,
        );
        use_effect_with(host, |host| embed::notify("change", host));
    }
    {
        let lang = model.lang;
        use_effect_with(
            (model.banner_visible(), model.gpc),
            move |(visible, gpc)| {
                if *visible {
                    record_banner_shown(lang, *gpc);
                }
            },
        );
    }

    let lang = model.lang;
    html! {
        <ContextProvider<Widget> context={widget}>
            <div class={classes!("dc-root", model.in_app.then_some("dc-inapp"))} lang={lang.code()}>
                if model.banner_visible() { <Banner /> }
                if model.update_pending() && model.view == View::None { <UpdateNotice /> }
                <NoticeLine />
                { dialog_for(&model.view) }
                <SettingsButton />
            </div>
        </ContextProvider<Widget>>
    }
}

fn record_banner_shown(lang: Lang, gpc: bool) {
    outbox::record(EventKind::BannerShown, lang);
    if gpc {
        outbox::record(EventKind::GpcHonoured, lang);
    }
}

fn dialog_for(view: &View) -> Html {
    match view {
        View::None => html! {},
        View::Choices => html! { <ChoicesDialog /> },
        View::Policy { anchor } => html! { <PolicyDialog anchor={anchor.clone()} /> },
        View::Withdraw(purpose) => html! { <WithdrawDialog purpose={*purpose} /> },
        View::Application(application) => {
            html! { <ApplicationDialog application={application.clone()} /> }
        }
        View::MyData => html! { <MyDataDialog /> },
    }
}

async fn load(model: UseReducerHandle<Model>, config: WidgetConfig) {
    if let (Some(url), false) = (&config.token_url, api::signed_in()) {
        if let Ok(token) = api::demo_token(url).await {
            api::set_token(Some(token));
        }
    }
    match api::consents().await {
        Ok(state) => {
            storage::set("edition", state.current_edition.as_str());
            model.dispatch(Action::Loaded(Some(state)));
        }
        // Offline on arrival: the banner still shows unless the user answered before.
        Err(_) => model.dispatch(Action::Loaded(None)),
    }
}

/// After saving: a short, polite line for screen readers and eyes.
#[function_component]
fn NoticeLine() -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let t = texts(widget.lang());
    let text = match &widget.model.notice {
        Some(Notice::Saved) => t.saved.to_owned(),
        Some(Notice::SavedOffline) => t.saved_offline.to_owned(),
        Some(Notice::Failed(message)) => format!("{}: {message}", t.error_prefix),
        Some(Notice::Dropped(message)) => {
            format!("{}: {message}. {}", t.error_prefix, t.choose_again)
        }
        None => String::new(),
    };
    let class = classes!("dc-notice", text.is_empty().then_some("dc-hidden"));
    html! { <div class={class} role="status" aria-live="polite">{ text }</div> }
}

#[function_component]
fn SettingsButton() -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    // Stays while a dialog is open (under the backdrop) so focus can return to it on close.
    if widget.model.banner_visible() {
        return html! {};
    }
    let lang = widget.lang();
    let onclick = Callback::from(move |_| widget.open(View::Choices));
    html! { <SettingsButtonView {lang} {onclick} /> }
}
