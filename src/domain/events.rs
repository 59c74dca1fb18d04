//! The one vocabulary of recognition events (webhooks, and later e-mail), and the forms a
//! webhook delivery can take.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Something that happened, as receivers are told.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum EventType {
    /// A staff shout-out given, or customer praise approved.
    #[serde(rename = "shoutout.published")]
    ShoutoutPublished,
    #[serde(rename = "shoutout.retracted")]
    ShoutoutRetracted,
    /// A colleague added a +1.
    #[serde(rename = "shoutout.cheered")]
    ShoutoutCheered,
    /// Customer praise waits for a moderator.
    #[serde(rename = "praise.pending")]
    PraisePending,
    #[serde(rename = "praise.rejected")]
    PraiseRejected,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        Self::ShoutoutPublished,
        Self::ShoutoutRetracted,
        Self::ShoutoutCheered,
        Self::PraisePending,
        Self::PraiseRejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ShoutoutPublished => "shoutout.published",
            Self::ShoutoutRetracted => "shoutout.retracted",
            Self::ShoutoutCheered => "shoutout.cheered",
            Self::PraisePending => "praise.pending",
            Self::PraiseRejected => "praise.rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Whether a channel (Slack, Teams) may carry it: only what everyone may already see.
    pub fn fit_for_channels(self) -> bool {
        matches!(self, Self::ShoutoutPublished | Self::ShoutoutCheered)
    }
}

/// The type of the test message `POST /webhooks/{id}/ping` sends.
pub const PING: &str = "webhook.ping";

/// How a delivery is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// The Standard Webhooks specification: `{type, timestamp, data}`, signed.
    Standard,
    /// A Slack incoming webhook: a Block Kit message.
    Slack,
    /// A Microsoft Teams Workflows webhook: an Adaptive Card.
    Teams,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Slack => "slack",
            Self::Teams => "teams",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Standard, Self::Slack, Self::Teams]
            .into_iter()
            .find(|f| f.as_str() == text)
    }

    pub fn is_channel(self) -> bool {
        self != Self::Standard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(EventType::parse("shoutout.deleted"), None);
    }
}
