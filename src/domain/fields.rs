//! The text a request may carry, as types: each checks its rule once, when it is read (from
//! JSON, a CSV cell or a form), keeps the value in the form it is stored in (trimmed), and
//! states the same rule as its OpenAPI schema, so a client can check input before sending it
//! and whatever the document calls valid is accepted. A request type holding a [`Message`]
//! cannot hold an unchecked one.

use std::borrow::Cow;
use std::cell::Cell;

use serde::de::{Deserialize, Deserializer, Error as _};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

use super::origin;
use super::text;

/// The longest reason a moderator may give, in characters.
pub const REASON_MAX: usize = 500;
/// The longest widget key name, in characters.
pub const KEY_NAME_MAX: usize = 100;
/// The longest name and e-mail address a customer may leave on the public form.
pub const CUSTOMER_NAME_MAX: usize = 100;
pub const CUSTOMER_EMAIL_MAX: usize = 254;
/// The shortest and longest webhook URL.
pub const WEBHOOK_URL_MIN: usize = 8;
pub const WEBHOOK_URL_MAX: usize = 2000;

thread_local! {
    /// Set while [`as_sent`] reads: text that breaks its rule is kept as sent.
    static AS_SENT: Cell<bool> = const { Cell::new(false) };
}

/// Reads something with every text rule suspended: text that breaks its rule is kept as sent.
/// Only for finding a request's other errors once its text has already been refused (a
/// moderator's rule about two fields, a row's giver): the value read must never be stored, and
/// is not, because the request it came from is refused.
pub fn as_sent<R>(read: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            AS_SENT.with(|flag| flag.set(false));
        }
    }
    AS_SENT.with(|flag| flag.set(true));
    let _reset = Reset;
    read()
}

/// `value` as it is when `valid`, else `why`.
fn kept_if(valid: bool, value: &str, why: &str) -> Result<String, String> {
    if valid {
        Ok(value.to_owned())
    } else {
        Err(why.to_owned())
    }
}

/// A string schema: `pattern`, and a length in characters.
fn string_schema(
    pattern: &str,
    min: usize,
    max: usize,
    description: &str,
    example: &str,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .min_length(Some(min))
        .max_length(Some(max))
        .description(Some(description))
        .examples([serde_json::Value::from(example)])
        .into()
}

macro_rules! text_type {
    (
        $(#[$doc:meta])*
        $name:ident {
            check: $check:expr,
            pattern: $pattern:expr,
            length: $min:literal ..= $max:expr,
            description: $description:literal,
            example: $example:literal $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Checks `value` against the rule, and keeps it as stored (trimmed).
            pub fn parse(value: &str) -> Result<Self, String> {
                let check: fn(&str) -> Result<String, String> = $check;
                check(value).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = Cow::<'de, str>::deserialize(deserializer)?;
                match Self::parse(&raw) {
                    Ok(checked) => Ok(checked),
                    Err(_) if AS_SENT.with(Cell::get) => Ok(Self(raw.into_owned())),
                    Err(why) => Err(D::Error::custom(why)),
                }
            }
        }

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_schema($pattern, $min, $max, $description, $example)
            }
        }

        impl ToSchema for $name {}
    };
}

text_type! {
    /// A Slack member id (`U…`, or `W…` on Enterprise Grid), as Slack sends it in a command.
    SlackUserId {
        check: |v| kept_if(
            (3..=31).contains(&v.len())
                && (v.starts_with('U') || v.starts_with('W'))
                && v.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            v,
            "must be a Slack user id such as U024BE7LH",
        ),
        pattern: "^[UW][A-Z0-9]{2,30}$",
        length: 3..=31,
        description: "A Slack member id (U… or W…), as shown in Slack under the person's profile, \
                      \"Copy member ID\".",
        example: "U024BE7LH",
    }
}

text_type! {
    /// What a webhook endpoint is for.
    Description {
        check: |v| text::trimmed(v, REASON_MAX),
        pattern: text::TEXT_PATTERN,
        length: 1..=REASON_MAX,
        description: "1-500 characters with at least one visible one (trimmed); no control \
                      characters other than tab and line breaks, no text-direction overrides.",
        example: "The intranet's recognition wall",
    }
}

text_type! {
    /// Where a webhook is delivered: an absolute http(s) URL. Whether its host may be reached
    /// (https in production, no internal addresses) is decided with the configuration.
    WebhookUrl {
        check: |v| {
            kept_if(
                (WEBHOOK_URL_MIN..=WEBHOOK_URL_MAX).contains(&v.chars().count())
                    && v.chars().all(|c| c.is_ascii_graphic())
                    && (v.starts_with("https://") || v.starts_with("http://")),
                v,
                "must be an absolute https URL of at most 2000 characters, without spaces",
            )
        },
        pattern: "^https?://[!-~]+$",
        length: 8..=WEBHOOK_URL_MAX,
        description: "An absolute https URL (http only outside production mode) of at most \
                      2000 characters; internal addresses are refused unless \
                      SHOUTOUT_WEBHOOKS_ALLOW_PRIVATE=true.",
        example: "https://hooks.example.com/shoutout",
    }
}

