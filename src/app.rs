//! The root component: the model (handed to each screen as a prop: a context provider and its
//! consumers cost the wasm more than the one field), the screens of the stack, and the bridges
//! to the page, the outbox and the server started once.

use consent_core::api::EventKind;
use consent_core::Lang;
use std::collections::BTreeMap;
use yew::prelude::*;

use crate::api;
use crate::banner::{banner, settings_button_view, SettingsButtonViewProps};
use crate::changes::ChangesDialog;
use crate::choices::ChoicesDialog;
use crate::config::WidgetConfig;
use crate::embed::{self, HostState};
use crate::feedback::toast;
use crate::focus;
use crate::language;
use crate::model::{gpc_enabled, Action, Model, Notice, View};
use crate::my_data::MyDataDialog;
use crate::outbox::{self, Report};
use crate::policy::PolicyDialog;
use crate::update_notice::update_notice;
use crate::widget::{load_state, Widget};
use crate::withdrawal::ApplicationDialog;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub config: WidgetConfig,
}

#[function_component]
pub fn App(props: &AppProps) -> Html {
    let config = props.config.clone();
    let model = use_reducer(|| Model {
        lang: language::initial(config.explicit_lang),
        state: None,
        loaded: false,
        draft: BTreeMap::new(),
        touched: Default::default(),
        notice: None,
        notice_seq: 0,
        gpc: gpc_enabled(),
        pending: outbox::pending_update(),
        banner_forced: false,
        in_app: config.in_app,
        queued: None,
        views: if config.in_app {
            vec![View::Choices]
        } else {
            Vec::new()
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
                        withdrawal,
                    } => Action::Delivered {
                        state,
                        still_pending,
                        withdrawal,
                    },
                    Report::Waiting(on) => Action::Waiting(on),
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
                    focus::return_to_page();
                    widget.model.dispatch(Action::Queue(None));
                    widget.act(action);
                }
            }
        });
    }
    {
        // Every change of consent reaches the page: gated scripts, Consent Mode, the app. Only
        // once the user's state is known: before, the model holds no one's word, and the page
        // (which may apply a kept answer already) must never see the state go backwards.
        let latest = model.clone();
        let host = model.loaded.then(|| {
            HostState::of(
                move |purpose| latest.granted(purpose),
                model.answered(),
                widget.edition(),
                model.gpc,
                model.lang,
            )
        });
        use_effect_with(host, |host| {
            if let Some(host) = host {
                embed::notify("change", host);
            }
        });
    }
    {
        // A success says its word and goes; errors and withdrawals stay until dismissed.
        let (model, seq) = (model.clone(), model.notice_seq);
        let hides = model.notice.as_ref().is_some_and(Notice::hides_by_itself);
        use_effect_with((seq, hides), move |(seq, hides)| {
            let seq = *seq;
            let timer = hides.then(|| {
                gloo_timers::callback::Timeout::new(NOTICE_MS, move || {
                    model.dispatch(Action::Dismiss(seq))
                })
            });
            move || drop(timer)
        });
    }
    // Focus the widget promised to put back (after an answer, after the last screen closed).
    use_effect(focus::settle);
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
    let update_notice_visible = model.update_pending() && model.views.is_empty();
    {
        let lang = model.lang;
        use_effect_with(update_notice_visible, move |visible| {
            if *visible {
                outbox::record(EventKind::UpdateNoticeShown, lang);
            }
        });
    }

    let lang = model.lang;
    html! {
        <div class={classes!("dc-root", model.in_app.then_some("dc-inapp"))} lang={lang.code()}>
            if model.banner_visible() { { banner(&widget) } }
            if update_notice_visible { { update_notice(&widget) } }
            // In an element of their own: `for` children would join the siblings' list, where
            // Yew matches them from the end and a screen opening would remount the one below.
            <div class="dc-screens">
                { for model.views.iter().enumerate().map(|(depth, view)| {
                    screen(&widget, view, depth, depth + 1 < model.views.len())
                }) }
            </div>
            { settings_button(&widget) }
            { toast(&widget) }
        </div>
    }
}

fn record_banner_shown(lang: Lang, gpc: bool) {
    outbox::record(EventKind::BannerShown, lang);
    if gpc {
        outbox::record(EventKind::GpcHonoured, lang);
    }
}

/// How long "Saved" stays: long enough to read, short enough not to be in the way.
const NOTICE_MS: u32 = 4_000;

/// A screen of the stack; those under the shown one stay mounted but hidden, so Back finds
/// them as they were (switches, scroll, the control last used). Keyed by depth: a screen
/// closing above never makes the one below mount afresh.
fn screen(widget: &Widget, view: &View, depth: usize, covered: bool) -> Html {
    let widget = widget.clone();
    match view {
        View::Choices => html! { <ChoicesDialog key={depth} {widget} {covered} /> },
        View::Policy { anchor } => {
            html! { <PolicyDialog key={depth} {widget} anchor={anchor.clone()} {covered} /> }
        }
        View::Application(application) => {
            html! { <ApplicationDialog key={depth} {widget} application={application.clone()} {covered} /> }
        }
        View::MyData => html! { <MyDataDialog key={depth} {widget} {covered} /> },
        View::Changes { from, to } => {
            html! { <ChangesDialog key={depth} {widget} from={from.clone()} to={to.clone()} {covered} /> }
        }
    }
}

async fn load(model: UseReducerHandle<Model>, config: WidgetConfig) {
    if let (Some(url), false) = (&config.token_url, api::signed_in()) {
        if let Ok(token) = api::demo_token(url).await {
            api::set_token(Some(token));
        }
    }
    // Only now is it known who the widget speaks for: what the last page left is sent as the
    // one who made it.
    outbox::start_background_delivery();
    load_state(model).await;
}

fn settings_button(widget: &Widget) -> Html {
    // Stays while a dialog is open (under the backdrop) so focus can return to it on close.
    if widget.model.banner_visible() {
        return html! {};
    }
    let lang = widget.lang();
    let count = Some(widget.model.consent_count());
    let widget = widget.clone();
    let onclick = Callback::from(move |_| widget.open(View::Choices));
    settings_button_view(&SettingsButtonViewProps {
        lang,
        count,
        onclick,
    })
}
