//! Giving from Slack: the `/shoutout @someone [value] message` slash command. A request is
//! believed only when Slack's signature holds (`v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`
//! with the app's signing secret, compared in constant time, at most five minutes old). The
//! people named are found by their `slack_user_id`; then every rule of giving applies, and a
//! retry of the same command (Slack resends when we are slow) is the same request, so it
//! creates nothing new.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::giving::{self, Gift, Given, Rules};
use crate::domain::HeartValue;
use crate::domain::fields::Message;
use crate::domain::suggest;
use crate::error::{ApiError, ApiResult};
use crate::models::employees;

/// How old a signed request may be, either way, in seconds.
pub const MAX_AGE_SECS: i64 = 300;

/// Why a request is not believed.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Stale,
    Mismatch,
}

impl Refusal {
    pub fn explain(&self) -> &'static str {
        match self {
            Self::Missing => {
                "X-Slack-Request-Timestamp and X-Slack-Signature (v0=...) are both required"
            }
            Self::Stale => "the request is more than five minutes old (or from the future)",
            Self::Mismatch => "the signature does not match the body and the signing secret",
        }
    }
}

/// Checks a request as Slack signs it.
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(Refusal::Missing);
    };
    let sent: i64 = timestamp.trim().parse().map_err(|_| Refusal::Missing)?;
    if (now - sent).abs() > MAX_AGE_SECS {
        return Err(Refusal::Stale);
    }
    let hex_signature = signature.strip_prefix("v0=").ok_or(Refusal::Mismatch)?;
    let claimed = hex::decode(hex_signature).map_err(|_| Refusal::Mismatch)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(b"v0:");
    mac.update(timestamp.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&claimed).map_err(|_| Refusal::Mismatch)
}

/// A slash command, as the form Slack posts says it.
pub struct Command<'a> {
    /// Who typed it.
    pub user_id: &'a str,
    pub text: &'a str,
    /// Slack's id of this invocation: the same on every retry of it.
    pub trigger_id: Option<&'a str>,
    /// The whole form, for a retry key when there is no trigger id.
    pub body: &'a [u8],
}

/// What to show the person who typed the command (only to them).
pub struct Reply {
    pub text: String,
}

impl Reply {
    fn new(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }
}

const USAGE: &str = "Usage: `/shoutout @someone [value] message`, e.g. \
    `/shoutout @sam H thanks for covering my shift!`. The value is a letter of H.E.A.R.T. \
    (H, E, [A], R, T), a code such as `helping_others`, or a label such as \"Helping others\"; \
    leave it out and I will pick one from your message.";

