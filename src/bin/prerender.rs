//! The build step after `trunk build`: renders the banner and the settings button for every
//! language with the same Yew components the widget runs (Yew's `ssr`), gives the wasm and its
//! glue content-hashed names, and writes `consent.js`, the loader, with that markup, the CSS and
//! the hashed names inside: the banner can be painted from the loader alone, and a loader never
//! pairs with a wasm of another build.
//!
//! `cargo run --features ssr --bin prerender -- dist` (`scripts/build-widget.sh`).

use consent_core::Lang;
use consent_widget::banner::prerendered::{BannerView, SettingsButtonView};
use consent_widget::banner::{BannerViewProps, SettingsButtonViewProps};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use yew::{AttrValue, Callback, ServerRenderer};

/// Where `static/consent.js` takes the build's data.
const SLOT: &str = "/*@dosmart-build@*/null";
/// Where it takes the Consent Mode default, needed before anything is parsed.
const DEFAULT_SLOT: &str = "/*@dosmart-consent-default@*/null";

#[derive(Serialize)]
struct Build {
    /// Names of this build's files, relative to the loader.
    glue: String,
    wasm: String,
    /// The CSS itself: painted with the banner, no request of its own.
    styles: String,
    /// Per language: the banner, the banner with the Global Privacy Control line, the button.
    banner: BTreeMap<&'static str, String>,
    banner_gpc: BTreeMap<&'static str, String>,
    settings: BTreeMap<&'static str, String>,
    /// The consent purposes, for the settings button's "3/6" from the kept state.
    consent_purposes: Vec<&'static str>,
}

async fn banner(lang: Lang, gpc: bool) -> String {
    ServerRenderer::<BannerView>::with_props(move || BannerViewProps {
        lang,
        gpc,
        title_id: AttrValue::from("dc-prerendered-title"),
        langs_label_id: AttrValue::from("dc-prerendered-langs"),
        on_action: Callback::noop(),
    })
    .hydratable(false)
    .render()
    .await
}

async fn settings(lang: Lang) -> String {
    ServerRenderer::<SettingsButtonView>::with_props(move || SettingsButtonViewProps {
        lang,
        count: None,
        onclick: Callback::noop(),
    })
    .hydratable(false)
    .render()
    .await
}

/// Copies the glue and the wasm under names with the hash of both: either changing renames
/// both, so a year-long cache never serves one build's wasm to another build's glue.
fn hashed_widget(dist: &Path) -> std::io::Result<(String, String)> {
    let glue = std::fs::read(dist.join("consent-widget.js"))?;
    let wasm = std::fs::read(dist.join("consent-widget_bg.wasm"))?;
    let hash = hex(&Sha256::new()
        .chain_update(&glue)
        .chain_update(&wasm)
        .finalize()[..8]);
    let names = (
        format!("consent-widget-{hash}.js"),
        format!("consent-widget-{hash}_bg.wasm"),
    );
    std::fs::write(dist.join(&names.0), glue)?;
    std::fs::write(dist.join(&names.1), wasm)?;
    Ok(names)
}

/// What the API serves the widget beside the wasm (`/v1/catalog`, `/v1/texts`), written beside
/// `dist/` for `scripts/size.sh` to count with the widget: the server serves the same text.
fn write_served(dist: &Path) -> std::io::Result<()> {
    let served = dist.with_file_name("target").join("served");
    std::fs::create_dir_all(&served)?;
    std::fs::write(
        served.join("catalog.json"),
        consent_core::catalog::served_json(),
    )?;
    for lang in Lang::ALL {
        let words = consent_core::words::served_json(lang);
        std::fs::write(served.join(format!("texts.{}.json", lang.code())), words)?;
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let dist = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "dist".into()));
    let (glue, wasm) = hashed_widget(&dist)?;
    let mut build = Build {
        glue,
        wasm,
        styles: std::fs::read_to_string(dist.join("consent.css"))?,
        banner: BTreeMap::new(),
        banner_gpc: BTreeMap::new(),
        settings: BTreeMap::new(),
        consent_purposes: consent_core::catalog()
            .consent_purposes()
            .map(|p| p.id.as_str())
            .collect(),
    };
    for lang in Lang::ALL {
        build.banner.insert(lang.code(), banner(lang, false).await);
        build
            .banner_gpc
            .insert(lang.code(), banner(lang, true).await);
        build.settings.insert(lang.code(), settings(lang).await);
    }
    write_served(&dist)?;
    let loader_path = dist.join("consent.js");
    let loader = std::fs::read_to_string(&loader_path)?;
    for slot in [SLOT, DEFAULT_SLOT] {
        if !loader.contains(slot) {
            return Err(std::io::Error::other(format!(
                "{} has no {slot}",
                loader_path.display()
            )));
        }
    }
    // A JS string holding JSON: the loader parses it only when it needs the markup.
    let json = serde_json::to_string(&build).expect("the build serialises");
    let text = serde_json::to_string(&json).expect("a string serialises");
    let default = serde_json::to_string(&consent_core::signals::consent_mode_default())
        .expect("a map serialises");
    let loader = loader.replace(SLOT, &text).replace(DEFAULT_SLOT, &default);
    std::fs::write(&loader_path, loader)?;
    println!(
        "prerendered the banner in {} languages; {} and {}",
        Lang::ALL.len(),
        build.glue,
        build.wasm
    );
    Ok(())
}
