//! Trains the suggester: multinomial logistic regression over the hashed features, by
//! AdaGrad in a fixed order, so the same labelled messages always give the same weights
//! (`shoutout suggester train` writes them; a test trains again and compares the bytes).

use super::features::{self, DIMENSIONS, Feature};
use super::model::{CLASSES, Weights, softmax};

/// The settings training runs with, chosen by 5-fold cross-validation on the training split
/// (never the test split): see `shoutout suggester cross-validate`.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub epochs: usize,
    pub learning_rate: f32,
    /// L2 penalty, applied to the weights each example touches.
    pub l2: f32,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            epochs: 40,
            learning_rate: 0.2,
            l2: 1e-4,
            seed: 0x5348_4f55_544f_5554,
        }
    }
}

/// One labelled message, ready for training: its features and class.
pub struct Example {
    pub features: Vec<Feature>,
    pub class: usize,
}

impl Example {
    pub fn new(message: &str, class: usize) -> Self {
        Self {
            features: features::extract(&features::words(message)),
            class,
        }
    }
}

pub fn train(examples: &[Example], settings: Settings) -> Weights {
    let mut w = vec![0.0_f32; DIMENSIONS * CLASSES];
    let mut g2 = vec![0.0_f32; DIMENSIONS * CLASSES];
    let mut bias = [0.0_f32; CLASSES];
    let mut bias_g2 = [0.0_f32; CLASSES];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = XorShift(settings.seed | 1);
    for _ in 0..settings.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let example = &examples[i];
            let mut scores = bias;
            for f in &example.features {
                let row = &w[f.bucket as usize * CLASSES..][..CLASSES];
                for c in 0..CLASSES {
                    scores[c] += f.value * row[c];
                }
            }
            let p = softmax(scores);
            for c in 0..CLASSES {
                let error = p[c] - if c == example.class { 1.0 } else { 0.0 };
                bias_g2[c] += error * error;
                bias[c] -= settings.learning_rate * error / (bias_g2[c].sqrt() + 1e-8);
                for f in &example.features {
                    let at = f.bucket as usize * CLASSES + c;
                    let grad = error * f.value + settings.l2 * w[at];
                    g2[at] += grad * grad;
                    w[at] -= settings.learning_rate * grad / (g2[at].sqrt() + 1e-8);
                }
            }
        }
    }
    Weights { w, bias }
}

/// A small fixed generator: the shuffles are part of what makes training reproducible.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn shuffle(&mut self, items: &mut [usize]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}
