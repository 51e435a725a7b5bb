//! The privacy policy as data: one Markdown file per edition and language (see `policy/`), parsed
//! into edition → sections → clauses → blocks (paragraphs and items), each with its number as
//! published and an anchor id the widget links to.

use crate::date::CalendarDate;
use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Clause 1.6: continued use for this many calendar days after publication counts as acceptance.
pub const DEEMED_ACCEPTANCE_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EditionVersion(String);

impl EditionVersion {
    /// Versions are short labels such as `2026-11`: letters, digits, `-` and `.`.
    pub fn parse(text: &str) -> Option<EditionVersion> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        ok.then(|| EditionVersion(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EditionVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyEdition {
    pub version: EditionVersion,
    pub published: CalendarDate,
    pub language: Lang,
    pub title: String,
    pub sections: Vec<Section>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// As published, e.g. `2.`
    pub number: String,
    pub anchor: String,
    pub title: String,
    pub clauses: Vec<Clause>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clause {
    /// As published, e.g. `2.2.` (and `5.1` where the Russian text has no final dot).
    pub number: String,
    /// Unique within the edition even where a number is published twice (3.4): `c3-4`, `c3-4_2`.
    pub anchor: String,
    pub blocks: Vec<Block>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Block {
    Paragraph {
        text: String,
    },
    Item {
        /// The marker as published: `5)` or `-`; empty where the list has none (2.3).
        marker: String,
        anchor: String,
        text: String,
    },
}

impl Block {
    pub fn text(&self) -> &str {
        match self {
            Block::Paragraph { text } | Block::Item { text, .. } => text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub problem: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

impl std::error::Error for ParseError {}

impl PolicyEdition {
    /// Parses one edition file: a front matter (`edition`, `published`, `language`), a `# title`,
    /// then `## N. SECTION` headings, clauses starting with their number, items starting with
    /// `N)`, `- ` (a dash as published) or `* ` (a list item published without a marker), and
    /// paragraphs; blank lines separate blocks.
    pub fn parse(source: &str) -> Result<PolicyEdition, ParseError> {
        Parser::default().parse(source)
    }

    pub fn clauses(&self) -> impl Iterator<Item = &Clause> {
        self.sections.iter().flat_map(|s| s.clauses.iter())
    }

    /// The first clause published with this number (`2.2`, with or without the final dot).
    pub fn clause(&self, number: &str) -> Option<&Clause> {
        self.clauses()
            .find(|c| c.number.trim_end_matches('.') == number)
    }

    /// The anchor of a clause reference as the catalogs write it: `2.2` (a clause) or `2.2.5`
    /// (item 5 of clause 2.2).
    pub fn resolve(&self, reference: &str) -> Option<&str> {
        if let Some(clause) = self.clause(reference) {
            return Some(&clause.anchor);
        }
        let (clause_number, item) = reference.rsplit_once('.')?;
        let marker = format!("{item})");
        self.clause(clause_number)?
            .blocks
            .iter()
            .find_map(|block| match block {
                Block::Item {
                    marker: m, anchor, ..
                } if *m == marker => Some(anchor.as_str()),
                _ => None,
            })
    }

    /// The date from which continued use counts as acceptance of this edition (1.6).
    pub fn deemed_accepted_from(&self) -> CalendarDate {
        self.published.add_days(DEEMED_ACCEPTANCE_DAYS)
    }

    /// Whether use of the service at `now` is the continued use that accepts this edition:
    /// from the 7th calendar day after publication on, counted in Kazakhstan's time (1.6).
    pub fn deemed_accepted_at(&self, now: crate::date::Timestamp) -> bool {
        now.kazakhstan_date() >= self.deemed_accepted_from()
    }

    /// Every word of the document in reading order, numbers as published included: what a reader
    /// sees, and what the fidelity test compares with the published text.
    pub fn words(&self) -> Vec<&str> {
        let mut words: Vec<&str> = self.title.split_whitespace().collect();
        for section in &self.sections {
            words.push(&section.number);
            words.extend(section.title.split_whitespace());
            for clause in &section.clauses {
                words.push(&clause.number);
                for block in &clause.blocks {
                    if let Block::Item { marker, .. } = block {
                        if !marker.is_empty() {
                            words.push(marker);
                        }
                    }
                    words.extend(block.text().split_whitespace());
                }
            }
        }
        words
    }
}

#[derive(Default)]
struct Parser {
    version: Option<EditionVersion>,
    published: Option<CalendarDate>,
    language: Option<Lang>,
    title: Option<String>,
    sections: Vec<Section>,
}

impl Parser {
    fn parse(mut self, source: &str) -> Result<PolicyEdition, ParseError> {
        let body_start = self.front_matter(source)?;
        for (index, line) in source.lines().enumerate().skip(body_start) {
            let line_no = index + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            self.line(line).map_err(|problem| ParseError {
                line: line_no,
                problem,
            })?;
        }
        let missing = |what: &str| ParseError {
            line: 1,
            problem: format!("front matter has no `{what}`"),
        };
        Ok(PolicyEdition {
            version: self.version.ok_or_else(|| missing("edition"))?,
            published: self.published.ok_or_else(|| missing("published"))?,
            language: self.language.ok_or_else(|| missing("language"))?,
            title: self.title.ok_or(ParseError {
                line: body_start + 1,
                problem: "no `# title`".into(),
            })?,
            sections: self.sections,
        })
    }

    /// Reads the `---` block; returns the index of the first body line.
    fn front_matter(&mut self, source: &str) -> Result<usize, ParseError> {
        let mut lines = source.lines().enumerate();
        match lines.next() {
            Some((_, "---")) => {}
            _ => {
                return Err(ParseError {
                    line: 1,
                    problem: "expected front matter starting with `---`".into(),
                })
            }
        }
        for (index, line) in lines {
            let fail = |problem: String| ParseError {
                line: index + 1,
                problem,
            };
            if line == "---" {
                return Ok(index + 1);
            }
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| fail(format!("expected `key: value`, found `{line}`")))?;
            let value = value.trim().trim_matches('"');
            match key.trim() {
                "edition" => {
                    self.version = Some(
                        EditionVersion::parse(value)
                            .ok_or_else(|| fail(format!("bad edition `{value}`")))?,
                    )
                }
                "published" => {
                    self.published = Some(
                        CalendarDate::parse(value)
                            .ok_or_else(|| fail(format!("bad date `{value}`")))?,
                    )
                }
                "language" => {
                    self.language = Some(Lang::parse(value).map_err(|e| fail(e.to_string()))?)
                }
                // Provenance notes for the reader of the file; not part of the document.
                _ => {}
            }
        }
        Err(ParseError {
            line: 1,
            problem: "front matter is not closed by `---`".into(),
        })
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        if let Some(title) = line.strip_prefix("# ") {
            if self.title.is_some() {
                return Err("a second `# title`".into());
            }
            self.title = Some(title.trim().to_owned());
            return Ok(());
        }
        if let Some(heading) = line.strip_prefix("## ") {
            return self.section(heading);
        }
        if let Some((number, rest)) = split_clause_number(line) {
            return self.clause(number, rest);
        }
        let clause = self
            .sections
            .last_mut()
            .and_then(|s| s.clauses.last_mut())
            .ok_or_else(|| format!("text outside a clause: `{}`", preview(line)))?;
        clause.blocks.push(block_of(line, clause));
        Ok(())
    }

    fn section(&mut self, heading: &str) -> Result<(), String> {
        let (number, title) = heading
            .split_once(' ')
            .filter(|(n, _)| is_section_number(n))
            .ok_or_else(|| format!("section heading without a number: `{heading}`"))?;
        self.sections.push(Section {
            number: number.to_owned(),
            anchor: format!("s{}", number.trim_end_matches('.')),
            title: title.trim().to_owned(),
            clauses: Vec::new(),
        });
        Ok(())
    }

    fn clause(&mut self, number: &str, text: &str) -> Result<(), String> {
        let base = format!("c{}", number.trim_end_matches('.').replace('.', "-"));
        let repeats = self
            .sections
            .iter()
            .flat_map(|s| &s.clauses)
            .filter(|c| c.anchor == base || c.anchor.starts_with(&format!("{base}_")))
            .count();
        // 3.4 is published twice; the second gets `c3-4_2` so both can be linked to.
        let anchor = if repeats == 0 {
            base
        } else {
            format!("{base}_{}", repeats + 1)
        };
        let section = self
            .sections
            .last_mut()
            .ok_or_else(|| format!("clause {number} before any section"))?;
        section.clauses.push(Clause {
            number: number.to_owned(),
            anchor,
            blocks: vec![Block::Paragraph {
                text: text.trim().to_owned(),
            }],
        });
        Ok(())
    }
}

/// `2.2. text` or `5.1 text` → (`2.2.`, `text`): two numbers joined by a dot.
fn split_clause_number(line: &str) -> Option<(&str, &str)> {
    let (number, rest) = line.split_once(' ')?;
    let mut parts = number.trim_end_matches('.').split('.');
    let is_clause = matches!((parts.next(), parts.next(), parts.next()),
        (Some(a), Some(b), None) if is_digits(a) && is_digits(b));
    is_clause.then_some((number, rest))
}

fn is_section_number(word: &str) -> bool {
    word.strip_suffix('.').is_some_and(is_digits)
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn block_of(line: &str, clause: &Clause) -> Block {
    let ordinal = clause
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::Item { .. }))
        .count()
        + 1;
    let item = |marker: &str, anchor_tail: String, text: &str| Block::Item {
        marker: marker.to_owned(),
        anchor: format!("{}-{anchor_tail}", clause.anchor),
        text: text.trim().to_owned(),
    };
    if let Some(text) = line.strip_prefix("- ") {
        return item("-", format!("d{ordinal}"), text);
    }
    if let Some(text) = line.strip_prefix("* ") {
        return item("", format!("b{ordinal}"), text);
    }
    if let Some((marker, text)) = line.split_once(' ') {
        if let Some(n) = marker.strip_suffix(')').filter(|n| is_digits(n)) {
            return item(marker, n.to_owned(), text);
        }
    }
    Block::Paragraph {
        text: line.to_owned(),
    }
}

fn preview(line: &str) -> String {
    line.chars().take(40).collect()
}

/// The anchor the parser gives to a clause reference as the catalogs write it (`2.2.5` → item
/// 5 of clause 2.2 → `c2-2-5`; `4.2` → `c4-2`): lets the widget link to a clause before it has
/// loaded the text. [`PolicyEdition::resolve`] is the authority; a test keeps the two equal.
pub fn anchor_for(reference: &str) -> String {
    format!("c{}", reference.replace('.', "-"))
}

/// The shipped editions' Markdown, exactly as published (after extraction repair).
pub const SHIPPED_SOURCES: &[&str] = &[
    include_str!("../../policy/editions/2026-11/kk.md"),
    include_str!("../../policy/editions/2026-11/ru.md"),
];

/// The editions shipped with this build, newest last. The server may publish more at run time.
pub fn editions() -> Vec<PolicyEdition> {
    SHIPPED_SOURCES
        .iter()
        .map(|source| PolicyEdition::parse(source).expect("shipped policy files parse"))
        .collect()
}

#[cfg(test)]
mod deemed_acceptance_tests {
    use super::{editions, PolicyEdition};
    use crate::date::{CalendarDate, Timestamp};

    fn published_on(date: &str) -> PolicyEdition {
        let mut edition = editions().remove(0);
        edition.published = CalendarDate::parse(date).unwrap();
        edition
    }

    /// Almaty midnight starting `date` (UTC+5), plus `millis`.
    fn almaty(date: &str, millis: i64) -> Timestamp {
        let day = CalendarDate::parse(date).unwrap().unix_seconds() * 1000;
        Timestamp(day - 5 * 3_600_000 + millis)
    }

    #[test]
    fn continued_use_counts_from_the_seventh_calendar_day_in_almaty() {
        let edition = published_on("2026-12-01");
        let last_ms_of_day_6 = almaty("2026-12-08", -1);
        assert_eq!(last_ms_of_day_6.kazakhstan_date().to_string(), "2026-12-07");
        assert!(
            !edition.deemed_accepted_at(last_ms_of_day_6),
            "day 6: not yet"
        );
        assert!(
            edition.deemed_accepted_at(almaty("2026-12-08", 0)),
            "day 7 from its first moment"
        );
        assert!(edition.deemed_accepted_at(almaty("2026-12-09", 0)), "day 8");
        // 20:00 UTC on 7 December is already 8 December in Almaty: day 7 there.
        let utc_evening = Timestamp::parse("2026-12-07T20:00:00.000Z").unwrap();
        assert_eq!(utc_evening.utc_date().to_string(), "2026-12-07");
        assert!(edition.deemed_accepted_at(utc_evening));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "---\nedition: \"t-1\"\npublished: 2026-01-30\nlanguage: ru\n---\n\n# Title\n\n## 1. ONE\n\n1.1. Lead:\n\n1) first; 2) still first\n\n- dash\n\n* bare\n\nAfter.\n\n1.1. Again\n\n## 2. TWO\n\n2.1 No dot\n";

    #[test]
    fn parses_structure_numbers_and_anchors() {
        let e = PolicyEdition::parse(SAMPLE).unwrap();
        assert_eq!(e.version.as_str(), "t-1");
        assert_eq!(e.deemed_accepted_from().to_string(), "2026-02-06");
        assert_eq!(e.sections.len(), 2);
        let c = &e.sections[0].clauses[0];
        assert_eq!(c.anchor, "c1-1");
        assert_eq!(c.blocks.len(), 5);
        assert_eq!(
            c.blocks[1],
            Block::Item {
                marker: "1)".into(),
                anchor: "c1-1-1".into(),
                text: "first; 2) still first".into()
            }
        );
        assert_eq!(e.sections[0].clauses[1].anchor, "c1-1_2");
        assert_eq!(e.sections[1].clauses[0].number, "2.1");
        assert_eq!(e.resolve("1.1.1"), Some("c1-1-1"));
        assert_eq!(e.resolve("2.1"), Some("c2-1"));
        assert_eq!(e.resolve("1.1.9"), None);
    }

    #[test]
    fn text_outside_a_clause_is_an_error_with_its_line() {
        let bad =
            "---\nedition: x\npublished: 2026-01-01\nlanguage: kk\n---\n# T\n## 1. A\nstray\n";
        let err = PolicyEdition::parse(bad).unwrap_err();
        assert_eq!(err.line, 8);
    }
}
