//! Something a screen fetches from the server when it opens, in the user's language: waiting,
//! loaded, or failed with a way to try again. One hook and one view serve every such screen.

use consent_core::Lang;
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use yew::prelude::*;

use crate::api::ApiError;
use crate::i18n::texts;

pub enum Loading<T: ?Sized> {
    Waiting,
    Loaded(Rc<T>),
    Failed(String),
}

impl<T: ?Sized> Clone for Loading<T> {
    fn clone(&self) -> Self {
        match self {
            Loading::Waiting => Loading::Waiting,
            Loading::Loaded(value) => Loading::Loaded(value.clone()),
            Loading::Failed(message) => Loading::Failed(message.clone()),
        }
    }
}

/// The same answer, not an equal one: comparing policy texts field by field on every render
/// would cost more than the render.
impl<T: ?Sized> PartialEq for Loading<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Loading::Waiting, Loading::Waiting) => true,
            (Loading::Loaded(a), Loading::Loaded(b)) => Rc::ptr_eq(a, b),
            (Loading::Failed(a), Loading::Failed(b)) => a == b,
            _ => false,
        }
    }
}

/// Fetches with `fetch(lang)` when the screen opens, again when the language changes or the
/// user asks to retry; nothing while `enabled` is false.
#[hook]
pub fn use_loading<T, F, Fut>(
    lang: Lang,
    enabled: bool,
    fetch: F,
) -> (Loading<T>, Callback<MouseEvent>)
where
    T: 'static,
    F: Fn(Lang) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let fetch: Fetch = Rc::new(move |lang| {
        let request = fetch(lang);
        Box::pin(async move { request.await.map(|value| Rc::new(value) as Rc<dyn Any>) })
    });
    let (loading, retry) = use_loading_any(lang, enabled, fetch);
    let loading = match loading {
        Loading::Waiting => Loading::Waiting,
        // Always a `T`: it is what `fetch` made.
        Loading::Loaded(value) => value.downcast().map_or(Loading::Waiting, Loading::Loaded),
        Loading::Failed(message) => Loading::Failed(message),
    };
    (loading, retry)
}

type Fetch = Rc<dyn Fn(Lang) -> Pin<Box<dyn Future<Output = Result<Rc<dyn Any>, ApiError>>>>>;

/// The hook itself, compiled once: the state, the effect and the task that awaits the answer
/// are the same for every screen, so only the answer's type is generic, in `use_loading`.
#[hook]
fn use_loading_any(
    lang: Lang,
    enabled: bool,
    fetch: Fetch,
) -> (Loading<dyn Any>, Callback<MouseEvent>) {
    let loading = use_state(|| Loading::Waiting);
    let attempt = use_state(|| 0u32);
    {
        let loading = loading.clone();
        use_effect_with((lang, enabled, *attempt), move |(lang, enabled, _)| {
            if *enabled {
                loading.set(Loading::Waiting);
                let request = fetch(*lang);
                wasm_bindgen_futures::spawn_local(async move {
                    loading.set(match request.await {
                        Ok(value) => Loading::Loaded(value),
                        Err(e) => Loading::Failed(e.message()),
                    });
                });
            }
        });
    }
    let retry = Callback::from(move |_: MouseEvent| attempt.set(*attempt + 1));
    ((*loading).clone(), retry)
}

/// Waiting and failure said in the user's language (the failure with Retry); what loaded, by
/// `render`.
pub fn view<T>(
    loading: &Loading<T>,
    retry: Callback<MouseEvent>,
    lang: Lang,
    render: impl FnOnce(&Rc<T>) -> Html,
) -> Html {
    let t = texts(lang);
    match loading {
        Loading::Waiting => html! { <p role="status">{ t.loading }</p> },
        Loading::Failed(message) => html! {
            <div role="alert">
                <p class="dc-error">{ t.load_failed }</p>
                <p class="dc-meta">{ format!("{}: {message}", t.error_prefix) }</p>
                <button type="button" class="dc-button" onclick={retry}>{ t.retry }</button>
            </div>
        },
        Loading::Loaded(value) => render(value),
    }
}
