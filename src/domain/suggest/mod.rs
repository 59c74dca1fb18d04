//! Suggests which H.E.A.R.T. value a customer's message is about, in any of the languages the
//! labelled set holds (English, Spanish, French, German, Portuguese).
//!
//! A small linear model over hashed word, word-pair and character n-gram features
//! ([`features`]), trained by `shoutout suggester train` from `data/suggest/messages.csv`
//! ([`train`], [`labelled`]) and shipped inside the binary ([`model`]). Besides the five
//! values it knows a sixth class, "no value" ("Thanks!"), so a message that names none gets a
//! low confidence rather than a confident guess; below [`ASK_BELOW`] the praise form asks the
//! customer to choose. The cues are the message's own words that pushed hardest, so a
//! moderator sees why. [`keywords`] is the earlier English keyword list, kept as the baseline.

pub mod features;
pub mod keywords;
pub mod labelled;
pub mod model;
pub mod train;

use std::sync::LazyLock;

use super::HeartValue;
use model::{Model, NONE};

/// The model the build ships, trained from `data/suggest/messages.csv`.
static SHIPPED: LazyLock<Model> = LazyLock::new(|| {
    Model::decode(include_bytes!("../../../data/suggest/model.bin"))
        .expect("data/suggest/model.bin is the model `shoutout suggester train` writes")
});

/// Below this confidence the form asks the customer to choose a value rather than guessing.
/// Chosen on the training split's cross-validation (`shoutout suggester cross-validate`): it
/// asks about one message in eight that names a value, and nine in ten that name none (the
/// README reports both on the held-out split).
pub const ASK_BELOW: f64 = 0.5;

/// The most cues a suggestion lists.
const MAX_CUES: usize = 6;
/// A word whose pull towards a value is smaller than this, or than this share of the
/// strongest word's, is not worth showing as a cue (it is mostly "me", "for", "muy").
const CUE_LIFT: f32 = 0.06;
const CUE_SHARE_OF_TOP: f32 = 0.4;

/// What the message says, as the suggester saw it.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub value: HeartValue,
    /// How likely `value` is, 0 to 1, counting the chance that the message names no value
    /// at all ("Thanks!" is unsure whatever value wins).
    pub confidence: f64,
    /// Each value's share among the five, in the values' order (they sum to 1).
    pub scores: [(HeartValue, f64); 5],
    /// The words that counted, strongest first, with the value each speaks for.
    pub cues: Vec<(HeartValue, String)>,
    /// Too unsure to use without asking (`confidence` below [`ASK_BELOW`]).
    pub unsure: bool,
}

/// Suggests a value for `message` with the shipped model.
pub fn suggest(message: &str) -> Suggestion {
    suggest_with(&SHIPPED, message)
}

/// The shipped model (for the evaluation command and its tests).
pub fn shipped() -> &'static Model {
    &SHIPPED
}

pub fn suggest_with(model: &Model, message: &str) -> Suggestion {
    let words = features::words(message);
    let found = features::extract(&words);
    let p = model.probabilities(&found);
    let best = best_value(&p);
    let round = |x: f32| (f64::from(x) * 1000.0).round() / 1000.0;
    let confidence = round(p[best]);
    let mut evidence: Vec<(f32, HeartValue, usize)> = model
        .evidence(&words, &found)
        .into_iter()
        .filter_map(|e| {
            let c = best_value(&e.lift);
            // Two-letter words ("me", "to", "en") are never what a message is about.
            (e.lift[c] >= CUE_LIFT
                && e.lift[c] > e.lift[NONE]
                && words[e.word].folded.chars().count() > 2)
                .then_some((e.lift[c], HeartValue::ALL[c], e.word))
        })
        .collect();
    evidence.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
    let floor = evidence.first().map_or(0.0, |e| e.0 * CUE_SHARE_OF_TOP);
    let mut cues: Vec<(HeartValue, String)> = Vec::new();
    for (_, value, word) in evidence.into_iter().take_while(|e| e.0 >= floor) {
        let cue = (value, words[word].shown.clone());
        if !cues.contains(&cue) {
            cues.push(cue);
        }
        if cues.len() == MAX_CUES {
            break;
        }
    }
    Suggestion {
        value: HeartValue::ALL[best],
        confidence,
        scores: {
            let values: f32 = p[..5].iter().sum();
            std::array::from_fn(|c| (HeartValue::ALL[c], round(p[c] / values)))
        },
        cues,
        unsure: confidence < ASK_BELOW,
    }
}

/// The value (of the five; "no value" is left out) with the highest number; ties go to the
/// earlier value in H.E.A.R.T. order, so the answer is stable.
fn best_value(per_class: &[f32]) -> usize {
    (1..5).fold(0, |best, c| {
        if per_class[c] > per_class[best] {
            c
        } else {
            best
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_reads_a_clear_message_in_each_language() {
        let cases = [
            (
                "She was so patient and kind with my mother.",
                HeartValue::RespondingWithCare,
            ),
            (
                "Todo el equipo trabajó junto, gracias a todos.",
                HeartValue::ThrivingThroughTeamwork,
            ),
            ("Livré à temps, comme promis.", HeartValue::AchievingGoals),
            (
                "Er hat mir Schritt für Schritt erklärt, wie es geht.",
                HeartValue::HelpingOthers,
            ),
            (
                "Superou todas as minhas expectativas!",
                HeartValue::ExceedingExpectations,
            ),
        ];
        for (message, value) in cases {
            let s = suggest(message);
            assert_eq!(s.value, value, "{message}: {s:?}");
            assert!(!s.cues.is_empty(), "{message}: no cues");
        }
    }

    #[test]
    fn a_message_that_names_no_value_is_unsure() {
        for message in ["Thanks!", "¡Gracias!", "xyzzy", ""] {
            let s = suggest(message);
            assert!(s.unsure, "{message}: {s:?}");
        }
    }

    #[test]
    fn cues_are_words_of_the_message() {
        let s = suggest("He was incredibly patient and kind when I was in tears.");
        assert_eq!(s.value, HeartValue::RespondingWithCare);
        let words: Vec<String> =
            features::words("He was incredibly patient and kind when I was in tears.")
                .into_iter()
                .map(|w| w.shown)
                .collect();
        assert!(
            s.cues.iter().all(|(_, cue)| words.contains(cue)),
            "{:?}",
            s.cues
        );
        assert!(
            s.cues
                .iter()
                .any(|(v, _)| *v == HeartValue::RespondingWithCare),
            "{:?}",
            s.cues
        );
    }
}