/// Runs the command; the reply says what happened or exactly what to fix. Errors are only
/// what Slack cannot help with (the database is down).
pub async fn run(
    conn: &mut diesel_async::AsyncPgConnection,
    rules: &Rules,
    command: Command<'_>,
) -> ApiResult<Reply> {
    let parsed = match parse(command.text) {
        Ok(parsed) => parsed,
        Err(why) => return Ok(Reply::new(format!("{why}\n{USAGE}"))),
    };
    let Some(giver) = employees::find_active_by_slack_user(conn, command.user_id).await? else {
        return Ok(Reply::new(format!(
            "Your Slack account (<@{}>) is not linked to anyone in Shoutout yet. Ask an admin \
             to add your Slack member ID ({}) to your directory entry.",
            command.user_id, command.user_id
        )));
    };
    let known = employees::ids_by_slack_user(conn, &parsed.mentions).await?;
    let unknown: Vec<String> = parsed
        .mentions
        .iter()
        .filter(|m| !known.iter().any(|(slack, _)| slack == *m))
        .map(|m| format!("<@{m}>"))
        .collect();
    if !unknown.is_empty() {
        return Ok(Reply::new(format!(
            "I do not know {} in Shoutout (not linked, or no longer active). An admin can add \
             their Slack member ID to the directory.",
            unknown.join(", ")
        )));
    }
    let recipient_ids: Vec<Uuid> = parsed
        .mentions
        .iter()
        .filter_map(|m| {
            known
                .iter()
                .find(|(slack, _)| slack == m)
                .map(|(_, id)| *id)
        })
        .collect();
    let message = match Message::parse(&parsed.message) {
        Ok(message) => message,
        Err(why) => return Ok(Reply::new(format!("Your message {why}.\n{USAGE}"))),
    };
    let (value, suggested) = match parsed.value {
        Some(value) => (value, false),
        None => (suggest::suggest(message.as_str()).value, true),
    };
    let key = retry_key(&command);
    let gift = Gift {
        recipient_ids,
        value,
        message,
        visibility: crate::domain::Visibility::Public,
    };
    let names = parsed
        .mentions
        .iter()
        .map(|m| format!("<@{m}>"))
        .collect::<Vec<_>>()
        .join(", ");
    match giving::give(conn, rules, &giver, gift, Some(&key)).await {
        Ok(Given::New { .. }) => Ok(Reply::new(format!(
            ":tada: You thanked {names} for *{} · {}*{}",
            value.letter(),
            value.label(),
            if suggested {
                " (picked from your message; name a value to choose another)."
            } else {
                "."
            }
        ))),
        Ok(Given::Replay { .. }) => Ok(Reply::new(format!(
            "Already sent: you thanked {names} for *{} · {}*.",
            value.letter(),
            value.label()
        ))),
        Err(ApiError::Invalid(errors)) => Ok(Reply::new(format!(
            "That did not work: {}",
            errors
                .iter()
                .map(|e| match e.field.as_str() {
                    f if f.starts_with("recipient_ids") => e.message.clone(),
                    _ => format!("{} {}", e.field, e.message),
                })
                .collect::<Vec<_>>()
                .join("; ")
        ))),
        Err(ApiError::TooManyRequests { detail, .. }) => {
            Ok(Reply::new(format!("Not sent: {detail}.")))
        }
        Err(ApiError::Forbidden(why)) => Ok(Reply::new(format!("Not sent: {why}."))),
        Err(other) => Err(other),
    }
}

/// The `Idempotency-Key` a command gives under: its trigger id, else the form's digest.
fn retry_key(command: &Command<'_>) -> String {
    match command
        .trigger_id
        .filter(|t| !t.is_empty() && t.len() <= 100)
    {
        Some(trigger) => format!("slack:{trigger}"),
        None => format!("slack:{}", hex::encode(Sha256::digest(command.body))),
    }
}

/// What the command's text says.
#[derive(Debug, PartialEq)]
struct Parsed {
    mentions: Vec<String>,
    value: Option<HeartValue>,
    message: String,
}

/// Reads `@someone [@more] [value] message`. Slack sends mentions as `<@U123|name>` when the
/// app escapes users (which the set-up asks for).
fn parse(text: &str) -> Result<Parsed, String> {
    let mut rest = text.trim();
    let mut mentions: Vec<String> = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if let Some(after) = rest.strip_prefix("and ").filter(|_| !mentions.is_empty())
            && after.trim_start().starts_with("<@")
        {
            rest = after;
            continue;
        }
        let Some(inner) = rest.strip_prefix("<@") else {
            break;
        };
        let Some(end) = inner.find('>') else {
            break;
        };
        let id = inner[..end].split('|').next().unwrap_or_default();
        if crate::domain::fields::SlackUserId::parse(id).is_err() {
            break;
        }
        if !mentions.iter().any(|m| m == id) {
            mentions.push(id.to_owned());
        }
        rest = &inner[end + 1..];
    }
    if mentions.is_empty() {
        return Err(if rest.starts_with('@') {
            "I could not tell who you mean. In the Slack app's settings, turn on \"Escape \
             channels, users, and links sent to your app\" for the /shoutout command, then \
             pick people from the @ list."
                .into()
        } else {
            "Whom do you want to thank? Start with @ and pick them from the list.".into()
        });
    }
    let (value, message) = match value_at_start(rest) {
        Some((value, after)) => (Some(value), after),
        None => (None, rest),
    };
    let message = message.trim_start_matches([':', '-', ' ']).trim();
    if message.is_empty() {
        return Err("Add a few words to say what you are thanking them for.".into());
    }
    Ok(Parsed {
        mentions,
        value,
        message: message.to_owned(),
    })
}