text_type! {
    /// A shout-out's message, a suggestion's text, a customer's praise.
    Message {
        check: |v| text::trimmed(v, text::MESSAGE_MAX),
        pattern: text::TEXT_PATTERN,
        length: 1..=text::MESSAGE_MAX,
        description: "1-1000 characters with at least one visible one (surrounding white space \
                      is trimmed); no control characters other than tab and line breaks, no \
                      text-direction overrides.",
        example: "Thank you for staying late to get the release out!",
    }
}

text_type! {
    /// Why a moderator turned something down.
    Reason {
        check: |v| text::trimmed(v, REASON_MAX),
        pattern: text::TEXT_PATTERN,
        length: 1..=REASON_MAX,
        description: "1-500 characters with at least one visible one (trimmed); no control \
                      characters other than tab and line breaks, no text-direction overrides.",
        example: "Names a customer's account number.",
    }
}

text_type! {
    /// The name of a person, team or campaign, or a job title.
    Name {
        check: |v| text::name(v, text::SHORT_TEXT_MAX),
        pattern: text::NAME_PATTERN,
        length: 1..=text::SHORT_TEXT_MAX,
        description: "1-200 characters with at least one visible one (trimmed); no control, \
                      zero-width or text-direction characters, so two names cannot look alike.",
        example: "Customer Care",
    }
}

text_type! {
    /// A widget key's name.
    KeyName {
        check: |v| text::name(v, KEY_NAME_MAX),
        pattern: text::NAME_PATTERN,
        length: 1..=KEY_NAME_MAX,
        description: "1-100 characters with at least one visible one (trimmed); no control, \
                      zero-width or text-direction characters.",
        example: "Intranet home page",
    }
}

text_type! {
    /// The identity provider's subject for a person: the `sub` of their tokens.
    ExternalId {
        check: |v| kept_if(
            text::is_external_id(v),
            v,
            "must be 1 to 200 characters without surrounding spaces or invisible characters",
        ),
        pattern: text::EXTERNAL_ID_PATTERN,
        length: 1..=text::EXTERNAL_ID_MAX,
        description: "1-200 characters, no surrounding white space, no NUL, zero-width or \
                      text-direction characters.",
        example: "alice",
    }
}

text_type! {
    /// An e-mail address, stored trimmed.
    Email {
        check: text::email_address,
        pattern: text::EMAIL_PATTERN,
        length: 3..=text::EMAIL_MAX,
        description: "An e-mail address (`name@example.com`), at most 320 characters; \
                      surrounding white space is trimmed.",
        example: "alice@example.com",
    }
}

text_type! {
    /// A praise link's handle: the last part of `/praise/{handle}`.
    Handle {
        check: |v| kept_if(text::is_handle(v), v, "must be a praise link's handle"),
        pattern: text::HANDLE_PATTERN,
        length: 1..=64,
        description: "A praise link's handle: 1-64 letters, digits, `-` or `_`.",
        example: "Qx3v9Lr0TzWm2Kd7Pp4Hs1",
    }
}

text_type! {
    /// A page origin an admin lists for a widget key: `https://host[:port]`, lower case.
    Origin {
        check: |v| origin::normalise_origin(v).map_err(str::to_owned),
        pattern: origin::ORIGIN_PATTERN,
        length: 1..=origin::ORIGIN_MAX,
        description: "A page origin: `https://` or `http://`, a host and maybe a port, no path \
                      (stored in lower case).",
        example: "https://intranet.example.com",
    }
}

text_type! {
    /// The name a customer may leave on the public form: nothing but white space means "not
    /// given" (see [`CustomerName::optional`]).
    CustomerName {
        check: |v| text::name(v, CUSTOMER_NAME_MAX),
        pattern: text::OPTIONAL_NAME_PATTERN,
        length: 0..=CUSTOMER_NAME_MAX,
        description: "Optional, at most 100 characters, shown with the praise; no control, \
                      zero-width or text-direction characters. Empty or only white space means \
                      not given.",
        example: "Jo from Leeds",
    }
}

