//! What is held about the signed-in user (the server's `/v1/me/data`): by category, masked,
//! with source, purposes, recipients, where and how long; the consent history; the export.

use consent_core::api::{AcceptanceMethod, EventKind, MyData};
use consent_core::{catalog, LedgerRecord};
use yew::prelude::*;

use crate::api;
use crate::dialog::{use_dialog, Dialog};
use crate::download::save_file;
use crate::i18n::{source_name, texts};
use crate::loading::{self, use_loading};
use crate::outbox;
use crate::widget::Widget;

#[derive(Properties, PartialEq)]
pub struct MyDataProps {
    pub widget: Widget,
    #[prop_or_default]
    pub covered: bool,
}

#[function_component]
pub fn MyDataDialog(props: &MyDataProps) -> Html {
    let widget = props.widget.clone();
    let dialog = use_dialog(None);
    let lang = widget.lang();
    let t = texts(lang);
    let signed_in = api::signed_in();
    let (loading, retry) = use_loading(lang, signed_in, api::my_data);
    let body = if signed_in {
        loading::view(&loading, retry, lang, |data| render(data, lang))
    } else {
        html! { <p>{ t.sign_in_to_see }</p> }
    };
    dialog.view(
        &widget,
        Dialog {
            title: t.my_data_title.into(),
            class: "dc-my-data",
            covered: props.covered,
            children: body,
            ..Dialog::default()
        },
    )
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
                { for history_lines(lang, &data.consent_history).into_iter().rev().take(50).map(|(e, line)| html! {
                    <li>
                        <time datetime={e.at.to_string()}>{ e.at.kazakhstan_minute() }</time>
                        { format!(" · {line}") }
                        if let Some(ip) = &e.ip { { format!(" · {ip}") } }
                        if let Some(id) = receipt_of(&e.record) {
                            { " " }<button type="button" class="dc-link" onclick={download_receipt(id, lang)}>{ t.download_receipt }</button>
                        }
                    </li>
                }) }
            </ol>
            <div class="dc-actions">
                <button type="button" class="dc-button" onclick={export}>{ t.download_export }</button>
            </div>
        </>
    }
}

/// The signed receipt a record has: a consent change's or a withdrawal's.
fn receipt_of(record: &LedgerRecord) -> Option<String> {
    match record {
        LedgerRecord::Choices { receipt_id, .. } => Some(receipt_id.clone()),
        LedgerRecord::Withdrawal { withdrawal_id, .. } => Some(withdrawal_id.clone()),
        _ => None,
    }
}

/// Saves the receipt, its text in the user's language followed by the signed JWS, as a file.
fn download_receipt(id: String, lang: consent_core::Lang) -> Callback<MouseEvent> {
    Callback::from(move |_: MouseEvent| {
        let id = id.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(receipt) = api::receipt(&id, lang).await {
                let name = format!("dosmart-consent-receipt-{id}.txt");
                save_file(&name, &receipt.text, "text/plain;charset=utf-8");
            }
        });
    })
}

/// The history's lines, oldest first: what each record says, in the user's language. A change
/// of choices names only what it changed; UI events, which are no answer, are left out.
fn history_lines(
    lang: consent_core::Lang,
    history: &[consent_core::api::LedgerEntry],
) -> Vec<(&consent_core::api::LedgerEntry, String)> {
    let mut known = std::collections::BTreeMap::new();
    let mut lines = Vec::new();
    for entry in history {
        let changed: Vec<(consent_core::PurposeId, bool)> = entry
            .record
            .consent_changes()
            .into_iter()
            .filter(|(p, granted)| known.insert(*p, *granted) != Some(*granted))
            .filter(|(p, _)| !catalog().purpose_by_id(*p).is_necessary())
            .collect();
        if let Some(line) = history_line(lang, &entry.record, &changed) {
            lines.push((entry, line));
        }
    }
    lines
}

/// What a record says; `changed` is what it changed of the choices.
fn history_line(
    lang: consent_core::Lang,
    record: &LedgerRecord,
    changed: &[(consent_core::PurposeId, bool)],
) -> Option<String> {
    let said = texts(lang);
    Some(match record {
        LedgerRecord::Choices { .. } => {
            let titled = |granted: bool| -> Vec<consent_core::PurposeId> {
                changed
                    .iter()
                    .filter(|(_, g)| *g == granted)
                    .map(|(p, _)| *p)
                    .collect()
            };
            let (on, off) = (titled(true), titled(false));
            let mut parts = Vec::new();
            if !on.is_empty() {
                parts.push(format!(
                    "{}: {}",
                    said.history_turned_on,
                    purpose_titles(lang, &on)
                ));
            }
            if !off.is_empty() {
                parts.push(format!(
                    "{}: {}",
                    said.history_turned_off,
                    purpose_titles(lang, &off)
                ));
            }
            if parts.is_empty() {
                // Saved again as it was.
                texts(lang).saved.trim_end_matches('.').to_owned()
            } else {
                parts.join("; ")
            }
        }
        LedgerRecord::ChoicesCarriedFromDevice { .. } => said.history_carried.to_owned(),
        LedgerRecord::EditionAccepted { edition, method } => {
            let template = match method {
                AcceptanceMethod::Button => said.history_accepted_button,
                AcceptanceMethod::DeemedByContinuedUse => said.history_accepted_deemed,
            };
            template.replace("{edition}", edition.as_str())
        }
        LedgerRecord::Withdrawal { purposes, .. } => {
            format!(
                "{}: {}",
                said.history_withdrawn,
                purpose_titles(lang, purposes)
            )
        }
        LedgerRecord::DataUpdated { .. } => said.history_data_updated.to_owned(),
        LedgerRecord::StaffAccess { reason, .. } => {
            format!("{}: {reason}", said.history_staff_access)
        }
        LedgerRecord::Event(_) | LedgerRecord::EditionPublished { .. } => return None,
    })
}

/// The purposes' titles in `lang` with their clauses, in a line: "Contests and publicity
/// (2.2.5), Surveys (2.2.6)".
fn purpose_titles(lang: consent_core::Lang, ids: &[consent_core::PurposeId]) -> String {
    ids.iter()
        .map(|id| {
            let purpose = catalog().purpose_by_id(*id);
            let clauses = purpose
                .clauses
                .get(&lang.legal_fallbacks()[0])
                .map(|c| c.join(", "));
            match clauses {
                Some(c) if !c.is_empty() => format!("{} ({c})", purpose.title.get(lang)),
                _ => purpose.title.get(lang).to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
