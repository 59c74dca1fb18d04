//! The praise form's proof of work: a signed, expiring, single-use challenge.
//!
//! The server hands out `challenge` = base64url(payload ‖ HMAC-SHA256(payload)), where the
//! payload holds a random nonce, the time it was issued, the difficulty and the employee it is
//! for. The client must find a `solution` (decimal digits) such that
//! SHA-256(`challenge` ":" `solution`) starts with `bits` zero bits. Checking costs one hash;
//! finding costs about 2^bits. Nothing is stored until a challenge is redeemed: its nonce then
//! goes into `spent_challenges` until it expires, so a replay is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 16;
const PAYLOAD_LEN: usize = NONCE_LEN + 8 + 1 + 16;
const MAC_LEN: usize = 32;
/// Longest `solution` accepted: u64 in decimal.
pub const SOLUTION_MAX_LEN: usize = 20;

/// Signs and checks challenges. The key is derived from the service's secret, so every
/// instance behind a load balancer accepts the others' challenges.
#[derive(Clone)]
pub struct Challenges {
    key: [u8; 32],
    pub bits: u8,
    pub min_fill: Duration,
    pub ttl: Duration,
}

/// A challenge as handed to a client.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub bits: u8,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A checked solution: its nonce must now be spent (once) before the praise is stored.
#[derive(Debug, Clone)]
pub struct Redeemable {
    pub nonce: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not one of ours, altered, or for another employee.
    Invalid,
    /// Too old: the page must be reloaded.
    Expired,
    /// The solution does not have the zero bits.
    Unsolved,
    /// Sent sooner after the form was served than a person can type: a bot.
    TooFast,
}

impl Challenges {
    pub fn new(secret: &[u8], bits: u8, min_fill: Duration, ttl: Duration) -> Self {
        // A key of its own, so a challenge can never be mistaken for anything else the
        // secret signs (tokens).
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"shoutout praise challenge v1");
        Self {
            key: mac.finalize().into_bytes().into(),
            bits,
            min_fill,
            ttl,
        }
    }

    pub fn issue(&self, employee: Uuid, now: DateTime<Utc>) -> Issued {
        let mut payload = Vec::with_capacity(PAYLOAD_LEN + MAC_LEN);
        let mut nonce = [0_u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&now.timestamp_millis().to_be_bytes());
        payload.push(self.bits);
        payload.extend_from_slice(employee.as_bytes());
        let tag = self.mac(&payload);
        payload.extend_from_slice(&tag);
        Issued {
            token: URL_SAFE_NO_PAD.encode(payload),
            bits: self.bits,
            issued_at: now,
            expires_at: now + self.ttl,
        }
    }

    /// Checks a solution for `employee` at `now`. Cheap; touches no database.
    pub fn check(
        &self,
        token: &str,
        solution: &str,
        employee: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Redeemable, Refusal> {
        let raw = URL_SAFE_NO_PAD
            .decode(token.as_bytes())
            .map_err(|_| Refusal::Invalid)?;
        if raw.len() != PAYLOAD_LEN + MAC_LEN {
            return Err(Refusal::Invalid);
        }
        let (payload, tag) = raw.split_at(PAYLOAD_LEN);
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload);
        mac.verify_slice(tag).map_err(|_| Refusal::Invalid)?;
        let nonce = payload[..NONCE_LEN].to_vec();
        let millis = i64::from_be_bytes(payload[NONCE_LEN..NONCE_LEN + 8].try_into().unwrap());
        let bits = payload[NONCE_LEN + 8];
        let for_employee =
            Uuid::from_slice(&payload[NONCE_LEN + 9..]).map_err(|_| Refusal::Invalid)?;
        if for_employee != employee {
            return Err(Refusal::Invalid);
        }
        let issued_at = Utc
            .timestamp_millis_opt(millis)
            .single()
            .ok_or(Refusal::Invalid)?;
        let expires_at = issued_at + self.ttl;
        if now >= expires_at {
            return Err(Refusal::Expired);
        }
        if solution.is_empty()
            || solution.len() > SOLUTION_MAX_LEN
            || !solution.bytes().all(|b| b.is_ascii_digit())
            || !solves(token, solution, bits)
        {
            return Err(Refusal::Unsolved);
        }
        if now < issued_at + self.min_fill {
            return Err(Refusal::TooFast);
        }
        Ok(Redeemable { nonce, expires_at })
    }

    fn mac(&self, payload: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }
}

