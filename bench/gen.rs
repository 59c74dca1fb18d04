//! Writes a realistic company's recognition history as CSV files for `COPY`: teams three levels
//! deep, employees in them, and years of shout-outs skewed the way real ones are (a few people
//! and values far more popular than the rest, 10% from customers, a few percent retracted).
//!
//! `cargo run --release --example bench-gen -- OUT_DIR EMPLOYEES SHOUTOUTS [YEARS] [SEED]`
//!
//! Deterministic for a seed. Writes teams.csv, employees.csv, shoutouts.csv, recipients.csv,
//! and bench_people.csv (employee number -> id, for the pgbench script).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::{NoContext, Timestamp, Uuid};

const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jun", "Kofi", "Lena",
    "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Vera", "Wen",
    "Ximena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ivanova", "Jones",
    "Kim", "Lopez", "Mensah", "Nguyen", "Okafor", "Patel", "Quispe", "Rossi", "Silva", "Tanaka",
    "Usman", "Varga", "Walsh", "Xu", "Yilmaz", "Zhou",
];
const VALUES: &[(&str, f64)] = &[
    ("helping_others", 0.34),
    ("exceeding_expectations", 0.14),
    ("achieving_goals", 0.22),
    ("responding_with_care", 0.2),
    ("thriving_through_teamwork", 0.1),
];
const MESSAGES: &[&str] = &[
    "Thank you for covering my calls on Friday",
    "You stayed late to get the release out, thank you",
    "Thanks for walking the new starters through the queue",
    "The customer wrote back to say how kind you were",
    "Great teamwork on the migration weekend",
    "You hit the quarter's target with a week to spare",
];

/// Draws indexes with probability proportional to given weights (cumulative table).
struct Weighted(Vec<f64>);

impl Weighted {
    fn new(weights: impl Iterator<Item = f64>) -> Self {
        let mut total = 0.0;
        Self(
            weights
                .map(|w| {
                    total += w;
                    total
                })
                .collect(),
        )
    }

    fn pick(&self, rng: &mut StdRng) -> usize {
        let x = rng.random::<f64>() * self.0.last().copied().unwrap_or(1.0);
        self.0.partition_point(|&c| c < x).min(self.0.len() - 1)
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: bench-gen OUT_DIR EMPLOYEES SHOUTOUTS [YEARS] [SEED]");
        std::process::exit(2);
    }
    let out = Path::new(&args[1]);
    let employees: usize = args[2].parse().expect("EMPLOYEES");
    let shoutouts: usize = args[3].parse().expect("SHOUTOUTS");
    let years: i64 = args.get(4).map_or(5, |y| y.parse().expect("YEARS"));
    let seed: u64 = args.get(5).map_or(2026, |s| s.parse().expect("SEED"));
    std::fs::create_dir_all(out)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let created = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap();
    let stamp = created.format("%Y-%m-%dT%H:%M:%SZ").to_string();

    // Teams: 10 divisions x 10 departments x 10 teams.
    let mut teams = BufWriter::new(File::create(out.join("teams.csv"))?);
    let mut leaves = Vec::new();
    for d in 0..10 {
        let division = Uuid::from_u128(rng.random());
        writeln!(teams, "{division},Division {d},,,{stamp},{stamp}")?;
        for p in 0..10 {
            let department = Uuid::from_u128(rng.random());
            writeln!(
                teams,
                "{department},Department {d}.{p},{division},,{stamp},{stamp}"
            )?;
            for t in 0..10 {
                let team = Uuid::from_u128(rng.random());
                writeln!(
                    teams,
                    "{team},Team {d}.{p}.{t},{department},,{stamp},{stamp}"
                )?;
                leaves.push(team);
            }
        }
    }
    teams.flush()?;

