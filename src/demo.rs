//! Demo data for a first look: a few departments and teams, a few dozen people and a few hundred
//! shout-outs spread over the past year, a dozen given earlier today, and a campaign around
//! today, so that every board the demo page shows (this week, this month, this quarter, the
//! campaign) has lines on any day, the first of a year included. Loaded only into an empty directory; the same people and messages on every
//! machine (fixed random seed), placed relative to the moment it is loaded.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use diesel_async::AsyncConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::{NoContext, Timestamp, Uuid};

use crate::db::DbPool;
use crate::domain::{HeartValue, ShoutoutSource, ShoutoutStatus, Visibility};
use crate::models::campaigns::{self, NewCampaign};
use crate::models::employees::{self, EmployeeChanges, EmployeeFilter, NewEmployee};
use crate::models::praise::{self, NewPraise};
use crate::models::shoutouts::{self, NewShoutout};
use crate::models::teams::{self, NewTeam, TeamChanges};

/// The demo admin (also a manager of Customer Care) and an ordinary member of staff.
pub const ADMIN_SUBJECT: &str = "grace";
pub const STAFF_SUBJECT: &str = "alice";

/// (department, [(team, [(external_id, name, title)])])
type Org = &'static [(
    &'static str,
    &'static [(
        &'static str,
        &'static [(&'static str, &'static str, &'static str)],
    )],
)];

const ORG: Org = &[
    (
        "Customer Care",
        &[
            (
                "Tier 1 Support",
                &[
                    ("grace", "Grace Hopper", "Head of Customer Care"),
                    ("alice", "Alice Martin", "Support Agent"),
                    ("bob", "Bob Okafor", "Support Agent"),
                    ("chloe", "Chloé Dubois", "Support Agent"),
                    ("dev", "Dev Patel", "Support Agent"),
                    ("elena", "Elena Rossi", "Team Lead"),
                    ("farid", "Farid Haddad", "Support Agent"),
                ],
            ),
            (
                "Tier 2 Support",
                &[
                    ("gustav", "Gustav Lind", "Team Lead"),
                    ("hana", "Hana Sato", "Support Engineer"),
                    ("ivan", "Ivan Petrov", "Support Engineer"),
                    ("jade", "Jade Nguyen", "Support Engineer"),
                    ("kofi", "Kofi Mensah", "Support Engineer"),
                ],
            ),
            (
                "Billing",
                &[
                    ("lena", "Lena Schmidt", "Billing Lead"),
                    ("marco", "Marco Bianchi", "Billing Specialist"),
                    ("nadia", "Nadia Benali", "Billing Specialist"),
                    ("oscar", "Oscar Silva", "Billing Specialist"),
                ],
            ),
        ],
    ),
    (
        "Engineering",
        &[
            (
                "Platform",
                &[
                    ("priya", "Priya Raman", "Engineering Manager"),
                    ("quentin", "Quentin Moreau", "Site Reliability Engineer"),
                    ("rosa", "Rosa Jiménez", "Backend Engineer"),
                    ("sam", "Sam Taylor", "Backend Engineer"),
                    ("tomas", "Tomás García", "Database Engineer"),
                ],
            ),
            (
                "Mobile",
                &[
                    ("uma", "Uma Krishnan", "Engineering Manager"),
                    ("victor", "Victor Hugo", "iOS Engineer"),
                    ("wen", "Wen Li", "Android Engineer"),
                    ("xavier", "Xavier Dupont", "Designer"),
                ],
            ),
        ],
    ),
    (
        "Sales",
        &[
            (
                "Enterprise",
                &[
                    ("yara", "Yara Haddad", "Sales Director"),
                    ("zane", "Zane Cooper", "Account Executive"),
                    ("amara", "Amara Obi", "Account Executive"),
                    ("ben", "Ben Carter", "Solutions Consultant"),
                ],
            ),
            (
                "SMB",
                &[
                    ("carla", "Carla Mendes", "Sales Manager"),
                    ("diego", "Diego Alvarez", "Account Executive"),
                    ("emma", "Emma Wilson", "Account Executive"),
                    ("finn", "Finn O'Brien", "Sales Development Rep"),
                ],
            ),
        ],
    ),
];

