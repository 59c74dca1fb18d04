//! Leaderboard periods: which calendar days a board covers, cut in the organisation's time
//! zone, and the tally buckets whose sum is exactly those days.
//!
//! A bucket number is `kind * 1_000_000 + days from 1900-01-01 to the period's first day`
//! (kind 1 day, 2 ISO week, 3 month, 4 quarter, 5 year, 6 all time), campaigns are
//! `100_000_000 + bucket_no`. The SQL function `tally_bucket` in the leaderboards migration
//! computes the same numbers when it counts; a test pins the two together.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which span of time a board covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// The ISO week (Monday to Sunday) holding `at`.
    Week,
    Month,
    Quarter,
    Year,
    AllTime,
    /// The 7 days ending on `at` (today by default), both included.
    #[serde(rename = "rolling_7d")]
    Rolling7d,
    #[serde(rename = "rolling_30d")]
    Rolling30d,
    #[serde(rename = "rolling_365d")]
    Rolling365d,
    /// `from` to `to`, both included.
    Custom,
    /// A campaign's dates (`campaign_id`).
    Campaign,
}

/// The tally kinds, as numbered in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Grain {
    Day = 1,
    Week = 2,
    Month = 3,
    Quarter = 4,
    Year = 5,
}

pub const ALL_TIME_BUCKET: i32 = 6_000_000;
const CAMPAIGN_BUCKET_BASE: i32 = 100_000_000;

/// The earliest and latest days a board may ask about.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date")
}
pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2099, 12, 31).expect("a valid date")
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date")
}

fn bucket(grain: Grain, start: NaiveDate) -> i32 {
    let days = i32::try_from((start - epoch()).num_days()).expect("dates before 2100");
    grain as i32 * 1_000_000 + days
}

pub fn campaign_bucket(bucket_no: i32) -> i32 {
    CAMPAIGN_BUCKET_BASE + bucket_no
}

pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Days::new(u64::from(day.weekday().num_days_from_monday()))
}

pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("day 1 exists")
}

pub fn quarter_start(day: NaiveDate) -> NaiveDate {
    let month = (day.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(day.year(), month, 1).expect("a quarter's first day")
}

pub fn year_start(day: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), 1, 1).expect("1 January")
}

/// The first day of the period of `grain` after the one starting on `start`.
fn next_start(grain: Grain, start: NaiveDate) -> NaiveDate {
    match grain {
        Grain::Day => start + Days::new(1),
        Grain::Week => start + Days::new(7),
        Grain::Month => start + Months::new(1),
        Grain::Quarter => start + Months::new(3),
        Grain::Year => start + Months::new(12),
    }
}

fn grain_start(grain: Grain, day: NaiveDate) -> NaiveDate {
    match grain {
        Grain::Day => day,
        Grain::Week => week_start(day),
        Grain::Month => month_start(day),
        Grain::Quarter => quarter_start(day),
        Grain::Year => year_start(day),
    }
}

/// A resolved period: its kind and its first and last local days (both included; `None` for
/// all time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub days: Option<(NaiveDate, NaiveDate)>,
    /// Set for campaigns: their own bucket.
    pub campaign_bucket: Option<i32>,
}

impl Period {
    /// A calendar period (week, month, quarter, year) holding `at`, or all time.
    pub fn calendar(kind: PeriodKind, at: NaiveDate) -> Self {
        let grain = match kind {
            PeriodKind::Week => Grain::Week,
            PeriodKind::Month => Grain::Month,
            PeriodKind::Quarter => Grain::Quarter,
            PeriodKind::Year => Grain::Year,
            _ => {
                return Self {
                    kind: PeriodKind::AllTime,
                    days: None,
                    campaign_bucket: None,
                };
            }
        };
        let start = grain_start(grain, at);
        let end = next_start(grain, start) - Days::new(1);
        Self {
            kind,
            days: Some((start, end)),
            campaign_bucket: None,
        }
    }

