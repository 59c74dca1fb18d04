//! Leaderboard periods: which calendar days a board covers, cut in the organisation's time
//! zone, and the tally buckets (and days) whose sum is exactly those days.
//!
//! A bucket number is `kind * 1_000_000 + days from 1900-01-01 to the period's first day`
//! (kind 2 ISO week, 3 month, 4 quarter, 5 year, 6 all time), campaigns are
//! `100_000_000 + bucket_no`. The SQL function `tally_bucket` in the leaderboards migration
//! computes the same numbers when it counts; a test pins the two together. Days (kind 1) have
//! no buckets: a span's odd days are counted from the shout-outs themselves ([`Tiles`]).

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

impl PeriodKind {
    /// Rolling and custom periods: spans of days that start and end anywhere, added up from
    /// several buckets and days (the others are one bucket each).
    pub fn is_span(self) -> bool {
        matches!(
            self,
            PeriodKind::Rolling7d
                | PeriodKind::Rolling30d
                | PeriodKind::Rolling365d
                | PeriodKind::Custom
        )
    }
}

/// The tally kinds, as numbered in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    /// The buckets to add up, each with its sign (+1 or -1), knowing that nothing is counted
    /// after `today` (every shout-out is stamped when it is given, and history is imported only
    /// up to now). Calendar periods, all time and campaigns are their one bucket; a span of days
    /// is the cheapest signed sum of buckets ([`signed_tile`]).
    pub fn buckets_through(&self, today: NaiveDate, density: Density) -> Vec<(i32, i32)> {
        let span = self.kind.is_span();
        match self.days {
            Some((from, to)) if span => signed_tile(from, to, today, density),
            _ => self.buckets().into_iter().map(|b| (b, 1)).collect(),
        }
    }

    /// What to add up for this period as of `today`: [`Period::buckets_through`], with its
    /// days (which have no tally buckets) set apart as runs of consecutive days.
    pub fn tiles_through(&self, today: NaiveDate, density: Density) -> Tiles {
        let mut tiles = Tiles::default();
        let mut days = std::collections::BTreeMap::new();
        for (b, sign) in self.buckets_through(today, density) {
            if b / 1_000_000 == Grain::Day as i32 {
                let day = epoch() + Days::new(u64::try_from(b % 1_000_000).expect("after 1900"));
                *days.entry(day).or_insert(0) += sign;
            } else {
                if sign > 0 {
                    let rows = match b / 1_000_000 {
                        2 => Some(Grain::Week),
                        3 => Some(Grain::Month),
                        4 => Some(Grain::Quarter),
                        5 => Some(Grain::Year),
                        _ => None,
                    }
                    .map_or(u64::MAX, |grain| {
                        let start =
                            epoch() + Days::new(u64::try_from(b % 1_000_000).expect("after 1900"));
                        cost(grain, start, today, density)
                    });
                    tiles.added_rows = tiles.added_rows.saturating_add(rows);
                }
                tiles.buckets.push((b, sign));
            }
        }
        for (day, sign) in days.into_iter().filter(|&(_, sign)| sign != 0) {
            match tiles.days.last_mut() {
                Some((_, last, s)) if *s == sign && *last + Days::new(1) == day => *last = day,
                _ => tiles.days.push((day, day, sign)),
            }
        }
        for &(first, last, sign) in &tiles.days {
            // Summing a span reads its days' rows too.
            if sign > 0 {
                let rows = rows_cost(density.day_rows((last - first).num_days() + 1));
                tiles.added_rows = tiles.added_rows.saturating_add(rows);
            }
            let mut day = first;
            while sign > 0 && day <= last {
                let bucket = bucket(Grain::Week, week_start(day));
                match tiles.day_weeks.iter_mut().find(|w| w.bucket == bucket) {
                    Some(week) => week.days.push(day),
                    None => tiles.day_weeks.push(DayWeek {
                        bucket,
                        days: vec![day],
                    }),
                }
                day = day + Days::new(1);
            }
        }
        tiles
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

/// What a board adds up: tally buckets, each with its sign, and runs of days (first, last,
/// sign), which are read from the shout-outs themselves. Days have no buckets (they would be
/// most of the tallies); a span only ever needs the few at its edges, and a day's raw rows
/// are about as many as its bucket's would be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tiles {
    pub buckets: Vec<(i32, i32)>,
    pub days: Vec<(NaiveDate, NaiveDate, i32)>,
    /// About how many rows the buckets and days added up hold, as the tiling weighed them with
    /// the density it was given (`u64::MAX` for a bucket it cannot weigh: all time, campaigns).
    /// Thanks falling at random spread over the most people, so a board where they
    /// concentrate holds fewer.
    pub added_rows: u64,
    /// The week buckets that hold the days added, with those days: what anyone counts in
    /// those days is at most what they count in these weeks, which are ranked, and at most
    /// the most anyone counted in each day (the threshold algorithm's bounds for the days,
    /// without adding them up).
    pub day_weeks: Vec<DayWeek>,
}

