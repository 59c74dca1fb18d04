//! Signed unsubscribe links: who (an employee, or an address outside the directory) and which
//! kind of mail, signed with the key the database keeps, so a link works without a login and
//! cannot be made for anyone else.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::domain::notifications::Preference;

/// Whose mail a link stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscriber {
    Employee(Uuid),
    Address(String),
}

/// What a valid link says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub subscriber: Subscriber,
    pub preference: Preference,
}

fn mac(key: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

/// The token of a link: `payload.signature`, both base64url.
pub fn token(key: &[u8], subscriber: &Subscriber, preference: Preference) -> String {
    let who = match subscriber {
        Subscriber::Employee(id) => format!("e:{id}"),
        Subscriber::Address(address) => format!("a:{}", address.to_lowercase()),
    };
    let payload = format!("{}|{who}", preference.as_str());
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac(key, payload.as_bytes()))
    )
}

/// Reads a token; `None` when it is malformed or its signature does not match.
pub fn verify(key: &[u8], token: &str) -> Option<Unsubscribe> {
    let (payload, signature) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut check = Hmac::<Sha256>::new_from_slice(key).ok()?;
    check.update(&payload);
    // Constant time, so the signature cannot be guessed byte by byte.
    check.verify_slice(&signature).ok()?;
    let payload = String::from_utf8(payload).ok()?;
    let (preference, who) = payload.split_once('|')?;
    let preference = Preference::parse(preference)?;
    let subscriber = match who.split_once(':')? {
        ("e", id) => Subscriber::Employee(id.parse().ok()?),
        ("a", address) => Subscriber::Address(address.to_owned()),
        _ => return None,
    };
    Some(Unsubscribe {
        subscriber,
        preference,
    })
}

/// Carries out a verified link: an employee's switch goes off; an address outside the
/// directory is suppressed for that kind, and a customer's address is erased wherever kept.
pub async fn apply(
    conn: &mut diesel_async::AsyncPgConnection,
    request: &Unsubscribe,
) -> anyhow::Result<()> {
    use crate::models::mail as store;
    match &request.subscriber {
        Subscriber::Employee(id) => {
            let mut row = store::lock_preferences(conn, *id).await?;
            match request.preference {
                Preference::Thanked => row.thanked = Some(false),
                Preference::ManagerCopies => row.manager_copies = Some(false),
                Preference::Moderation => row.moderation = Some(false),
                Preference::Digest => row.digest = Some(false),
                Preference::CustomerThanks => {}
            }
            store::save_preferences(conn, &row).await?;
        }
        Subscriber::Address(address) => {
            store::suppress(conn, address, request.preference.as_str()).await?;
            if request.preference == Preference::CustomerThanks {
                crate::models::audit::act_as(conn, "shoutout:unsubscribe").await?;
                for id in store::praise_with_address(conn, address).await? {
                    crate::models::praise::erase_email(conn, id).await?;
                }
            }
        }
    }
    Ok(())
}

/// What a link stops, in words (for the page that confirms it).
pub fn describe(preference: Preference) -> &'static str {
    match preference {
        Preference::Thanked => "mails when someone thanks you",
        Preference::ManagerCopies => "copies of the thanks your people receive",
        Preference::Moderation => "mails about customer praise waiting for moderation",
        Preference::Digest => "your team's weekly digest",
        Preference::CustomerThanks => "mails from us (and your address is erased)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_key_only_and_resists_edits() {
        let key = [7u8; 32];
        let who = Subscriber::Employee(Uuid::nil());
        let t = token(&key, &who, Preference::Digest);
        let read = verify(&key, &t).unwrap();
        assert_eq!(read.subscriber, who);
        assert_eq!(read.preference, Preference::Digest);
        assert!(verify(&[8u8; 32], &t).is_none());
        let (_, sig) = t.split_once('.').unwrap();
        let forged = format!(
            "{}.{sig}",
            URL_SAFE_NO_PAD.encode(b"thanked|e:00000000-0000-0000-0000-000000000000")
        );
        assert!(verify(&key, &forged).is_none());
        assert!(verify(&key, "nonsense").is_none());
    }
}
