//! What changed between two editions of the policy, clause by clause, with the changed words
//! marked: computed from the typed editions, so a clause is compared with the clause of the
//! same number, whatever moved around it. Clauses are matched by anchor, which tells apart a
//! number the policy publishes twice (3.4).

use consent_core::api::{ClauseChange, ClauseChangeKind, WordChange, WordRun};
use consent_core::policy::{Block, Clause};
use consent_core::PolicyEdition;
use similar::{ChangeTag, TextDiff};

/// The clauses of `new` that `old` did not have or had otherwise, then those `new` dropped.
pub fn compare(old: &PolicyEdition, new: &PolicyEdition) -> Vec<ClauseChange> {
    let find = |edition: &PolicyEdition, anchor: &str| {
        edition.clauses().find(|c| c.anchor == anchor).cloned()
    };
    let mut changes: Vec<ClauseChange> = new
        .clauses()
        .filter_map(|clause| {
            let now = text_of(clause);
            match find(old, &clause.anchor) {
                None => Some(whole(clause, ClauseChangeKind::Added, WordChange::Added)),
                Some(before) if text_of(&before) != now => Some(ClauseChange {
                    number: clause.number.clone(),
                    change: ClauseChangeKind::Changed,
                    words: word_runs(&text_of(&before), &now),
                }),
                Some(_) => None,
            }
        })
        .collect();
    changes.extend(
        old.clauses()
            .filter(|c| find(new, &c.anchor).is_none())
            .map(|c| whole(c, ClauseChangeKind::Removed, WordChange::Removed)),
    );
    changes
}

/// A clause's words as read: its paragraphs and items, each item with its marker.
fn text_of(clause: &Clause) -> String {
    clause
        .blocks
        .iter()
        .map(|block| match block {
            Block::Item { marker, text, .. } if !marker.is_empty() => format!("{marker} {text}"),
            other => other.text().to_owned(),
        })
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
fn word_runs(before: &str, after: &str) -> Vec<WordRun> {
    let (old, new) = (words(before), words(after));
    let mut runs: Vec<WordRun> = Vec::new();
    for change in TextDiff::from_slices(&old, &new).iter_all_changes() {
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