/// A week bucket and the days a span adds from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayWeek {
    pub bucket: i32,
    pub days: Vec<NaiveDate>,
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

/// How busy a board is: what reading a day of its raw rows and a bucket of its tallies costs.
/// A day is read from its shout-outs, a row per thanks (`per_day`); a bucket has a row per
/// subject thanked in it, so it grows with its days until it holds nearly all `subjects`:
/// with thanks falling at random, a bucket of `d` days holds about
/// `subjects * (1 - exp(-per_day * d / subjects))` rows. Giving is flat (a giver gives about
/// once a week), so a givers' week or month bucket has about as many rows as the shout-outs in
/// it and saves nothing over reading them; a company's recipients concentrate, and its teams
/// (a thousand rows at most) do so most of all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Density {
    pub per_day: f64,
    pub subjects: f64,
}

impl Density {
    /// The benchmark's 1M set for the recipients board (50,000 people, ~685 lines a day).
    pub const EXAMPLE: Density = Density {
        per_day: 685.0,
        subjects: 50_000.0,
    };

    fn bucket_rows(self, days: i64) -> f64 {
        let subjects = self.subjects.max(1.0);
        subjects * (1.0 - (-self.per_day.max(0.0) * days as f64 / subjects).exp())
    }

    fn day_rows(self, days: i64) -> f64 {
        self.per_day.max(0.0) * days as f64
    }
}

/// Rows as costs: whole rows, and never nothing (every piece is a statement's worth of work).
fn rows_cost(rows: f64) -> u64 {
    rows.ceil().max(1.0) as u64
}

/// What adding up one bucket costs: the rows it holds for the days it has had (a bucket
/// reaching into days still to come holds only those).
fn cost(grain: Grain, start: NaiveDate, today: NaiveDate, density: Density) -> u64 {
    let length = (next_start(grain, start) - start).num_days();
    let lived = ((today - start).num_days() + 1).clamp(1, length);
    rows_cost(density.bucket_rows(lived))
}

fn finer(grain: Grain) -> Option<Grain> {
    match grain {
        Grain::Day => None,
        Grain::Week => Some(Grain::Day),
        Grain::Month => Some(Grain::Week),
        Grain::Quarter => Some(Grain::Month),
        Grain::Year => Some(Grain::Quarter),
    }
}

/// A signed sum of buckets and what it costs to add up.
#[derive(Clone, Default)]
struct Tiling {
    cost: u64,
    buckets: Vec<(i32, i32)>,
}

impl Tiling {
    fn with(mut self, other: &Tiling, sign: i32) -> Self {
        self.cost += other.cost;
        self.buckets
            .extend(other.buckets.iter().map(|&(b, s)| (b, s * sign)));
        self
    }

    fn better(self, other: Tiling) -> Tiling {
        if (other.cost, other.buckets.len()) < (self.cost, self.buckets.len()) {
            other
        } else {
            self
        }
    }
}

/// The cheapest signed sum of day, week, month, quarter and year buckets that counts exactly
/// the days `from..=to` (days after `today` hold nothing, so a bucket may overhang into them).
/// A span may take whole buckets inside it, or a bucket around it minus what it lacks: the
/// 30 days to the 3rd of a month are last month minus its first three days plus three days,
/// not four weeks and some days. Which is cheaper is found by trying both at every grain,
/// remembering each piece once; [`cost`] says what a bucket costs.
pub fn signed_tile(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    density: Density,
) -> Vec<(i32, i32)> {
    let mut memo = std::collections::HashMap::new();
    cheapest(from, to.min(today), today, density, Grain::Year, &mut memo).buckets
}

