//! The labelled messages (`data/suggest/messages.csv`) and how a suggester is judged on them.
//!
//! Each row has a language, a label (one of the five values, or `none` for a message that
//! names no value), a split (`train` or `test`, fixed in the file: training never reads the
//! test rows) and the message. A suggester is judged on the test rows: top-1 accuracy on the
//! messages that name a value, overall and per language, the confusion matrix, and how often
//! it would ask the customer (below [`ASK_BELOW`](super::ASK_BELOW)) on each kind of message.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Suggestion;
use super::model::{Model, NONE, class_of};
use super::train::{self, Example, Settings};
use crate::domain::HeartValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

#[derive(Debug, Clone)]
pub struct Labelled {
    pub language: String,
    /// `None`: the message names no value.
    pub value: Option<HeartValue>,
    pub split: Split,
    pub message: String,
}

impl Labelled {
    /// The class the model learns for this row.
    pub fn class(&self) -> usize {
        self.value.map_or(NONE, class_of)
    }
}

/// Reads the labelled set; an error names the row and what is wrong with it.
pub fn read(text: &str) -> Result<Vec<Labelled>, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    if headers != vec!["language", "value", "split", "message"] {
        return Err(format!(
            "the header must be language,value,split,message, not {}",
            headers.iter().collect::<Vec<_>>().join(",")
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let value = match &record[1] {
            "none" => None,
            code => Some(
                HeartValue::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == code)
                    .ok_or_else(|| format!("line {line}: unknown value {code:?}"))?,
            ),
        };
        let split = match &record[2] {
            "train" => Split::Train,
            "test" => Split::Test,
            other => {
                return Err(format!(
                    "line {line}: split must be train or test, not {other:?}"
                ));
            }
        };
        if record[3].trim().is_empty() || record[0].trim().is_empty() {
            return Err(format!("line {line}: empty language or message"));
        }
        rows.push(Labelled {
            language: record[0].to_owned(),
            value,
            split,
            message: record[3].to_owned(),
        });
    }
    Ok(rows)
}

/// The examples training learns from: the training split only.
pub fn training_examples(rows: &[Labelled]) -> Vec<Example> {
    rows.iter()
        .filter(|r| r.split == Split::Train)
        .map(|r| Example::new(&r.message, r.class()))
        .collect()
}

/// How one suggester did on some rows.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Per language: (right, messages that name a value).
    pub per_language: BTreeMap<String, (usize, usize)>,
    /// `confusion[truth][suggested]` over the five values.
    pub confusion: [[usize; 5]; 5],
    /// Messages that name a value: how many it would ask about.
    pub valued_asked: usize,
    /// ... and how many of those it did not ask about it got right.
    pub confident_right: usize,
    /// Messages that name no value: (asked about, all).
    pub none_asked: (usize, usize),
    /// Microseconds per suggestion, averaged over the rows.
    pub micros_per_suggestion: f64,
}

impl Report {
    pub fn accuracy(&self) -> f64 {
        let (right, all) = self
            .per_language
            .values()
            .fold((0, 0), |(r, a), &(r2, a2)| (r + r2, a + a2));
        ratio(right, all)
    }

    pub fn language_accuracy(&self, language: &str) -> f64 {
        self.per_language
            .get(language)
            .map_or(0.0, |&(right, all)| ratio(right, all))
    }

    fn valued(&self) -> usize {
        self.per_language.values().map(|&(_, all)| all).sum()
    }