const MESSAGES: &[(HeartValue, &[&str])] = &[
    (
        HeartValue::HelpingOthers,
        &[
            "Thanks for jumping in to cover my queue while I was out sick.",
            "You walked me through the new refund tool three times without a sigh. Thank you!",
            "Stayed late to help the new starters with their first tickets.",
        ],
    ),
    (
        HeartValue::ExceedingExpectations,
        &[
            "Turned a furious customer into a five-star review. Incredible work.",
            "Rewrote the whole knowledge-base article overnight, with screenshots.",
            "Shipped the fix a week early and documented it beautifully.",
        ],
    ),
    (
        HeartValue::AchievingGoals,
        &[
            "Hit the quarter's first-contact-resolution target a month early!",
            "Closed the biggest renewal of the year. Congratulations!",
            "The migration finished on schedule with zero downtime.",
        ],
    ),
    (
        HeartValue::RespondingWithCare,
        &[
            "The way you handled that bereavement call was kind and thoughtful.",
            "You noticed the customer was struggling and called them back yourself.",
            "Patient, clear and warm with a very confused caller. Thank you.",
        ],
    ),
    (
        HeartValue::ThrivingThroughTeamwork,
        &[
            "Pairing with you on the outage made a stressful night bearable.",
            "Great cross-team effort getting billing and support aligned.",
            "You kept everyone in the loop during the launch. Real teamwork.",
        ],
    ),
];

/// Customer praise the demo leaves waiting for moderation: the customer's name and address (if
/// they gave them; an address comes with their consent to one mail), value and message.
type CustomerPraise = (
    Option<&'static str>,
    Option<&'static str>,
    HeartValue,
    &'static str,
);
const CUSTOMER_PRAISE: &[CustomerPraise] = &[
    (
        Some("Maria G."),
        Some("maria.g@example.net"),
        HeartValue::RespondingWithCare,
        "Stayed on the phone until my order was sorted, and called back the next day to check.",
    ),
    (
        Some("Tom from Northwind"),
        None,
        HeartValue::ExceedingExpectations,
        "Had our replacement out the same afternoon. We did not expect that.",
    ),
    (
        None,
        None,
        HeartValue::HelpingOthers,
        "Patient and kind with my father, who does not like computers.",
    ),
];

/// The praise handle of the demo employee (`alice`), for the start-up banner.
pub async fn praise_handle(pool: &DbPool) -> anyhow::Result<Option<String>> {
    let mut conn = pool.get().await?;
    let Some(alice) = employees::find_by_external_id(&mut conn, STAFF_SUBJECT).await? else {
        return Ok(None);
    };
    Ok(crate::models::praise::handle_of(&mut conn, alice.id).await?)
}

/// The campaign the demo runs around the day it is loaded.
pub const DEMO_CAMPAIGN: &str = "Thank-you fortnight";

/// Shout-outs given "today" in the demo: enough for several people on every board.
const GIVEN_TODAY: usize = 12;