/// A value named at the start of `text` (a label, a code, or a letter), and what follows it.
/// A bare `A` is read as the word "a", not Achieving goals: that letter needs a mark (`[A]`,
/// `(A)`, `#A`, `A:`).
fn value_at_start(text: &str) -> Option<(HeartValue, &str)> {
    for value in HeartValue::ALL {
        let label = value.label();
        if let Some(head) = text.get(..label.len())
            && head.eq_ignore_ascii_case(label)
            && boundary(&text[label.len()..])
        {
            return Some((*value, &text[label.len()..]));
        }
    }
    let end = text.find(|c: char| c.is_whitespace()).unwrap_or(text.len());
    let token = &text[..end];
    let after = &text[end..];
    let marked = token
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .or_else(|| token.strip_prefix('(').and_then(|t| t.strip_suffix(')')))
        .or_else(|| token.strip_prefix('#'))
        .or_else(|| token.strip_suffix(':'));
    let bare = marked.unwrap_or(token);
    if let Some(value) = HeartValue::from_code(&bare.to_lowercase()) {
        return Some((value, after));
    }
    let letter = match bare {
        "H" | "h" => HeartValue::HelpingOthers,
        "E" | "e" => HeartValue::ExceedingExpectations,
        "A" | "a" if marked.is_some() => HeartValue::AchievingGoals,
        "R" | "r" => HeartValue::RespondingWithCare,
        "T" | "t" => HeartValue::ThrivingThroughTeamwork,
        _ => return None,
    };
    Some((letter, after))
}

fn boundary(after: &str) -> bool {
    after
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || c == ':' || c == '-' || c == ',')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:").as_bytes());
        mac.update(body);
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn slacks_documented_example_verifies() {
        // The example from Slack's "Verifying requests from Slack" page.
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(
            verify(
                secret,
                Some("1531420618"),
                Some(signature),
                body,
                1531420618 + 10
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                secret,
                Some("1531420618"),
                Some(signature),
                body,
                1531420618 + 301
            ),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify(
                "other",
                Some("1531420618"),
                Some(signature),
                body,
                1531420618
            ),
            Err(Refusal::Mismatch)
        );
        let ts = 1_700_000_000;
        assert_eq!(
            verify(
                "s",
                Some(&ts.to_string()),
                Some(&sign("s", ts, b"x")),
                b"x",
                ts
            ),
            Ok(())
        );
        assert_eq!(
            verify("s", None, Some("v0=00"), b"x", ts),
            Err(Refusal::Missing)
        );
    }

    #[test]
    fn reads_mentions_value_and_message() {
        let p = parse("<@U111|sam> <@U222> H thanks for the cover!").unwrap();
        assert_eq!(p.mentions, ["U111", "U222"]);
        assert_eq!(p.value, Some(HeartValue::HelpingOthers));
        assert_eq!(p.message, "thanks for the cover!");

        let p = parse("<@U111>, and <@U222> Thriving through teamwork: great sprint").unwrap();
        assert_eq!(p.mentions, ["U111", "U222"]);
        assert_eq!(p.value, Some(HeartValue::ThrivingThroughTeamwork));
        assert_eq!(p.message, "great sprint");

        let p = parse("<@U111> achieving_goals shipped it").unwrap();
        assert_eq!(p.value, Some(HeartValue::AchievingGoals));

        let p = parse("<@U111> [A] shipped it").unwrap();
        assert_eq!(p.value, Some(HeartValue::AchievingGoals));

        // "A" alone is an article.
        let p = parse("<@U111> A huge thank you").unwrap();
        assert_eq!(p.value, None);
        assert_eq!(p.message, "A huge thank you");

        // "Help" is not "Helping others".
        let p = parse("<@U111> Helpful as ever").unwrap();
        assert_eq!(p.value, None);
    }

    #[test]
    fn says_what_is_missing() {
        assert!(parse("").unwrap_err().contains("Whom"));
        assert!(
            parse("@sam thanks")
                .unwrap_err()
                .contains("Escape channels")
        );
        assert!(parse("<@U111> H").unwrap_err().contains("a few words"));
    }
}