fn cheapest(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    density: Density,
    grain: Grain,
    memo: &mut std::collections::HashMap<(NaiveDate, NaiveDate, Grain), Tiling>,
) -> Tiling {
    // Nothing to count: an empty span, or days still to come.
    let to = to.min(today);
    if from > to {
        return Tiling::default();
    }
    if let Some(known) = memo.get(&(from, to, grain)) {
        return known.clone();
    }
    let Some(finer_grain) = finer(grain) else {
        let days = (to - from).num_days() + 1;
        let tiling = Tiling {
            cost: rows_cost(density.day_rows(days)),
            buckets: from
                .iter_days()
                .take_while(|d| *d <= to)
                .map(|d| (bucket(Grain::Day, d), 1))
                .collect(),
        };
        memo.insert((from, to, grain), tiling.clone());
        return tiling;
    };
    let mut best = cheapest(from, to, today, density, finer_grain, memo);
    // Whole buckets of this grain inside the span (they may overhang into the empty future),
    // and the edges either side.
    let first = if grain_start(grain, from) == from {
        from
    } else {
        next_start(grain, grain_start(grain, from))
    };
    let mut inside = Tiling::default();
    let mut start = first;
    while start <= to && start <= last_day() {
        let end = next_start(grain, start) - Days::new(1);
        // A bucket may reach past the span only into days still to come.
        if end > to && to < today {
            break;
        }
        inside.cost += cost(grain, start, today, density);
        inside.buckets.push((bucket(grain, start), 1));
        start = next_start(grain, start);
    }
    if !inside.buckets.is_empty() {
        let left = cheapest(from, first - Days::new(1), today, density, grain, memo);
        let right = cheapest(start, to, today, density, grain, memo);
        best = best.better(inside.with(&left, 1).with(&right, 1));
    } else if from < first && first <= to {
        // No whole bucket inside, but a boundary: each side may be a bucket around it minus
        // what it lacks (the 30 days to 1 November are October minus its first two days, plus
        // 1 November; no bucket holds all of them but the quarter, which costs three months).
        let left = cheapest(from, first - Days::new(1), today, density, grain, memo);
        let right = cheapest(first, to, today, density, grain, memo);
        best = best.better(left.with(&right, 1));
    }
    // The bucket of this grain around the span, minus the days it has and the span lacks.
    let around = grain_start(grain, from);
    let around_end = next_start(grain, around) - Days::new(1);
    if around_end >= to && (around < from || around_end > to) && around_end <= last_day() {
        let whole = Tiling {
            cost: cost(grain, around, today, density),
            buckets: vec![(bucket(grain, around), 1)],
        };
        let before = cheapest(
            around,
            from - Days::new(1),
            today,
            density,
            finer_grain,
            memo,
        );
        let after = cheapest(
            to + Days::new(1),
            around_end,
            today,
            density,
            finer_grain,
            memo,
        );
        best = best.better(whole.with(&before, -1).with(&after, -1));
    }
    memo.insert((from, to, grain), best.clone());
    best
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

    /// A busy company: the benchmark's 10M set for recipients.
    const BUSY: Density = Density {
        per_day: 6_850.0,
        subjects: 50_000.0,
    };

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
    fn a_span_across_one_boundary_takes_the_bucket_on_each_side() {
        // The 30 days to Sunday 1 November: October minus its first two days, plus 1
        // November; not the fourth quarter minus November and December.
        let today = d(2026, 12, 5);
        let tiles =
            Period::rolling(PeriodKind::Rolling30d, 30, d(2026, 11, 1)).tiles_through(today, BUSY);
        assert_eq!(
            tiles.buckets,
            vec![(bucket(Grain::Month, d(2026, 10, 1)), 1)]
        );
        assert_eq!(
            tiles.days,
            vec![
                (d(2026, 10, 1), d(2026, 10, 2), -1),
                (d(2026, 11, 1), d(2026, 11, 1), 1)
            ]
        );
    }

    #[test]
    fn days_are_set_apart_as_runs() {
        let today = d(2026, 12, 3);
        // The 30 days to the 3rd: November minus its first three days, and December so far.
        let tiles = Period::rolling(PeriodKind::Rolling30d, 30, today).tiles_through(today, BUSY);
        let mut buckets = tiles.buckets.clone();
        buckets.sort_unstable();
        assert_eq!(
            buckets,
            vec![
                (bucket(Grain::Month, d(2026, 11, 1)), 1),
                (bucket(Grain::Month, d(2026, 12, 1)), 1)
            ]
        );
        assert_eq!(tiles.days, vec![(d(2026, 11, 1), d(2026, 11, 3), -1)]);
        // Days taken away need no bound: they only lower a sum.
        assert!(tiles.day_weeks.is_empty());
        // November whole, and the three days December has had.
        assert_eq!(
            tiles.added_rows,
            cost(Grain::Month, d(2026, 11, 1), today, BUSY)
                + cost(Grain::Month, d(2026, 12, 1), today, BUSY)
        );
        assert!(
            cost(Grain::Month, d(2026, 12, 1), today, BUSY)
                < cost(Grain::Month, d(2026, 11, 1), today, BUSY)
        );
        // Seven days from a Wednesday: only days, one run.
        let week = Period::custom(d(2026, 10, 7), d(2026, 10, 13)).tiles_through(today, BUSY);
        assert!(week.buckets.is_empty(), "{week:?}");
        assert_eq!(week.added_rows, rows_cost(BUSY.day_rows(7)));
        assert_eq!(week.days, vec![(d(2026, 10, 7), d(2026, 10, 13), 1)]);
        // Wednesday 7 to Tuesday 13 October: the weeks of Monday 5 and Monday 12.
        assert_eq!(
            week.day_weeks,
            vec![
                DayWeek {
                    bucket: bucket(Grain::Week, d(2026, 10, 5)),
                    days: (7..=11).map(|n| d(2026, 10, n)).collect(),
                },
                DayWeek {
                    bucket: bucket(Grain::Week, d(2026, 10, 12)),
                    days: vec![d(2026, 10, 12), d(2026, 10, 13)],
                }
            ]
        );
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

    /// The days a bucket covers.
    fn days_of(bucket_no: i32) -> (NaiveDate, NaiveDate) {
        let grain = match bucket_no / 1_000_000 {
            1 => Grain::Day,
            2 => Grain::Week,
            3 => Grain::Month,
            4 => Grain::Quarter,
            _ => Grain::Year,
        };
        let start = epoch() + Days::new((bucket_no % 1_000_000) as u64);
        (start, next_start(grain, start) - Days::new(1))
    }

    /// How often each day up to `today` is counted by signed buckets.
    fn counted(
        buckets: &[(i32, i32)],
        today: NaiveDate,
    ) -> std::collections::BTreeMap<NaiveDate, i32> {
        let mut days = std::collections::BTreeMap::new();
        for &(b, sign) in buckets {
            let (start, end) = days_of(b);
            for day in start.iter_days().take_while(|d| *d <= end.min(today)) {
                *days.entry(day).or_insert(0) += sign;
            }
        }
        days.retain(|_, n| *n != 0);
        days
    }

    /// Every span, ending before, on or after today, counts each of its days up to today once
    /// and nothing else, however its buckets are signed.
    #[test]
    fn signed_tilings_count_each_day_of_the_span_once() {
        let mut seed: u64 = 11;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let base = d(2024, 1, 1);
        for _ in 0..2_000 {
            let from = base + Days::new(next(1100));
            let to = from + Days::new(next(400));
            let today = base + Days::new(next(1500));
            // Quiet and busy boards, people and teams.
            let density = Density {
                per_day: [5.0, 700.0, 7_000.0][next(3) as usize],
                subjects: [1_000.0, 50_000.0][next(2) as usize],
            };
            let buckets = signed_tile(from, to, today, density);
            let expected: std::collections::BTreeMap<NaiveDate, i32> = from
                .iter_days()
                .take_while(|d| *d <= to.min(today))
                .map(|d| (d, 1))
                .collect();
            assert_eq!(
                counted(&buckets, today),
                expected,
                "{from}..{to} as of {today}: {buckets:?}"
            );
        }
    }

    #[test]
    fn spans_take_the_cheapest_buckets() {
        let today = d(2026, 12, 3);
        // Early in a month, 30 days to today: November minus its first three days, and the
        // three days of December (December overhangs into days still to come).
        let month = Period::rolling(PeriodKind::Rolling30d, 30, today).buckets_through(today, BUSY);
        assert!(
            month.contains(&(bucket(Grain::Month, d(2026, 11, 1)), 1)),
            "{month:?}"
        );
        assert!(
            month.contains(&(bucket(Grain::Month, d(2026, 12, 1)), 1)),
            "{month:?}"
        );
        assert_eq!(
            month.iter().filter(|(_, sign)| *sign < 0).count(),
            3,
            "{month:?}"
        );
        // A year to today: this year, and what the last one adds (December minus its first
        // three days).
        let year =
            Period::rolling(PeriodKind::Rolling365d, 365, today).buckets_through(today, BUSY);
        assert!(
            year.contains(&(bucket(Grain::Year, d(2026, 1, 1)), 1)),
            "{year:?}"
        );
        assert!(year.len() <= 6, "{year:?}");
        // Whole calendar spans stay one bucket; calendar periods and all time are their own.
        let whole = Period::custom(d(2025, 1, 1), d(2025, 12, 31)).buckets_through(today, BUSY);
        assert_eq!(whole, vec![(bucket(Grain::Year, d(2025, 1, 1)), 1)]);
        let calendar = Period::calendar(PeriodKind::Month, today).buckets_through(today, BUSY);
        assert_eq!(calendar, vec![(bucket(Grain::Month, d(2026, 12, 1)), 1)]);
        // The last day buckets exist for is never passed.
        let late =
            Period::custom(d(2099, 12, 1), d(2099, 12, 31)).buckets_through(d(2099, 12, 31), BUSY);
        assert_eq!(late, vec![(bucket(Grain::Month, d(2099, 12, 1)), 1)]);
    }
}
