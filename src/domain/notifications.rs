//! The mails the service sends, and the choices people make about them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A kind of mail. Each is its own template, its own switch in a person's preferences (but the
/// customer's, which is ticked per praise) and its own unsubscribe link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// To a person thanked, when the shout-out is published.
    Thanked,
    /// To their manager, a copy.
    ManagerCopy,
    /// To a moderator: customer praise waits.
    Moderation,
    /// To a moderator: customer praise has waited more than a working day.
    ModerationReminder,
    /// To a manager: the week of their team.
    Digest,
    /// To a customer who asked: their praise reached the person.
    CustomerThanks,
}

impl MailKind {
    pub const ALL: [MailKind; 6] = [
        Self::Thanked,
        Self::ManagerCopy,
        Self::Moderation,
        Self::ModerationReminder,
        Self::Digest,
        Self::CustomerThanks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Thanked => "thanked",
            Self::ManagerCopy => "manager_copy",
            Self::Moderation => "moderation",
            Self::ModerationReminder => "moderation_reminder",
            Self::Digest => "digest",
            Self::CustomerThanks => "customer_thanks",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The preference that switches this kind off: a reminder follows the moderation switch.
    pub fn preference(self) -> Preference {
        match self {
            Self::Thanked => Preference::Thanked,
            Self::ManagerCopy => Preference::ManagerCopies,
            Self::Moderation | Self::ModerationReminder => Preference::Moderation,
            Self::Digest => Preference::Digest,
            Self::CustomerThanks => Preference::CustomerThanks,
        }
    }
}

/// One switch in a person's preferences (and what an unsubscribe link turns off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preference {
    Thanked,
    ManagerCopies,
    Moderation,
    Digest,
    /// A customer's one mail: unsubscribing erases their address.
    CustomerThanks,
}

impl Preference {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Thanked => "thanked",
            Self::ManagerCopies => "manager_copies",
            Self::Moderation => "moderation",
            Self::Digest => "digest",
            Self::CustomerThanks => "customer_thanks",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Thanked,
            Self::ManagerCopies,
            Self::Moderation,
            Self::Digest,
            Self::CustomerThanks,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

/// The day a manager's weekly digest arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DigestDay {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl DigestDay {
    /// ISO number, as stored: Monday is 1.
    pub fn iso(self) -> i16 {
        self.weekday().number_from_monday() as i16
    }

    pub fn from_iso(n: i16) -> Option<Self> {
        use DigestDay::*;
        [
            Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
        ]
        .get(usize::try_from(n).ok()?.checked_sub(1)?)
        .copied()
    }

    pub fn weekday(self) -> chrono::Weekday {
        use chrono::Weekday;
        match self {
            Self::Monday => Weekday::Mon,
            Self::Tuesday => Weekday::Tue,
            Self::Wednesday => Weekday::Wed,
            Self::Thursday => Weekday::Thu,
            Self::Friday => Weekday::Fri,
            Self::Saturday => Weekday::Sat,
            Self::Sunday => Weekday::Sun,
        }
    }
}

/// A person's choices with the defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choices {
    pub thanked: bool,
    pub manager_copies: bool,
    pub moderation: bool,
    pub digest: bool,
    pub digest_day: DigestDay,
}

impl Choices {
    /// From what a person chose (`None`: never chose); managers' copies default to what the
    /// admin set, everything else to on, the digest to Monday.
    pub fn resolve(
        chosen: [Option<bool>; 4],
        digest_day: Option<i16>,
        manager_copies_default: bool,
    ) -> Self {
        let [thanked, manager_copies, moderation, digest] = chosen;
        Self {
            thanked: thanked.unwrap_or(true),
            manager_copies: manager_copies.unwrap_or(manager_copies_default),
            moderation: moderation.unwrap_or(true),
            digest: digest.unwrap_or(true),
            digest_day: digest_day
                .and_then(DigestDay::from_iso)
                .unwrap_or(DigestDay::Monday),
        }
    }

    pub fn allows(&self, preference: Preference) -> bool {
        match preference {
            Preference::Thanked => self.thanked,
            Preference::ManagerCopies => self.manager_copies,
            Preference::Moderation => self.moderation,
            Preference::Digest => self.digest,
            Preference::CustomerThanks => true,
        }
    }
}

/// The instant one working day (Monday to Friday) after `at`, in local time: Friday 16:00 is
/// followed by Monday 16:00, Saturday 10:00 by Monday 24:00 (a weekend's hours do not count).
pub fn one_working_day_after(at: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::{Datelike, Duration, Weekday};
    let mut start = at;
    // Time on a weekend counts from the next Monday's start.
    while matches!(start.weekday(), Weekday::Sat | Weekday::Sun) {
        start = (start.date() + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap();
    }
    let mut end = start + Duration::days(1);
    while matches!(end.weekday(), Weekday::Sat | Weekday::Sun) {
        end += Duration::days(1);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn a_working_day_skips_the_weekend() {
        // 2025-03-10 is a Monday.
        assert_eq!(
            one_working_day_after(at(2025, 3, 11, 9)),
            at(2025, 3, 12, 9)
        );
        assert_eq!(
            one_working_day_after(at(2025, 3, 14, 16)),
            at(2025, 3, 17, 16)
        );
        assert_eq!(
            one_working_day_after(at(2025, 3, 15, 10)),
            at(2025, 3, 18, 0)
        );
        assert_eq!(
            one_working_day_after(at(2025, 3, 16, 23)),
            at(2025, 3, 18, 0)
        );
    }

    #[test]
    fn digest_days_round_trip_through_their_iso_numbers() {
        for n in 1..=7 {
            assert_eq!(DigestDay::from_iso(n).unwrap().iso(), n);
        }
        assert_eq!(DigestDay::from_iso(0), None);
        assert_eq!(DigestDay::from_iso(8), None);
    }

    #[test]
    fn every_kind_parses_from_its_name() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
    }
}
