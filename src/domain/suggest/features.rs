//! What the learned suggester sees of a message: hashed word, word-pair and character n-gram
//! features. Training and suggesting both go through [`extract`], so they cannot disagree.
//!
//! Words are lower case with accents taken off ("atención" and "atencion" are one word, as
//! customers type both); character n-grams of each word (3 to 5 letters, with its edges marked)
//! let a typo or another form of a word ("helpfull", "geholfen") share most features with
//! the words seen in training. Features are hashed into [`DIMENSIONS`] buckets with FNV-1a,
//! whose output is fixed by its definition, so a model file means the same on every build.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Hash buckets. 2^16 keeps the model under a megabyte: in cross-validation on the training
/// split, 2^15 lost a point of accuracy and 2^18 gained nothing.
pub const DIMENSIONS: usize = 1 << 16;

/// One word of a message, as typed (lower case) and as the features see it (accents off).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub shown: String,
    pub folded: String,
}

/// A feature: its bucket, its weight in the message, and the word it came from (`None` for
/// a word pair, which belongs to two).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feature {
    pub bucket: u32,
    pub value: f32,
    pub word: Option<usize>,
}

/// The message's words: runs of letters and digits, lower case.
pub fn words(message: &str) -> Vec<Word> {
    message
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|shown| Word {
            folded: fold(shown),
            shown: shown.to_owned(),
        })
        .collect()
}

/// Takes accents off and squeezes a letter typed three or more times to two ("sooo" is
/// "soo"), the way customers stretch words.
fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = None;
    let mut run = 0;
    for c in word.nfkd().filter(|c| !is_combining_mark(*c)) {
        if Some(c) == last {
            run += 1;
        } else {
            run = 1;
            last = Some(c);
        }
        if run <= 2 {
            out.push(c);
        }
    }
    out
}

/// The message's features, each bucket once, scaled to unit length.
pub fn extract(words: &[Word]) -> Vec<Feature> {
    let mut raw: Vec<(u32, Option<usize>)> = Vec::with_capacity(words.len() * 16);
    for (i, word) in words.iter().enumerate() {
        raw.push((bucket(b'w', &[word.folded.as_bytes()]), Some(i)));
        let marked: Vec<char> = std::iter::once('<')
            .chain(word.folded.chars())
            .chain(std::iter::once('>'))
            .collect();
        for n in 3..=5 {
            for gram in marked.windows(n) {
                let text: String = gram.iter().collect();
                raw.push((bucket(b'c', &[text.as_bytes()]), Some(i)));
            }
        }
        if let Some(next) = words.get(i + 1) {
            raw.push((
                bucket(
                    b'p',
                    &[word.folded.as_bytes(), b" ", next.folded.as_bytes()],
                ),
                None,
            ));
        }
    }
    // Counts per bucket, dampened (1 + ln n) so a word repeated ten times is not ten votes.
    raw.sort_unstable_by_key(|&(b, _)| b);
    let mut features: Vec<Feature> = Vec::with_capacity(raw.len());
    for (b, word) in raw {
        match features.last_mut() {
            Some(last) if last.bucket == b => {
                last.value += 1.0;
                // A bucket shared by two words is credited to neither.
                if last.word != word {
                    last.word = None;
                }
            }
            _ => features.push(Feature {
                bucket: b,
                value: 1.0,
                word,
            }),
        }
    }
    let mut norm = 0.0_f32;
    for f in &mut features {
        f.value = 1.0 + f.value.ln();
        norm += f.value * f.value;
    }
    let norm = norm.sqrt();
    if norm > 0.0 {
        for f in &mut features {
            f.value /= norm;
        }
    }
    features
}

/// FNV-1a over a kind byte and the parts, reduced to a bucket.
fn bucket(kind: u8, parts: &[&[u8]]) -> u32 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for &byte in std::iter::once(&kind).chain(parts.iter().flat_map(|p| p.iter())) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    (hash % DIMENSIONS as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_stretched_letters_fold() {
        let w = words("¡Atención MUY buenaaaa!");
        let folded: Vec<_> = w.iter().map(|w| w.folded.as_str()).collect();
        assert_eq!(folded, ["atencion", "muy", "buenaa"]);
        assert_eq!(w[0].shown, "atención");
    }

    #[test]
    fn features_have_unit_length_and_one_entry_per_bucket() {
        let f = extract(&words("help help helpful"));
        let norm: f32 = f.iter().map(|f| f.value * f.value).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        let mut buckets: Vec<_> = f.iter().map(|f| f.bucket).collect();
        buckets.dedup();
        assert_eq!(buckets.len(), f.len());
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(extract(&words(" !? ")).is_empty());
    }
}