/// Whether SHA-256(`token` ":" `solution`) starts with `bits` zero bits.
pub fn solves(token: &str, solution: &str, bits: u8) -> bool {
    let digest = Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update(b":")
        .chain_update(solution.as_bytes())
        .finalize();
    leading_zero_bits(&digest) >= u32::from(bits)
}

fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut zeros = 0;
    for &byte in bytes {
        if byte == 0 {
            zeros += 8;
        } else {
            return zeros + byte.leading_zeros();
        }
    }
    zeros
}

/// Finds a solution by counting up, as the form's script does. For tests and tools.
pub fn solve(token: &str, bits: u8) -> String {
    (0_u64..)
        .map(|n| n.to_string())
        .find(|s| solves(token, s, bits))
        .expect("some counter solves any challenge of at most 64 bits")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenges(bits: u8) -> Challenges {
        Challenges::new(b"secret", bits, Duration::seconds(3), Duration::minutes(60))
    }

    #[test]
    fn a_solution_redeems_once_the_minimum_time_has_passed() {
        let c = challenges(8);
        let who = Uuid::now_v7();
        let now = Utc::now();
        let issued = c.issue(who, now);
        let solution = solve(&issued.token, 8);
        assert_eq!(
            c.check(&issued.token, &solution, who, now + Duration::seconds(1))
                .unwrap_err(),
            Refusal::TooFast
        );
        assert!(
            c.check(&issued.token, &solution, who, now + Duration::seconds(4))
                .is_ok()
        );
        assert_eq!(
            c.check(&issued.token, &solution, who, now + Duration::minutes(61))
                .unwrap_err(),
            Refusal::Expired
        );
    }

    #[test]
    fn forged_altered_or_misdirected_challenges_are_refused() {
        let c = challenges(4);
        let who = Uuid::now_v7();
        let now = Utc::now();
        let issued = c.issue(who, now);
        let later = now + Duration::seconds(10);
        let solution = solve(&issued.token, 4);
        assert_eq!(
            c.check(&issued.token, &solution, Uuid::now_v7(), later)
                .unwrap_err(),
            Refusal::Invalid
        );
        let other_key = Challenges::new(b"other", 4, Duration::zero(), Duration::minutes(60));
        let forged = other_key.issue(who, now);
        assert_eq!(
            c.check(&forged.token, &solve(&forged.token, 4), who, later)
                .unwrap_err(),
            Refusal::Invalid
        );
        // Lowering the difficulty inside the token breaks the signature.
        let mut raw = URL_SAFE_NO_PAD.decode(&issued.token).unwrap();
        raw[NONCE_LEN + 8] = 0;
        let altered = URL_SAFE_NO_PAD.encode(raw);
        assert_eq!(
            c.check(&altered, "0", who, later).unwrap_err(),
            Refusal::Invalid
        );
        assert_eq!(
            c.check("not base64!", "0", who, later).unwrap_err(),
            Refusal::Invalid
        );
    }

    #[test]
    fn a_wrong_solution_is_unsolved() {
        let c = challenges(20);
        let who = Uuid::now_v7();
        let now = Utc::now();
        let issued = c.issue(who, now);
        let later = now + Duration::seconds(10);
        // One in a million chance that "1" solves 20 bits; the token is random.
        let wrong = (0..5)
            .map(|n| n.to_string())
            .find(|s| !solves(&issued.token, s, 20))
            .unwrap();
        assert_eq!(
            c.check(&issued.token, &wrong, who, later).unwrap_err(),
            Refusal::Unsolved
        );
        assert_eq!(
            c.check(&issued.token, "-1", who, later).unwrap_err(),
            Refusal::Unsolved
        );
        assert_eq!(
            c.check(&issued.token, "", who, later).unwrap_err(),
            Refusal::Unsolved
        );
    }

    #[test]
    fn counts_leading_zero_bits() {
        assert_eq!(leading_zero_bits(&[0, 0x10, 0xff]), 11);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }
}
