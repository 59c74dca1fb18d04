//! The first suggester, kept as the baseline the learned one is measured against
//! (`shoutout suggester evaluate` reports both on the same held-out split): a weighted list
//! of English cues per value, each matched at the start of a word (so `help` finds "helped"
//! and "helpful"). A message's score for a value is the sum of the weights of its cues found
//! in the message; the suggestion is the best score, the confidence its share of all scores.

use super::Suggestion;
use crate::domain::HeartValue;

/// `(value, cue, weight)`. A cue is one or more word starts, lower case, separated by single
/// spaces; it matches where each of its words begins a word of the message, in order.
const CUES: &[(HeartValue, &str, f64)] = &[
    // Helping others: guidance, explanation, solving someone's problem for them.
    (HeartValue::HelpingOthers, "help", 1.0),
    (HeartValue::HelpingOthers, "assist", 1.0),
    (HeartValue::HelpingOthers, "explain", 1.5),
    (HeartValue::HelpingOthers, "walked me through", 2.0),
    (HeartValue::HelpingOthers, "talked me through", 2.0),
    (HeartValue::HelpingOthers, "took me through", 1.5),
    (HeartValue::HelpingOthers, "step by step", 1.5),
    (HeartValue::HelpingOthers, "showed me", 2.0),
    (HeartValue::HelpingOthers, "show me how", 2.0),
    (HeartValue::HelpingOthers, "taught", 1.5),
    (HeartValue::HelpingOthers, "teach", 1.5),
    (HeartValue::HelpingOthers, "guid", 1.5),
    (HeartValue::HelpingOthers, "advice", 1.5),
    (HeartValue::HelpingOthers, "advis", 1.5),
    (HeartValue::HelpingOthers, "sorted", 1.0),
    (HeartValue::HelpingOthers, "figure", 1.0),
    (HeartValue::HelpingOthers, "figured out", 1.0),
    (HeartValue::HelpingOthers, "set up", 1.0),
    (HeartValue::HelpingOthers, "setting up", 1.0),
    (HeartValue::HelpingOthers, "how to", 1.5),
    (HeartValue::HelpingOthers, "understand", 0.5),
    (HeartValue::HelpingOthers, "clear", 0.5),
    (HeartValue::HelpingOthers, "solv", 1.0),
    (HeartValue::HelpingOthers, "resolv", 0.5),
    (HeartValue::HelpingOthers, "found a way", 1.5),
    (HeartValue::HelpingOthers, "point me", 1.0),
    (HeartValue::HelpingOthers, "pointed me", 1.0),
    (HeartValue::HelpingOthers, "recover", 1.0),
    (HeartValue::HelpingOthers, "confus", 1.0),
    (HeartValue::HelpingOthers, "lost", 0.5),
    (HeartValue::HelpingOthers, "stuck", 1.0),
    (HeartValue::HelpingOthers, "couldn t", 0.5),
    (HeartValue::HelpingOthers, "could not", 0.5),
    (HeartValue::HelpingOthers, "no idea", 1.0),
    (HeartValue::HelpingOthers, "tips", 1.0),
    (HeartValue::HelpingOthers, "knowledg", 1.0),
    (HeartValue::HelpingOthers, "informat", 0.5),
    (HeartValue::HelpingOthers, "answer", 1.0),
    (HeartValue::HelpingOthers, "question", 1.0),
    (HeartValue::HelpingOthers, "carried", 1.0),
    (HeartValue::HelpingOthers, "lift", 0.5),
    (HeartValue::HelpingOthers, "directions", 1.0),
    (HeartValue::HelpingOthers, "option", 1.0),
    (HeartValue::HelpingOthers, "saved me", 1.0),
    // Exceeding expectations: more than was asked, surprise, the extra mile.
    (HeartValue::ExceedingExpectations, "above and beyond", 3.0),
    (HeartValue::ExceedingExpectations, "beyond", 1.5),
    (HeartValue::ExceedingExpectations, "extra mile", 3.0),
    (HeartValue::ExceedingExpectations, "extra", 1.0),
    (HeartValue::ExceedingExpectations, "exceed", 3.0),
    (HeartValue::ExceedingExpectations, "expect", 1.5),
    (HeartValue::ExceedingExpectations, "more than", 2.0),
    (HeartValue::ExceedingExpectations, "didn t have to", 2.5),
    (HeartValue::ExceedingExpectations, "did not have to", 2.5),
    (HeartValue::ExceedingExpectations, "no need to", 1.5),
    (
        HeartValue::ExceedingExpectations,
        "without being asked",
        2.5,
    ),
    (HeartValue::ExceedingExpectations, "without me asking", 2.5),
    (HeartValue::ExceedingExpectations, "never asked", 2.0),
    (HeartValue::ExceedingExpectations, "even", 1.0),
    (HeartValue::ExceedingExpectations, "surpris", 2.0),
    (HeartValue::ExceedingExpectations, "amaz", 1.0),
    (HeartValue::ExceedingExpectations, "blown away", 2.5),
    (HeartValue::ExceedingExpectations, "blew me away", 2.5),
    (HeartValue::ExceedingExpectations, "wow", 1.5),
    (HeartValue::ExceedingExpectations, "delight", 1.5),
    (HeartValue::ExceedingExpectations, "impress", 1.5),
    (HeartValue::ExceedingExpectations, "outstanding", 1.5),
    (HeartValue::ExceedingExpectations, "exceptional", 1.5),
    (HeartValue::ExceedingExpectations, "best service", 2.0),
    (
        HeartValue::ExceedingExpectations,
        "best customer service",
        2.0,
    ),
    (HeartValue::ExceedingExpectations, "ever had", 1.5),
    (HeartValue::ExceedingExpectations, "ever received", 1.5),
    (HeartValue::ExceedingExpectations, "better than", 2.0),
    (HeartValue::ExceedingExpectations, "upgrade", 2.0),
    (HeartValue::ExceedingExpectations, "complimentary", 2.0),
    (HeartValue::ExceedingExpectations, "free of charge", 2.0),
    (HeartValue::ExceedingExpectations, "bonus", 1.5),
    (HeartValue::ExceedingExpectations, "own time", 2.5),
    (HeartValue::ExceedingExpectations, "day off", 2.5),
    (HeartValue::ExceedingExpectations, "after hours", 2.0),
    (HeartValue::ExceedingExpectations, "after closing", 2.0),
    (HeartValue::ExceedingExpectations, "stayed late", 2.0),
    (HeartValue::ExceedingExpectations, "stayed behind", 2.0),
    (HeartValue::ExceedingExpectations, "personally", 1.5),
    (HeartValue::ExceedingExpectations, "drove", 2.0),
    (HeartValue::ExceedingExpectations, "hand deliver", 2.5),
    (HeartValue::ExceedingExpectations, "called me back", 1.0),
    (HeartValue::ExceedingExpectations, "followed up", 1.5),
    (HeartValue::ExceedingExpectations, "follow up", 1.5),
    (HeartValue::ExceedingExpectations, "went out of", 2.0),
    (HeartValue::ExceedingExpectations, "out of their way", 2.0),
    (HeartValue::ExceedingExpectations, "out of her way", 2.0),
    (HeartValue::ExceedingExpectations, "out of his way", 2.0),
    (HeartValue::ExceedingExpectations, "way more", 2.0),
    (HeartValue::ExceedingExpectations, "thought of", 1.0),
    (HeartValue::ExceedingExpectations, "anticipat", 1.5),
    (HeartValue::ExceedingExpectations, "didn t even", 1.5),
    (HeartValue::ExceedingExpectations, "little touch", 2.0),
    (HeartValue::ExceedingExpectations, "note", 1.0),
    (HeartValue::ExceedingExpectations, "gift", 1.5),
    // Achieving goals: done, delivered, on time, fixed, results.
    (HeartValue::AchievingGoals, "on time", 2.5),
    (HeartValue::AchievingGoals, "deadline", 2.5),
    (HeartValue::AchievingGoals, "ahead of schedule", 3.0),
    (HeartValue::AchievingGoals, "schedul", 1.0),
    (HeartValue::AchievingGoals, "deliver", 1.5),
    (HeartValue::AchievingGoals, "complet", 1.5),
    (HeartValue::AchievingGoals, "finish", 1.5),
    (HeartValue::AchievingGoals, "done", 1.5),
    (HeartValue::AchievingGoals, "got it done", 2.5),
    (HeartValue::AchievingGoals, "got the job done", 3.0),
    (HeartValue::AchievingGoals, "job done", 2.0),
    (HeartValue::AchievingGoals, "first time", 2.0),
    (HeartValue::AchievingGoals, "fixed", 1.5),
    (HeartValue::AchievingGoals, "fix", 1.0),
    (HeartValue::AchievingGoals, "repair", 1.0),
    (HeartValue::AchievingGoals, "result", 2.0),
    (HeartValue::AchievingGoals, "goal", 2.5),
    (HeartValue::AchievingGoals, "target", 2.0),
    (HeartValue::AchievingGoals, "achiev", 2.5),
    (HeartValue::AchievingGoals, "accomplish", 2.5),
    (HeartValue::AchievingGoals, "succe", 1.5),
    (HeartValue::AchievingGoals, "efficient", 2.0),
    (HeartValue::AchievingGoals, "quick", 1.5),
    (HeartValue::AchievingGoals, "fast", 1.5),
    (HeartValue::AchievingGoals, "speed", 1.5),
    (HeartValue::AchievingGoals, "prompt", 1.5),
    (HeartValue::AchievingGoals, "within", 1.0),
    (HeartValue::AchievingGoals, "same day", 2.0),
    (HeartValue::AchievingGoals, "in no time", 2.0),
    (HeartValue::AchievingGoals, "minutes", 1.0),
    (HeartValue::AchievingGoals, "hours", 0.5),
    (HeartValue::AchievingGoals, "promised", 2.0),
    (HeartValue::AchievingGoals, "kept their word", 2.5),
    (HeartValue::AchievingGoals, "as promised", 2.5),
    (HeartValue::AchievingGoals, "install", 1.5),
    (HeartValue::AchievingGoals, "project", 2.0),
    (HeartValue::AchievingGoals, "migration", 1.5),
    (HeartValue::AchievingGoals, "launch", 1.5),
    (HeartValue::AchievingGoals, "approved", 1.5),
    (HeartValue::AchievingGoals, "process", 1.0),
    (HeartValue::AchievingGoals, "refund", 1.0),
    (HeartValue::AchievingGoals, "arrived", 1.0),
    (HeartValue::AchievingGoals, "no fuss", 1.5),
    (HeartValue::AchievingGoals, "hassle", 1.0),
    (HeartValue::AchievingGoals, "smooth", 1.0),
    (HeartValue::AchievingGoals, "organis", 1.0),
    (HeartValue::AchievingGoals, "organiz", 1.0),
    (HeartValue::AchievingGoals, "working again", 2.0),
    (HeartValue::AchievingGoals, "up and running", 2.0),
    (HeartValue::AchievingGoals, "back online", 2.0),
    (HeartValue::AchievingGoals, "restored", 1.5),
    (HeartValue::AchievingGoals, "closed", 1.0),
    (HeartValue::AchievingGoals, "in time", 2.0),
    (HeartValue::AchievingGoals, "made it", 1.5),
    (HeartValue::AchievingGoals, "nailed", 2.0),
    (HeartValue::AchievingGoals, "no delay", 2.0),
    // Responding with care: kindness, patience, listening, hard moments.
    (HeartValue::RespondingWithCare, "patien", 2.5),
    (HeartValue::RespondingWithCare, "kind", 2.0),
    (HeartValue::RespondingWithCare, "care", 1.5),
    (HeartValue::RespondingWithCare, "caring", 2.0),
    (HeartValue::RespondingWithCare, "compassion", 3.0),
    (HeartValue::RespondingWithCare, "empath", 3.0),
    (HeartValue::RespondingWithCare, "sympath", 2.5),
    (HeartValue::RespondingWithCare, "listen", 2.5),
    (HeartValue::RespondingWithCare, "heard", 1.0),
    (HeartValue::RespondingWithCare, "understanding", 2.0),
    (HeartValue::RespondingWithCare, "calm", 2.0),
    (HeartValue::RespondingWithCare, "gentle", 2.5),
    (HeartValue::RespondingWithCare, "warm", 2.0),
    (HeartValue::RespondingWithCare, "respect", 2.0),
    (HeartValue::RespondingWithCare, "dignity", 3.0),
    (HeartValue::RespondingWithCare, "reassur", 2.5),
    (HeartValue::RespondingWithCare, "comfort", 2.0),
    (HeartValue::RespondingWithCare, "sensitiv", 2.5),
    (HeartValue::RespondingWithCare, "polite", 1.5),
    (HeartValue::RespondingWithCare, "courte", 1.5),
    (HeartValue::RespondingWithCare, "friendly", 1.0),
    (HeartValue::RespondingWithCare, "smile", 1.0),
    (HeartValue::RespondingWithCare, "human", 1.5),
    (HeartValue::RespondingWithCare, "treated me", 1.5),
    (HeartValue::RespondingWithCare, "made me feel", 2.0),
    (HeartValue::RespondingWithCare, "never made me feel", 2.0),
    (HeartValue::RespondingWithCare, "felt", 1.0),
    (HeartValue::RespondingWithCare, "rushed", 2.0),
    (HeartValue::RespondingWithCare, "time with me", 1.5),
    (HeartValue::RespondingWithCare, "took the time", 1.5),
    (HeartValue::RespondingWithCare, "upset", 2.0),
    (HeartValue::RespondingWithCare, "distress", 2.5),
    (HeartValue::RespondingWithCare, "stress", 1.5),
    (HeartValue::RespondingWithCare, "anxious", 2.0),
    (HeartValue::RespondingWithCare, "worried", 2.0),
    (HeartValue::RespondingWithCare, "panic", 2.0),
    (HeartValue::RespondingWithCare, "tears", 2.5),
    (HeartValue::RespondingWithCare, "crying", 2.5),
    (HeartValue::RespondingWithCare, "scared", 2.0),
    (HeartValue::RespondingWithCare, "frighten", 2.0),
    (HeartValue::RespondingWithCare, "angry", 2.0),
    (HeartValue::RespondingWithCare, "frustrat", 1.5),
    (HeartValue::RespondingWithCare, "complain", 1.5),
    (HeartValue::RespondingWithCare, "shout", 1.5),
    (HeartValue::RespondingWithCare, "rude", 1.5),
    (HeartValue::RespondingWithCare, "passed away", 3.0),
    (HeartValue::RespondingWithCare, "died", 3.0),
    (HeartValue::RespondingWithCare, "death", 3.0),
    (HeartValue::RespondingWithCare, "funeral", 3.0),
    (HeartValue::RespondingWithCare, "bereave", 3.0),
    (HeartValue::RespondingWithCare, "loss", 2.0),
    (HeartValue::RespondingWithCare, "grief", 3.0),
    (HeartValue::RespondingWithCare, "grieving", 3.0),
    (HeartValue::RespondingWithCare, "illness", 2.0),
    (HeartValue::RespondingWithCare, "ill", 1.5),
    (HeartValue::RespondingWithCare, "sick", 1.5),
    (HeartValue::RespondingWithCare, "hospital", 1.5),
    (HeartValue::RespondingWithCare, "cancer", 2.5),
    (HeartValue::RespondingWithCare, "disab", 2.0),
    (HeartValue::RespondingWithCare, "elderly", 2.0),
    (HeartValue::RespondingWithCare, "my mum", 1.0),
    (HeartValue::RespondingWithCare, "my mom", 1.0),
    (HeartValue::RespondingWithCare, "my dad", 1.0),
    (HeartValue::RespondingWithCare, "my father", 1.0),
    (HeartValue::RespondingWithCare, "my mother", 1.0),
    (HeartValue::RespondingWithCare, "my husband", 1.0),
    (HeartValue::RespondingWithCare, "my wife", 1.0),
    (HeartValue::RespondingWithCare, "difficult time", 3.0),
    (HeartValue::RespondingWithCare, "hard time", 2.5),
    (HeartValue::RespondingWithCare, "tough time", 2.5),
    (HeartValue::RespondingWithCare, "situation", 1.0),
    (HeartValue::RespondingWithCare, "genuine", 1.5),
    (HeartValue::RespondingWithCare, "sincere", 1.5),
    (HeartValue::RespondingWithCare, "apolog", 1.5),
    (HeartValue::RespondingWithCare, "never once", 1.5),
    (HeartValue::RespondingWithCare, "no judg", 2.5),
    (HeartValue::RespondingWithCare, "judg", 1.5),
    (HeartValue::RespondingWithCare, "embarrass", 2.0),
    (HeartValue::RespondingWithCare, "nervous", 2.0),
    (HeartValue::RespondingWithCare, "vulnerable", 2.5),
    (HeartValue::RespondingWithCare, "checked on", 2.0),
    (HeartValue::RespondingWithCare, "checked in on", 2.0),
    (HeartValue::RespondingWithCare, "how i was", 2.0),
    // Thriving through teamwork: several people, departments, hand-overs.
    (HeartValue::ThrivingThroughTeamwork, "team", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "teamwork", 3.0),
    (HeartValue::ThrivingThroughTeamwork, "together", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "colleague", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "coworker", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "co worker", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "everyone", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "everybody", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "all of you", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "all the staff", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "whole", 1.5),
    (HeartValue::ThrivingThroughTeamwork, "staff", 1.5),
    (HeartValue::ThrivingThroughTeamwork, "crew", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "department", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "both", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "and her", 1.0),
    (HeartValue::ThrivingThroughTeamwork, "and his", 1.0),
    (HeartValue::ThrivingThroughTeamwork, "coordinat", 3.0),
    (HeartValue::ThrivingThroughTeamwork, "collaborat", 3.0),
    (HeartValue::ThrivingThroughTeamwork, "cooperat", 3.0),
    (HeartValue::ThrivingThroughTeamwork, "handover", 3.0),
    (HeartValue::ThrivingThroughTeamwork, "hand over", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "handed over", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "handed me over", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "passed me", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "transferred", 1.5),
    (HeartValue::ThrivingThroughTeamwork, "brief", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "repeat myself", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "repeat anything", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "same page", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "joined up", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "seamless", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "between", 1.5),
    (HeartValue::ThrivingThroughTeamwork, "across", 1.5),
    (HeartValue::ThrivingThroughTeamwork, "several", 1.5),
    (HeartValue::ThrivingThroughTeamwork, "shift", 1.5),
    (HeartValue::ThrivingThroughTeamwork, "nurses", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "engineers", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "agents", 2.0),
    (HeartValue::ThrivingThroughTeamwork, "people", 1.0),
    (HeartValue::ThrivingThroughTeamwork, "worked with", 1.5),
    (HeartValue::ThrivingThroughTeamwork, "with her manager", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "with his manager", 2.5),
    (HeartValue::ThrivingThroughTeamwork, "with the", 0.5),
    (HeartValue::ThrivingThroughTeamwork, "branch", 1.0),
    (HeartValue::ThrivingThroughTeamwork, "store", 0.5),
    (HeartValue::ThrivingThroughTeamwork, "well oiled", 3.0),
    (HeartValue::ThrivingThroughTeamwork, "machine", 1.0),
    (HeartValue::ThrivingThroughTeamwork, "they", 0.5),
];