text_type! {
    /// The address a customer may leave on the public form, seen only by moderators: nothing
    /// but white space means "not given" (see [`CustomerEmail::optional`]).
    CustomerEmail {
        check: |v| {
            if v.chars().count() > CUSTOMER_EMAIL_MAX {
                return Err(format!("must be at most {CUSTOMER_EMAIL_MAX} characters"));
            }
            text::email_address(v)
        },
        pattern: text::OPTIONAL_EMAIL_PATTERN,
        length: 0..=CUSTOMER_EMAIL_MAX,
        description: "Optional, at most 254 characters; seen only by moderators, erasable on \
                      request. Empty or only white space means not given.",
        example: "jo@example.net",
    }
}

impl CustomerName {
    /// The form's field as sent: `None` when absent or only white space, else checked.
    pub fn optional(value: Option<&str>) -> Result<Option<Self>, String> {
        text::optional(value, CUSTOMER_NAME_MAX).map(|name| name.map(Self))
    }
}

impl CustomerEmail {
    /// The form's field as sent: `None` when absent or only white space, else checked.
    pub fn optional(value: Option<&str>) -> Result<Option<Self>, String> {
        text::optional_email(value, CUSTOMER_EMAIL_MAX).map(|email| email.map(Self))
    }
}

/// A calendar day from 2000 to 2099 (campaigns), as the OpenAPI document states it: the `date`
/// format alone lets a client send years the service has no use for.
pub fn day_this_century() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Date,
        )))
        .pattern(Some(r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"))
        .min_length(Some(10))
        .max_length(Some(10))
        .examples([serde_json::Value::from("2026-10-05")])
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_states_the_rule_it_checks() {
        fn holds<T: PartialSchema>(parse: fn(&str) -> bool, samples: &[&str]) {
            let RefOr::T(Schema::Object(schema)) = T::schema() else {
                panic!("a string schema")
            };
            let pattern = regex::Regex::new(schema.pattern.as_deref().unwrap()).unwrap();
            let (min, max) = (schema.min_length.unwrap(), schema.max_length.unwrap());
            for sample in samples {
                let length = sample.chars().count();
                let stated = pattern.is_match(sample) && (min..=max).contains(&length);
                assert_eq!(parse(sample), stated, "{sample:?}");
            }
        }
        let samples = [
            "",
            " ",
            "a",
            " a ",
            "a\u{200b}b",
            "a\u{202e}b",
            "a\0b",
            "a@b.c",
            " a@b.co ",
            "https://Example.com:8443/",
            "http://x",
            "Qx3v9Lr0TzWm2Kd7Pp4Hs1",
            "a\tb\nc",
            &"x".repeat(101),
            &"x".repeat(201),
            &"é".repeat(1000),
            &"é".repeat(1001),
        ];
        holds::<Message>(|v| Message::parse(v).is_ok(), &samples);
        holds::<Reason>(|v| Reason::parse(v).is_ok(), &samples);
        holds::<Name>(|v| Name::parse(v).is_ok(), &samples);
        holds::<KeyName>(|v| KeyName::parse(v).is_ok(), &samples);
        holds::<SlackUserId>(|v| SlackUserId::parse(v).is_ok(), &samples);
        holds::<Description>(|v| Description::parse(v).is_ok(), &samples);
        holds::<WebhookUrl>(|v| WebhookUrl::parse(v).is_ok(), &samples);
        holds::<ExternalId>(|v| ExternalId::parse(v).is_ok(), &samples);
        holds::<Email>(|v| Email::parse(v).is_ok(), &samples);
        holds::<Handle>(|v| Handle::parse(v).is_ok(), &samples);
        holds::<Origin>(|v| Origin::parse(v).is_ok(), &samples);
        holds::<CustomerName>(|v| CustomerName::optional(Some(v)).is_ok(), &samples);
        holds::<CustomerEmail>(|v| CustomerEmail::optional(Some(v)).is_ok(), &samples);
    }

    #[test]
    fn keeps_the_stored_form() {
        assert_eq!(Message::parse("  thanks \n").unwrap().as_str(), "thanks");
        assert_eq!(Email::parse(" a@b.co ").unwrap().as_str(), "a@b.co");
        assert_eq!(
            Origin::parse("HTTPS://Intranet.Example.com/")
                .unwrap()
                .as_str(),
            "https://intranet.example.com"
        );
        assert_eq!(CustomerName::optional(Some("  ")).unwrap(), None);
        assert_eq!(CustomerEmail::optional(None).unwrap(), None);
    }

    #[test]
    fn a_bad_value_is_refused_while_it_is_read() {
        let error = serde_json::from_str::<Name>("\"a\\u200bb\"").unwrap_err();
        assert!(error.to_string().contains("invisible"), "{error}");
        let error = serde_json::from_str::<Message>("\"   \"").unwrap_err();
        assert!(error.to_string().contains("empty"), "{error}");
    }
}
