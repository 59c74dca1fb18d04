//! Who oversees which teams: the one rule behind manager reports, the moderation queue and
//! reading someone's praise link.
//!
//! The directory is the truth: an active employee who manages a team (`teams.manager_id`)
//! oversees that team and every team beneath it, whatever roles their token carries; the
//! `manager` role claim alone oversees nothing. Admins oversee everything.

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::Member;
use crate::models::teams;

/// The teams a caller oversees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Oversight {
    Everything,
    /// The teams they manage and everything beneath (never empty).
    Teams(Vec<Uuid>),
    Nothing,
}

impl Oversight {
    /// Whether a person in `team` (or the team itself) is within reach.
    pub fn covers(&self, team: Option<Uuid>) -> bool {
        match self {
            Self::Everything => true,
            Self::Teams(teams) => team.is_some_and(|t| teams.contains(&t)),
            Self::Nothing => false,
        }
    }

    /// The teams to limit a query to: `None` for everything.
    pub fn team_ids(self) -> Option<Vec<Uuid>> {
        match self {
            Self::Everything => None,
            Self::Teams(teams) => Some(teams),
            Self::Nothing => Some(Vec::new()),
        }
    }
}

/// What `member` oversees.
pub async fn oversight(
    conn: &mut AsyncPgConnection,
    member: &Member,
) -> diesel::QueryResult<Oversight> {
    if member.caller.is_admin() {
        return Ok(Oversight::Everything);
    }
    let Some(me) = &member.employee else {
        return Ok(Oversight::Nothing);
    };
    let managed = teams::managed_subtree(conn, me.id).await?;
    Ok(if managed.is_empty() {
        Oversight::Nothing
    } else {
        Oversight::Teams(managed)
    })
}