/// Loads the demo data as of `now`, with days cut in `timezone` (the organisation's), unless the
/// directory already has people in it.
pub async fn seed_if_empty(pool: &DbPool, now: DateTime<Utc>, timezone: Tz) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let existing = employees::search(
        &mut conn,
        &EmployeeFilter {
            limit: 1,
            ..Default::default()
        },
    )
    .await?;
    if !existing.is_empty() {
        return Ok(());
    }
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        // Demo history is not news: no webhook hears of it.
        crate::models::outbox::quiet_for_history(conn).await?;
        let mut rng = StdRng::seed_from_u64(2026);
        let mut people: Vec<Uuid> = Vec::new();
        for (department, department_teams) in ORG {
            let department_row = teams::insert(
                conn,
                &NewTeam {
                    id: Uuid::now_v7(),
                    name: (*department).to_owned(),
                    parent_id: None,
                    manager_id: None,
                    external_id: None,
                },
            )
            .await?;
            for (index, (team, members)) in department_teams.iter().enumerate() {
                let team_row = teams::insert(
                    conn,
                    &NewTeam {
                        id: Uuid::now_v7(),
                        name: (*team).to_owned(),
                        parent_id: Some(department_row.id),
                        manager_id: None,
                        external_id: None,
                    },
                )
                .await?;
                for (position, (external_id, name, title)) in members.iter().enumerate() {
                    let row = employees::insert(
                        conn,
                        &NewEmployee {
                            id: Uuid::now_v7(),
                            external_id: (*external_id).to_owned(),
                            display_name: (*name).to_owned(),
                            email: format!("{external_id}@example.com"),
                            team_id: Some(team_row.id),
                            title: Some((*title).to_owned()),
                            active: true,
                            slack_user_id: None,
                        },
                    )
                    .await?;
                    people.push(row.id);
                    // The first person of each team leads it; the first of a department's first
                    // team leads the department too.
                    if position == 0 {
                        teams::update(
                            conn,
                            team_row.id,
                            TeamChanges {
                                manager_id: Some(Some(row.id)),
                                ..Default::default()
                            },
                        )
                        .await?;
                        if index == 0 {
                            teams::update(
                                conn,
                                department_row.id,
                                TeamChanges {
                                    manager_id: Some(Some(row.id)),
                                    ..Default::default()
                                },
                            )
                            .await?;
                        }
                    }
                }
            }
        }
        // One leaver, to show that history outlives a departure.
        let leaver = people[people.len() - 1];

        // Today's shout-outs fall between local midnight and `now` (all at midnight when it is
        // midnight): inside this week, month, quarter and year, whichever day today is.
        let midnight = crate::domain::period::local_midnight(
            timezone,
            now.with_timezone(&timezone).date_naive(),
        );
        let mut moments: Vec<(DateTime<Utc>, bool)> = (0..420)
            .map(|_| {
                let minutes = rng.random_range(60..365 * 24 * 60);
                (now - Duration::minutes(minutes), false)
            })
            .collect();
        moments.extend((1..=GIVEN_TODAY as i32).map(|k| {
            let at = midnight + (now - midnight) * k / GIVEN_TODAY as i32;
            (at, true)
        }));
        let mut new = Vec::with_capacity(moments.len());
        let mut lines = Vec::new();
        let mut cheers = Vec::new();
        for (created_at, today) in moments {
            // Skew: some people give and receive far more than others. Today's thanks go to
            // anyone, so that many people and teams have a line on this week's boards.
            let giver = people[skewed(&mut rng, people.len())];
            let first = if today {
                rng.random_range(0..people.len())
            } else {
                skewed(&mut rng, people.len())
            };
            let mut recipients = vec![people[first]];
            if rng.random_bool(0.15) {
                recipients.push(people[rng.random_range(0..people.len())]);
            }
            recipients.retain(|&r| r != giver);
            recipients.dedup();
            if recipients.is_empty() {
                continue;
            }
            let (value, messages) = MESSAGES[skewed(&mut rng, MESSAGES.len())];
            let message = messages[rng.random_range(0..messages.len())];
            // Ids in the order the shout-outs were given, as an import makes them.
            let id = Uuid::new_v7(Timestamp::from_unix(
                NoContext,
                created_at.timestamp().max(0) as u64,
                created_at.timestamp_subsec_nanos(),
            ));
            new.push(NewShoutout {
                id,
                source: ShoutoutSource::Staff,
                giver_id: Some(giver),
                customer_name: None,
                value,
                message: message.to_owned(),
                status: ShoutoutStatus::Published,
                created_at,
                visibility: "public",
            });
            lines.extend(recipients.iter().map(|&r| (id, r, Some(giver))));
            for _ in 0..rng.random_range(0..4) {
                let fan = people[rng.random_range(0..people.len())];
                if fan != giver && !recipients.contains(&fan) && !cheers.contains(&(id, fan)) {
                    cheers.push((id, fan));
                }
            }
        }
        // In bulk: a few statements rather than a thousand, so a demo loads in a blink.
        shoutouts::insert_many(conn, &new, &lines).await?;
        shoutouts::add_cheers(conn, &cheers).await?;
        // Customer praise waiting for a moderator, so that the moderation queue (and whoever
        // tries it, the API fuzzer among them) has something to approve, reject or strip of its
        // address.
        // Five hours apart, the newest five hours old; to anyone but the leaver (the last), whose
        // praise could not be approved.
        for (k, (name, email, value, message)) in (1i64..).zip(CUSTOMER_PRAISE) {
            praise::insert(
                conn,
                &NewPraise {
                    id: Uuid::now_v7(),
                    employee_id: people[skewed(&mut rng, people.len() - 1)],
                    message: (*message).to_owned(),
                    value: *value,
                    value_suggested: false,
                    customer_name: name.map(str::to_owned),
                    customer_email: email.map(str::to_owned),
                    email_consent: email.is_some(),
                    received_at: now - Duration::hours(5 * k),
                    visibility: Visibility::Public,
                },
            )
            .await?;
        }
        // A campaign running now, so the demo page can show a campaign board.
        let today = now.with_timezone(&timezone).date_naive();
        campaigns::create(
            conn,
            &NewCampaign {
                id: Uuid::now_v7(),
                name: DEMO_CAMPAIGN.to_owned(),
                starts_on: today - chrono::Days::new(7),
                ends_on: today + chrono::Days::new(7),
            },
        )
        .await?;
        employees::update(
            conn,
            leaver,
            EmployeeChanges {
                active: Some(false),
                ..Default::default()
            },
        )
        .await?;
        Ok(())
    })
    .await?;
    tracing::info!("loaded demo data");
    Ok(())
}

/// An index in `0..len`, lower indices more likely (roughly a power law).
fn skewed(rng: &mut StdRng, len: usize) -> usize {
    let x: f64 = rng.random();
    ((x * x) * len as f64) as usize % len
}