    /// A Markdown section: accuracy per language, asking rates, the confusion matrix.
    pub fn markdown(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {title}\n");
        let _ = writeln!(
            out,
            "| language | messages naming a value | top-1 right | accuracy |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for (language, &(right, all)) in &self.per_language {
            let _ = writeln!(
                out,
                "| {language} | {all} | {right} | {:.1}% |",
                100.0 * ratio(right, all)
            );
        }
        let valued = self.valued();
        let right: usize = self.per_language.values().map(|&(r, _)| r).sum();
        let _ = writeln!(
            out,
            "| **all** | {valued} | {right} | **{:.1}%** |\n",
            100.0 * self.accuracy()
        );
        let confident = valued - self.valued_asked;
        let _ = writeln!(
            out,
            "- Asks the customer to choose on {} of {valued} messages that name a value ({:.1}%); \
             right on {:.1}% of the {confident} it does not ask about.",
            self.valued_asked,
            100.0 * ratio(self.valued_asked, valued),
            100.0 * ratio(self.confident_right, confident),
        );
        let _ = writeln!(
            out,
            "- Asks on {} of {} messages that name no value ({:.1}%).",
            self.none_asked.0,
            self.none_asked.1,
            100.0 * ratio(self.none_asked.0, self.none_asked.1)
        );
        let _ = writeln!(
            out,
            "- {:.1} µs per suggestion on average.\n",
            self.micros_per_suggestion
        );
        let _ = writeln!(
            out,
            "Confusion matrix (rows: the label; columns: the suggestion):\n"
        );
        let short = ["helping", "exceeding", "achieving", "care", "teamwork"];
        let _ = writeln!(out, "| label \\ suggested | {} |", short.join(" | "));
        let _ = writeln!(out, "|---|{}", "---:|".repeat(5));
        for (truth, row) in self.confusion.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(usize::to_string).collect();
            let _ = writeln!(out, "| {} | {} |", short[truth], cells.join(" | "));
        }
        out
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Judges `suggester` on the rows of `split`.
pub fn evaluate(rows: &[Labelled], split: Split, suggester: impl Fn(&str) -> Suggestion) -> Report {
    let mut report = Report::default();
    let started = std::time::Instant::now();
    let mut count = 0;
    for row in rows.iter().filter(|r| r.split == split) {
        count += 1;
        let s = suggester(&row.message);
        match row.value {
            None => {
                report.none_asked.1 += 1;
                if s.unsure {
                    report.none_asked.0 += 1;
                }
            }
            Some(truth) => {
                let entry = report.per_language.entry(row.language.clone()).or_default();
                entry.1 += 1;
                let right = s.value == truth;
                if right {
                    entry.0 += 1;
                }
                report.confusion[class_of(truth)][class_of(s.value)] += 1;
                if s.unsure {
                    report.valued_asked += 1;
                } else if right {
                    report.confident_right += 1;
                }
            }
        }
    }
    report.micros_per_suggestion = started.elapsed().as_secs_f64() * 1e6 / count.max(1) as f64;
    report
}

/// What `folds`-fold cross-validation on the training split suggested for each training
/// row, with the row's label: for choosing settings and the asking threshold without looking
/// at the test split.
pub fn cross_validate(
    rows: &[Labelled],
    settings: Settings,
    folds: usize,
) -> Vec<(Option<HeartValue>, Suggestion)> {
    let train: Vec<&Labelled> = rows.iter().filter(|r| r.split == Split::Train).collect();
    let mut out = Vec::with_capacity(train.len());
    for fold in 0..folds {
        let examples: Vec<Example> = train
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != fold)
            .map(|(_, r)| Example::new(&r.message, r.class()))
            .collect();
        let weights = train::train(&examples, settings);
        let model =
            Model::decode(&Model::encode(&weights)).expect("a model reads its own encoding");
        for (_, row) in train.iter().enumerate().filter(|(i, _)| i % folds == fold) {
            out.push((row.value, super::suggest_with(&model, &row.message)));
        }
    }
    out
}

/// From cross-validated suggestions: top-1 accuracy on the messages that name a value, and at
/// `threshold`, the share of those it would ask about and the share of no-value ones it would.
pub fn rates(results: &[(Option<HeartValue>, Suggestion)], threshold: f64) -> (f64, f64, f64) {
    let valued: Vec<_> = results
        .iter()
        .filter_map(|(t, s)| t.map(|t| (t, s)))
        .collect();
    let right = valued.iter().filter(|(t, s)| s.value == *t).count();
    let asked = valued
        .iter()
        .filter(|(_, s)| s.confidence < threshold)
        .count();
    let none: Vec<_> = results.iter().filter(|(t, _)| t.is_none()).collect();
    let none_asked = none
        .iter()
        .filter(|(_, s)| s.confidence < threshold)
        .count();
    (
        ratio(right, valued.len()),
        ratio(asked, valued.len()),
        ratio(none_asked, none.len()),
    )
}