    /// The `length` days ending on `at`.
    pub fn rolling(kind: PeriodKind, length: u64, at: NaiveDate) -> Self {
        Self {
            kind,
            days: Some((at - Days::new(length - 1), at)),
            campaign_bucket: None,
        }
    }

    pub fn custom(from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            kind: PeriodKind::Custom,
            days: Some((from, to)),
            campaign_bucket: None,
        }
    }

    pub fn campaign(from: NaiveDate, to: NaiveDate, bucket_no: i32) -> Self {
        Self {
            kind: PeriodKind::Campaign,
            days: Some((from, to)),
            campaign_bucket: Some(campaign_bucket(bucket_no)),
        }
    }

    /// The tally buckets that add up to exactly this period: one for calendar periods, all
    /// time and campaigns; for any other span of days, the fewest whole years, quarters,
    /// months, weeks and days that tile it.
    pub fn buckets(&self) -> Vec<i32> {
        if let Some(bucket) = self.campaign_bucket {
            return vec![bucket];
        }
        match self.days {
            Some((from, to)) => tile(from, to),
            None => vec![ALL_TIME_BUCKET],
        }
    }

    /// The buckets to add up, knowing that nothing is counted after `today` (every shout-out
    /// is stamped when it is given, and history is imported only up to now). A span that
    /// reaches today may then overhang into the empty future up to the end of its last year,
    /// and so end in a few whole months, quarters and years rather than many weeks and days:
    /// `rolling_365d` adds up 8 buckets (a month and a year among them) instead of 17 (five
    /// months and quarters, three weeks).
    pub fn buckets_through(&self, today: NaiveDate) -> Vec<i32> {
        let span = matches!(
            self.kind,
            PeriodKind::Rolling7d
                | PeriodKind::Rolling30d
                | PeriodKind::Rolling365d
                | PeriodKind::Custom
        );
        match self.days {
            Some((from, to)) if span && to >= today => {
                // Overhanging to the end of the week, month, quarter or year may need fewer
                // buckets, or more (a week that starts mid-month tiles the rest of the year in
                // weeks): take whichever end needs fewest, the span itself on a tie.
                [Grain::Week, Grain::Month, Grain::Quarter, Grain::Year]
                    .into_iter()
                    .map(|g| (next_start(g, grain_start(g, to)) - Days::new(1)).min(last_day()))
                    .map(|end| tile(from, end))
                    .fold(
                        tile(from, to),
                        |best, t| if t.len() < best.len() { t } else { best },
                    )
            }
            _ => self.buckets(),
        }
    }

    /// The instants the period starts at and ends before, in UTC.
    pub fn instants(&self, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.days.map(|(from, to)| {
            (
                local_midnight(tz, from),
                local_midnight(tz, to + Days::new(1)),
            )
        })
    }
}

/// Whole buckets that tile `from..=to`, greedily from the left: at each day the largest grain
/// that starts there and ends by `to`.
fn tile(from: NaiveDate, to: NaiveDate) -> Vec<i32> {
    let mut buckets = Vec::new();
    let mut day = from;
    while day <= to {
        let grain = [
            Grain::Year,
            Grain::Quarter,
            Grain::Month,
            Grain::Week,
            Grain::Day,
        ]
        .into_iter()
        .find(|&g| grain_start(g, day) == day && next_start(g, day) - Days::new(1) <= to)
        .unwrap_or(Grain::Day);
        buckets.push(bucket(grain, day));
        day = next_start(grain, day);
    }
    buckets
}

/// The instant a local day begins. Where a zone skips midnight (a daylight-saving jump at
/// 00:00), the day begins at the first instant that exists.
pub fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let mut time = day.and_hms_opt(0, 0, 0).expect("midnight");
    for _ in 0..4 {
        if let Some(instant) = tz.from_local_datetime(&time).earliest() {
            return instant.with_timezone(&Utc);
        }
        time += chrono::Duration::minutes(30);
    }
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
}