/// Suggests a value for `message`. A message with no cue at all gets `helping_others`, the
/// most common reason customers write, with confidence 0.
pub fn suggest(message: &str) -> Suggestion {
    let words = normalise(message);
    let mut totals = [0.0_f64; 5];
    let mut cues = Vec::new();
    for &(value, cue, weight) in CUES {
        if contains_cue(&words, cue) {
            totals[index(value)] += weight;
            cues.push((value, cue.to_owned()));
        }
    }
    let sum: f64 = totals.iter().sum();
    // Ties go to the earlier value in H.E.A.R.T. order, so the answer is stable.
    let mut best = 0;
    for i in 1..5 {
        if totals[i] > totals[best] {
            best = i;
        }
    }
    let share = |t: f64| if sum > 0.0 { round(t / sum) } else { 0.0 };
    let scores = std::array::from_fn(|i| (HeartValue::ALL[i], share(totals[i])));
    Suggestion {
        value: HeartValue::ALL[best],
        confidence: share(totals[best]),
        scores,
        unsure: sum == 0.0,
        cues,
    }
}

fn index(value: HeartValue) -> usize {
    HeartValue::ALL
        .iter()
        .position(|&v| v == value)
        .expect("every value is in ALL")
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Lower-case words of letters and digits; everything else separates words (so "didn't"
/// becomes "didn t", which the cues spell the same way).
fn normalise(message: &str) -> Vec<String> {
    message
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether the cue's words begin consecutive words of the message.
fn contains_cue(words: &[String], cue: &str) -> bool {
    let parts: Vec<&str> = cue.split(' ').collect();
    if parts.len() > words.len() {
        return false;
    }
    words.windows(parts.len()).any(|window| {
        window
            .iter()
            .zip(&parts)
            .enumerate()
            .all(|(i, (word, part))| {
                // Inner words of a phrase must match whole ("out of her way"); the last one
                // and a single-word cue may be a word's start ("help" in "helpful").
                if i + 1 < parts.len() {
                    word == part
                } else {
                    word.starts_with(part)
                }
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_word_starts_and_phrases() {
        let s = suggest("She went above and beyond, and even called me back the next day!");
        assert_eq!(s.value, HeartValue::ExceedingExpectations);
        assert!(s.cues.contains(&(
            HeartValue::ExceedingExpectations,
            "above and beyond".to_owned()
        )));
        assert!(s.confidence > 0.5);
    }

    #[test]
    fn inner_words_of_a_phrase_match_whole() {
        assert!(contains_cue(&normalise("out of her way"), "out of her way"));
        assert!(!contains_cue(
            &normalise("outer offer way"),
            "out of her way"
        ));
        assert!(contains_cue(&normalise("so patiently"), "patien"));
    }

    #[test]
    fn no_cue_is_a_confident_nothing() {
        let s = suggest("xyzzy");
        assert_eq!(s.value, HeartValue::HelpingOthers);
        assert_eq!(s.confidence, 0.0);
        assert!(s.scores.iter().all(|&(_, x)| x == 0.0));
    }

    #[test]
    fn scores_are_shares() {
        let s = suggest("Thank you to the whole team for your patience and kindness");
        let total: f64 = s.scores.iter().map(|&(_, x)| x).sum();
        assert!((total - 1.0).abs() < 0.01, "{total}");
    }
}
