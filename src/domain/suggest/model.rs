//! The learned suggester's weights: a linear model over [`features`](super::features), one
//! row of weights per class (the five values, then "no value"), and how it scores a message.
//!
//! The file (`data/suggest/model.bin`) is small and plain: a header, then every weight as a
//! little-endian `i16` that `scale` turns back into a number. Quantizing halves the file at
//! no measured cost in accuracy, and makes it byte-for-byte reproducible from training.

use super::features::{self, DIMENSIONS, Feature, Word};
use crate::domain::HeartValue;

/// The classes, in the file's order: the five values, then a message that names none.
pub const CLASSES: usize = 6;
/// The class of a message that names no value ("Thanks!").
pub const NONE: usize = 5;

const MAGIC: &[u8; 8] = b"SHSUGG01";
const HEADER: usize = 8 + 4 + 4 + 4;

/// Weights as trained, before they are written down.
#[derive(Debug, Clone)]
pub struct Weights {
    /// `DIMENSIONS * CLASSES`, bucket-major.
    pub w: Vec<f32>,
    pub bias: [f32; CLASSES],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    w: Vec<i16>,
    bias: [i16; CLASSES],
    scale: f32,
}

/// What one word did for each class: its share of the message's score.
#[derive(Debug, Clone)]
pub struct WordEvidence {
    pub word: usize,
    /// Per class, the word's contribution above the mean over classes.
    pub lift: [f32; CLASSES],
}

impl Model {
    /// Writes trained weights down as the file's bytes.
    pub fn encode(weights: &Weights) -> Vec<u8> {
        let largest = weights
            .w
            .iter()
            .chain(weights.bias.iter())
            .fold(0.0_f32, |m, &x| m.max(x.abs()));
        let scale = if largest > 0.0 {
            largest / f32::from(i16::MAX)
        } else {
            1.0
        };
        let q = |x: f32| (x / scale).round() as i16;
        let mut out = Vec::with_capacity(HEADER + (weights.w.len() + CLASSES) * 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(DIMENSIONS as u32).to_le_bytes());
        out.extend_from_slice(&(CLASSES as u32).to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for &b in &weights.bias {
            out.extend_from_slice(&q(b).to_le_bytes());
        }
        for &x in &weights.w {
            out.extend_from_slice(&q(x).to_le_bytes());
        }
        out
    }

    /// Reads a model file; `Err` says what is wrong with it.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            return Err("not a suggester model (wrong header)".into());
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let (dimensions, classes) = (u32_at(8) as usize, u32_at(12) as usize);
        if dimensions != DIMENSIONS || classes != CLASSES {
            return Err(format!(
                "model has {dimensions} buckets and {classes} classes; this build reads \
                 {DIMENSIONS} and {CLASSES}: train it again"
            ));
        }
        let scale = f32::from_le_bytes(bytes[16..20].try_into().unwrap());
        let numbers: Vec<i16> = bytes[HEADER..]
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        if numbers.len() != CLASSES + DIMENSIONS * CLASSES || !bytes.len().is_multiple_of(2) {
            return Err("model file is truncated".into());
        }
        let mut bias = [0; CLASSES];
        bias.copy_from_slice(&numbers[..CLASSES]);
        Ok(Self {
            w: numbers[CLASSES..].to_vec(),
            bias,
            scale,
        })
    }

    fn weight(&self, bucket: u32, class: usize) -> f32 {
        f32::from(self.w[bucket as usize * CLASSES + class]) * self.scale
    }

    /// Each class's probability for these features (softmax of the linear scores).
    pub fn probabilities(&self, features: &[Feature]) -> [f32; CLASSES] {
        let mut scores: [f32; CLASSES] =
            std::array::from_fn(|c| f32::from(self.bias[c]) * self.scale);
        for f in features {
            for (c, s) in scores.iter_mut().enumerate() {
                *s += f.value * self.weight(f.bucket, c);
            }
        }
        softmax(scores)
    }

    /// How much each word pushed each class, for the words that pushed anything.
    pub fn evidence(&self, words: &[Word], features: &[Feature]) -> Vec<WordEvidence> {
        let mut per_word = vec![[0.0_f32; CLASSES]; words.len()];
        for f in features {
            if let Some(i) = f.word {
                for (c, x) in per_word[i].iter_mut().enumerate() {
                    *x += f.value * self.weight(f.bucket, c);
                }
            }
        }
        per_word
            .into_iter()
            .enumerate()
            .map(|(word, contribution)| {
                let mean = contribution.iter().sum::<f32>() / CLASSES as f32;
                WordEvidence {
                    word,
                    lift: std::array::from_fn(|c| contribution[c] - mean),
                }
            })
            .collect()
    }
}

pub fn softmax(scores: [f32; CLASSES]) -> [f32; CLASSES] {
    let top = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
    let exp: [f32; CLASSES] = std::array::from_fn(|c| (scores[c] - top).exp());
    let sum: f32 = exp.iter().sum();
    std::array::from_fn(|c| exp[c] / sum)
}

/// The class index of a value (its place in H.E.A.R.T. order).
pub fn class_of(value: HeartValue) -> usize {
    HeartValue::ALL
        .iter()
        .position(|&v| v == value)
        .expect("every value is in ALL")
}

/// A convenience for callers that have only the text.
pub fn probabilities_of(model: &Model, message: &str) -> [f32; CLASSES] {
    model.probabilities(&features::extract(&features::words(message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_survives_its_file() {
        let mut w = vec![0.0; DIMENSIONS * CLASSES];
        w[7] = 1.5;
        w[100] = -3.0;
        let weights = Weights {
            w,
            bias: [0.1, 0.0, 0.0, 0.0, 0.0, -0.2],
        };
        let bytes = Model::encode(&weights);
        let model = Model::decode(&bytes).unwrap();
        assert!((model.weight(1, 1) - 1.5).abs() < 1e-3);
        assert!((model.weight(16, 4) + 3.0).abs() < 1e-3);
        assert_eq!(Model::encode(&weights), bytes);
        assert!(Model::decode(&bytes[..bytes.len() - 2]).is_err());
        assert!(Model::decode(b"nonsense").is_err());
    }
}