/// Today in the organisation's zone.
pub fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn calendar_periods_hold_their_day() {
        let at = d(2026, 3, 31);
        assert_eq!(
            Period::calendar(PeriodKind::Week, at).days,
            Some((d(2026, 3, 30), d(2026, 4, 5)))
        );
        assert_eq!(
            Period::calendar(PeriodKind::Quarter, at).days,
            Some((d(2026, 1, 1), d(2026, 3, 31)))
        );
        assert_eq!(
            Period::calendar(PeriodKind::Year, d(2026, 12, 31)).days,
            Some((d(2026, 1, 1), d(2026, 12, 31)))
        );
        // ISO week 1 of 2026 starts on Monday 29 December 2025.
        assert_eq!(
            Period::calendar(PeriodKind::Week, d(2026, 1, 1)).days,
            Some((d(2025, 12, 29), d(2026, 1, 4)))
        );
    }

    #[test]
    fn spans_are_tiled_exactly_by_the_fewest_buckets() {
        let span = Period::custom(d(2025, 11, 24), d(2026, 11, 23));
        let buckets = span.buckets();
        // 24-30 Nov is a whole ISO week, then December, three quarters, October, 1 Nov (a
        // Sunday), three weeks, and 23 Nov.
        assert_eq!(buckets.len(), 11, "{buckets:?}");
        assert_eq!(buckets[0], bucket(Grain::Week, d(2025, 11, 24)));
        assert_eq!(buckets[1], bucket(Grain::Month, d(2025, 12, 1)));
        assert_eq!(buckets[2], bucket(Grain::Quarter, d(2026, 1, 1)));
        assert_eq!(
            *buckets.last().unwrap(),
            bucket(Grain::Day, d(2026, 11, 23))
        );
        let year = Period::custom(d(2025, 1, 1), d(2025, 12, 31)).buckets();
        assert_eq!(year, vec![bucket(Grain::Year, d(2025, 1, 1))]);
    }

    #[test]
    fn midnight_is_local() {
        let tz: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            local_midnight(tz, d(2026, 4, 1)).to_rfc3339(),
            "2026-04-01T04:00:00+00:00"
        );
        assert_eq!(
            local_midnight(tz, d(2026, 1, 1)).to_rfc3339(),
            "2026-01-01T05:00:00+00:00"
        );
        // Havana skips from 00:00 to 01:00 when daylight saving starts.
        let havana: Tz = "America/Havana".parse().unwrap();
        assert_eq!(
            local_midnight(havana, d(2026, 3, 8)).to_rfc3339(),
            "2026-03-08T05:00:00+00:00"
        );
    }

    #[test]
    fn spans_reaching_today_overhang_into_the_empty_future() {
        let today = d(2026, 11, 24);
        let year = Period::rolling(PeriodKind::Rolling365d, 365, today);
        assert_eq!(year.buckets().len(), 17);
        let through = year.buckets_through(today);
        assert_eq!(through.len(), 8);
        assert_eq!(through[6], bucket(Grain::Month, d(2025, 12, 1)));
        assert_eq!(through[7], bucket(Grain::Year, d(2026, 1, 1)));
        // Overhanging to the year's end would take 14 buckets for this week (five days, five
        // weeks, four days); the span itself takes 7, and overhanging to Sunday 6.
        let week = Period::rolling(PeriodKind::Rolling7d, 7, today);
        assert_eq!(week.buckets().len(), 7);
        let through = week.buckets_through(today);
        assert_eq!(through.len(), 6);
        assert_eq!(through[5], bucket(Grain::Week, d(2026, 11, 23)));
        // A span that ends before today is tiled exactly.
        let past = Period::rolling(PeriodKind::Rolling365d, 365, d(2026, 6, 30));
        assert_eq!(past.buckets_through(today), past.buckets());
        // Calendar periods stay one bucket.
        let month = Period::calendar(PeriodKind::Month, today);
        assert_eq!(month.buckets_through(today), month.buckets());
        assert_eq!(month.buckets().len(), 1);
        // The overhang never passes the last day buckets exist for.
        let late = Period::custom(d(2099, 12, 1), d(2099, 12, 31));
        assert_eq!(late.buckets_through(d(2099, 12, 31)), late.buckets());
    }
}