    // Employees, in teams of uneven size.
    let team_sizes = Weighted::new((0..leaves.len()).map(|i| 0.5 + (i % 7) as f64 / 3.0));
    let mut people = BufWriter::new(File::create(out.join("employees.csv"))?);
    let mut numbers = BufWriter::new(File::create(out.join("bench_people.csv"))?);
    let mut ids = Vec::with_capacity(employees);
    let mut team_of = Vec::with_capacity(employees);
    for n in 0..employees {
        let id = Uuid::from_u128(rng.random());
        let team = leaves[team_sizes.pick(&mut rng)];
        let name = format!(
            "{} {} {n}",
            FIRST[rng.random_range(0..FIRST.len())],
            LAST[rng.random_range(0..LAST.len())]
        );
        let active = rng.random::<f64>() > 0.02;
        writeln!(
            people,
            "{id},e{n},{name},e{n}@example.com,{team},Agent,{active},{stamp},{stamp}"
        )?;
        writeln!(numbers, "{n},{id},e{n},{active}")?;
        ids.push(id);
        team_of.push(team);
    }
    people.flush()?;
    numbers.flush()?;

    // Popularity: a Zipf-like tail over a shuffled order, for receiving and for giving.
    let receive = Weighted::new((0..employees).map(|i| 1.0 / ((i % 5000) as f64 + 1.0).powf(0.8)));
    let give = Weighted::new((0..employees).map(|i| 1.0 / ((i * 7 % 3000) as f64 + 1.0).powf(0.5)));
    let values = Weighted::new(VALUES.iter().map(|v| v.1));

    let mut rows = BufWriter::with_capacity(1 << 20, File::create(out.join("shoutouts.csv"))?);
    let mut recipients =
        BufWriter::with_capacity(1 << 20, File::create(out.join("recipients.csv"))?);
    let span_secs = years * 365 * 86_400;
    let end = Utc::now() - Duration::hours(1);
    let start = end - Duration::seconds(span_secs);
    for i in 0..shoutouts {
        // Later years busier than earlier ones; office hours more than nights.
        let position = rng.random::<f64>().sqrt();
        let mut at: DateTime<Utc> = start + Duration::seconds((position * span_secs as f64) as i64);
        if rng.random::<f64>() < 0.7 {
            at = at
                .date_naive()
                .and_hms_opt(rng.random_range(8..18), rng.random_range(0..60), 0)
                .unwrap()
                .and_utc();
        }
        let at = at.min(end);
        let secs = at.timestamp() as u64;
        let id = Uuid::new_v7(Timestamp::from_unix(
            NoContext,
            secs,
            (i % 1_000_000) as u32,
        ));
        let customer = rng.random::<f64>() < 0.10;
        let giver = if customer {
            None
        } else {
            Some(give.pick(&mut rng))
        };
        let value = VALUES[values.pick(&mut rng)].0;
        let message = MESSAGES[rng.random_range(0..MESSAGES.len())];
        let retracted = rng.random::<f64>() < 0.03;
        let when = at.format("%Y-%m-%dT%H:%M:%SZ");
        let (status, retracted_at, retracted_by) = if retracted {
            ("retracted", when.to_string(), "admin")
        } else {
            ("published", String::new(), "")
        };
        let (source, giver_id, customer_name, giver_team) = match giver {
            Some(g) => ("staff", ids[g].to_string(), "", team_of[g].to_string()),
            None => ("customer", String::new(), "A customer", String::new()),
        };
        writeln!(
            rows,
            "{id},{source},{giver_id},{customer_name},{value},\"{message} #{i}\",{status},{when},{retracted_at},{retracted_by},{giver_team}"
        )?;
        let count = match rng.random::<f64>() {
            x if x < 0.85 => 1,
            x if x < 0.95 => 2,
            _ => rng.random_range(3..=5),
        };
        let mut chosen: Vec<usize> = Vec::with_capacity(count);
        while chosen.len() < count {
            let r = receive.pick(&mut rng);
            if Some(r) != giver && !chosen.contains(&r) {
                chosen.push(r);
            }
        }
        for r in chosen {
            writeln!(
                recipients,
                "{id},{},{giver_id},{},{when},{value},{source},{status}",
                ids[r], team_of[r]
            )?;
        }
    }
    rows.flush()?;
    recipients.flush()?;
    Ok(())
}
