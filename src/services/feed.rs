//! The feed: published shout-outs, newest first, filtered by person, team (and the teams
//! beneath it), value, source and time, a page at a time.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Member, oversight};
use crate::domain::{HeartValue, ShoutoutSource};
use crate::error::{ApiError, ApiResult};
use crate::models::shoutouts::{self, FeedFilter, PrivateAccess, ShoutoutDetails};
use crate::models::teams;

/// What a reader asks the feed for (the query string of `GET /api/v1/shoutouts`).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    pub recipient_id: Option<Uuid>,
    pub giver_id: Option<Uuid>,
    /// Shout-outs received by members of this team or any team beneath it.
    pub team_id: Option<Uuid>,
    pub value: Option<HeartValue>,
    pub source: Option<ShoutoutSource>,
    /// RFC 3339 instant (inclusive), e.g. `2026-10-05T00:00:00Z`.
    pub since: Option<DateTime<Utc>>,
    /// RFC 3339 instant (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// 1-100, default 20.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Which private shout-outs `member` may read (`None`: a widget key, which reads public ones).
pub async fn access(
    conn: &mut AsyncPgConnection,
    member: Option<&Member>,
) -> ApiResult<PrivateAccess> {
    let Some(member) = member else {
        return Ok(PrivateAccess::None);
    };
    if member.caller.is_admin() {
        return Ok(PrivateAccess::All);
    }
    let Some(employee) = &member.employee else {
        return Ok(PrivateAccess::None);
    };
    let managed_teams = oversight(conn, member)
        .await?
        .team_ids()
        .unwrap_or_default();
    Ok(PrivateAccess::Person {
        employee_id: employee.id,
        managed_teams,
    })
}

/// One page: at most `limit` shout-outs older than `before`, and whether more follow.
/// `wall`: a widget key reads (walls leave out people who chose to stay off them).
pub async fn page(
    conn: &mut AsyncPgConnection,
    access: PrivateAccess,
    wall: bool,
    feed: &FeedQuery,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: u32,
) -> ApiResult<(Vec<ShoutoutDetails>, bool)> {
    if let (Some(since), Some(until)) = (feed.since, feed.until)
        && since >= until
    {
        return Err(ApiError::invalid("until", "must be later than `since`"));
    }
    let team_ids = match feed.team_id {
        Some(team) => Some(teams::subtree_ids(conn, team).await?),
        None => None,
    };
    let filter = FeedFilter {
        recipient_id: feed.recipient_id,
        giver_id: feed.giver_id,
        team_ids,
        value: feed.value,
        source: feed.source,
        since: feed.since,
        until: feed.until,
        before,
        limit: i64::from(limit) + 1,
        wall,
        private: access,
    };
    let rows = shoutouts::feed(conn, &filter).await?;
    let has_more = rows.len() > limit as usize;
    let mut details = shoutouts::details(conn, rows).await?;
    details.truncate(limit as usize);
    Ok((details, has_more))
}
