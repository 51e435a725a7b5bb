//! What changed between two editions of the policy, clause by clause, with the changed words
//! marked: computed from the typed editions, so a clause is compared with the clause of the
//! same number, whatever moved around it. Clauses are matched by anchor, which tells apart a
//! number the policy publishes twice (3.4).

//!
//! Two large editions cost a word diff of seconds, so a comparison runs off the async threads,
//! outside the editions' lock, within [`DIFF_DEADLINE`] (past it the diff is coarser, never
//! wrong), and once per pair of editions: [`Comparisons`] keeps each result.

use consent_core::api::{ClauseChange, ClauseChangeKind, WordChange, WordRun};
use consent_core::policy::{Block, Clause};
use consent_core::{EditionVersion, Lang, PolicyEdition};
use similar::{ChangeTag, TextDiff};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// The longest a comparison searches for the smallest word diff.
pub const DIFF_DEADLINE: Duration = Duration::from_millis(300);

/// The two editions compared, each in its language.
type Pair = (EditionVersion, Lang, EditionVersion, Lang);

/// One comparison: made once, by the first request that asks for it; the others wait for it.
type Comparison = Arc<OnceCell<Arc<Vec<ClauseChange>>>>;

/// The comparisons made so far: editions never change once published, so neither do they.
#[derive(Default)]
pub struct Comparisons {
    made: Mutex<HashMap<Pair, Comparison>>,
}

impl Comparisons {
    /// What changed from `old` to `new`: made once, by the first request that asks, in a
    /// blocking thread; later and concurrent requests get the same result.
    pub async fn between(
        &self,
        old: &PolicyEdition,
        new: &PolicyEdition,
    ) -> Arc<Vec<ClauseChange>> {
        let pair = (
            old.version.clone(),
            old.language,
            new.version.clone(),
            new.language,
        );
        let cell = self
            .made
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(pair)
            .or_default()
            .clone();
        cell.get_or_init(|| {
            let (old, new) = (old.clone(), new.clone());
            async move {
                let deadline = Instant::now() + DIFF_DEADLINE;
                let made = tokio::task::spawn_blocking(move || compare(&old, &new, deadline));
                Arc::new(made.await.expect("a comparison does not panic"))
            }
        })
        .await
        .clone()
    }
}

/// The clauses of `new` that `old` did not have or had otherwise, then those `new` dropped.
/// Past `deadline`, changed clauses are told with a coarser diff.
pub fn compare(old: &PolicyEdition, new: &PolicyEdition, deadline: Instant) -> Vec<ClauseChange> {
    let (in_old, in_new) = (by_anchor(old), by_anchor(new));
    let mut changes: Vec<ClauseChange> = new
        .clauses()
        .flat_map(|clause| match in_old.get(clause.anchor.as_str()) {
            None => vec![whole(clause, ClauseChangeKind::Added, WordChange::Added)],
            Some(before) => changed(before, clause, deadline),
        })
        .collect();
    changes.extend(
        old.clauses()
            .filter(|c| !in_new.contains_key(c.anchor.as_str()))
            .map(|c| whole(c, ClauseChangeKind::Removed, WordChange::Removed)),
    );
    changes
}

/// An edition's clauses by anchor: clauses are matched by anchor, not number, since the
/// policy publishes one number (3.4) twice.
fn by_anchor(edition: &PolicyEdition) -> HashMap<&str, &Clause> {
    edition.clauses().map(|c| (c.anchor.as_str(), c)).collect()
}

/// What changed in a clause both editions have. Where its paragraphs and items are the same
/// ones in the same order, each changed one is named on its own (item 5 of 2.2 as `2.2.5`), so
/// a reader on a phone sees the item, not the whole list around it; otherwise the clause.
fn changed(before: &Clause, after: &Clause, deadline: Instant) -> Vec<ClauseChange> {
    let same_shape = before.blocks.len() == after.blocks.len()
        && before
            .blocks
            .iter()
            .zip(&after.blocks)
            .all(|pair| match pair {
                (Block::Item { anchor: a, .. }, Block::Item { anchor: b, .. }) => a == b,
                (Block::Paragraph { .. }, Block::Paragraph { .. }) => true,
                _ => false,
            });
    let change = |number: String, was: String, is: String| ClauseChange {
        number,
        change: ClauseChangeKind::Changed,
        words: word_runs(&was, &is, deadline),
    };
    if !same_shape {
        let (was, is) = (text_of(before), text_of(after));
        return if was == is {
            Vec::new()
        } else {
            vec![change(after.number.clone(), was, is)]
        };
    }
    before
        .blocks
        .iter()
        .zip(&after.blocks)
        .filter(|(was, is)| was != is)
        .map(|(was, is)| change(reference(after, is), block_text(was), block_text(is)))
        .collect()
}

/// How the policy refers to a block: `2.2.5` for numbered item 5 of 2.2, else the clause.
fn reference(clause: &Clause, block: &Block) -> String {
    match block {
        Block::Item { marker, .. } => match marker.strip_suffix(')') {
            Some(n) => format!("{}.{n}", clause.number.trim_end_matches('.')),
            None => clause.number.clone(),
        },
        Block::Paragraph { .. } => clause.number.clone(),
    }
}

fn block_text(block: &Block) -> String {
    match block {
        Block::Item { marker, text, .. } if !marker.is_empty() => format!("{marker} {text}"),
        other => other.text().to_owned(),
    }
}

/// A clause's words as read: its paragraphs and items, each item with its marker.
fn text_of(clause: &Clause) -> String {
    clause
        .blocks
        .iter()
        .map(block_text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn whole(clause: &Clause, change: ClauseChangeKind, words: WordChange) -> ClauseChange {
    ClauseChange {
        number: clause.number.clone(),
        change,
        words: vec![WordRun {
            change: words,
            text: text_of(clause),
        }],
    }
}

/// Words with the spaces after them: so that a changed phrase is one run, not words apart.
fn words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            words.push(&text[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < text.len() {
        words.push(&text[start..]);
    }
    words
}

/// The word-level difference, consecutive words of one kind in one run.
fn word_runs(before: &str, after: &str, deadline: Instant) -> Vec<WordRun> {
    let (old, new) = (words(before), words(after));
    let mut runs: Vec<WordRun> = Vec::new();
    let diff = TextDiff::configure()
        .deadline(deadline)
        .diff_slices(&old, &new);
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => WordChange::Same,
            ChangeTag::Delete => WordChange::Removed,
            ChangeTag::Insert => WordChange::Added,
        };
        match runs.last_mut() {
            Some(run) if run.change == kind => run.text.push_str(change.value()),
            _ => runs.push(WordRun {
                change: kind,
                text: change.value().to_owned(),
            }),
        }
    }
    spaces_unmarked(runs)
}

/// The space after a changed phrase is no change: it goes to the words that follow, once, so
/// that nothing but words is struck out or marked as new.
fn spaces_unmarked(runs: Vec<WordRun>) -> Vec<WordRun> {
    let mut out: Vec<WordRun> = Vec::new();
    let mut space = String::new();
    for mut run in runs {
        if run.change == WordChange::Same {
            run.text.insert_str(0, &std::mem::take(&mut space));
            out.push(run);
            continue;
        }
        let words = run.text.trim_end().len();
        space = run.text.split_off(words);
        out.push(run);
    }
    if !space.is_empty() {
        out.push(WordRun {
            change: WordChange::Same,
            text: space,
        });
    }
    out
}
