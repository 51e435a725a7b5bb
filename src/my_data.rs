//! What is held about the signed-in user (the server's `/v1/me/data`): by category, masked,
//! with source, purposes, recipients, where and how long; the consent history; the export.

use consent_core::api::{EventKind, MyData};
use consent_core::{catalog, LedgerRecord};
use yew::prelude::*;

use crate::api;
use crate::dialog::Dialog;
use crate::download::save_file;
use crate::i18n::{source_name, texts};
use crate::loading::{self, use_loading};
use crate::model::Widget;
use crate::outbox;

#[derive(Properties, PartialEq)]
pub struct MyDataProps {
    #[prop_or_default]
    pub covered: bool,
}

#[function_component]
pub fn MyDataDialog(props: &MyDataProps) -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let lang = widget.lang();
    let t = texts(lang);
    let signed_in = api::signed_in();
    let (loading, retry) = use_loading(lang, signed_in, api::my_data);
    let body = if signed_in {
        loading::view(&loading, retry, lang, |data| render(data, lang))
    } else {
        html! { <p>{ t.sign_in_to_see }</p> }
    };
    html! {
        <Dialog title={t.my_data_title} class="dc-my-data" covered={props.covered}>
            { body }
        </Dialog>
    }
}

fn render(data: &MyData, lang: consent_core::Lang) -> Html {
    let t = texts(lang);
    let export = {
        Callback::from(move |_: MouseEvent| {
            outbox::record(EventKind::ExportDownloaded, lang);
            wasm_bindgen_futures::spawn_local(async {
                if let Ok(json) = api::export().await {
                    save_file("dosmart-my-data.json", &json, "application/json");
                }
            });
        })
    };
    html! {
        <>
            <dl class="dc-facts">
                <dt>{ t.stored_where }</dt><dd>{ &data.storage_location }</dd>
                <dt>{ t.kept_how_long }</dt><dd>{ &data.retention }</dd>
            </dl>
            <ul class="dc-categories">
                { for data.categories.iter().map(|c| html! {
                    <li class={classes!("dc-category", (!c.held).then_some("dc-not-held"))}>
                        <h3>{ &c.name }</h3>
                        if c.held {
                            <p class="dc-value">{ c.value.clone().unwrap_or_default() }</p>
                            <p>{ format!("{}: {}", t.source, c.source.map(|s| source_name(lang, s)).unwrap_or("—")) }</p>
                            <p>{ format!("{}: {}", t.used_for, purpose_titles(lang, &c.purposes)) }</p>
                            if !c.recipients.is_empty() {
                                <p>{ format!("{}: {}", t.recipients, c.recipients.iter().map(|r| r.name(lang)).collect::<Vec<_>>().join(", ")) }</p>
                            }
                        } else {
                            <p>{ t.not_held }</p>
                        }
                    </li>
                }) }
            </ul>
            <h3>{ t.history }</h3>
            <ol class="dc-history">
                { for data.consent_history.iter().rev().filter_map(|e| Some((e, history_line(lang, &e.record)?))).take(50).map(|(e, line)| html! {
                    <li>
                        <time datetime={e.at.to_string()}>{ e.at.to_string().replace('T', " ").trim_end_matches('Z').to_owned() }</time>
                        { format!(" · {line}") }
                        if let Some(ip) = &e.ip { { format!(" · {ip}") } }
                    </li>
                }) }
            </ol>
            <div class="dc-actions">
                <button type="button" class="dc-button" onclick={export}>{ t.download_export }</button>
            </div>
        </>
    }
}

/// What a record of the subject's ledger says, in their language; `None` for UI events, which
/// are no answer of theirs and are not listed one by one.
fn history_line(lang: consent_core::Lang, record: &LedgerRecord) -> Option<String> {
    let said = &texts(lang).history_kinds;
    Some(match record {
        LedgerRecord::Choices { .. } => said.choices.to_owned(),
        LedgerRecord::ChoicesCarriedFromDevice { .. } => said.carried.to_owned(),
        LedgerRecord::EditionAccepted { edition, .. } => format!("{} {edition}", said.accepted),
        LedgerRecord::Withdrawal { purposes, .. } => {
            format!("{}: {}", said.withdrawn, purpose_titles(lang, purposes))
        }
        LedgerRecord::DataUpdated { .. } => said.data_updated.to_owned(),
        LedgerRecord::StaffAccess { reason, .. } => format!("{}: {reason}", said.staff_access),
        LedgerRecord::Event(_) | LedgerRecord::EditionPublished { .. } => return None,
    })
}

/// The purposes' titles in `lang`, in a line.
fn purpose_titles(lang: consent_core::Lang, ids: &[consent_core::PurposeId]) -> String {
    ids.iter()
        .map(|id| catalog().purpose_by_id(*id).title.get(lang))
        .collect::<Vec<_>>()
        .join(", ")
}
