//! Reading the leaderboards from `tallies` (kept exact by triggers; see the leaderboards
//! migration).
//!
//! Two ways to answer. A board of one bucket (a calendar period, all time, a campaign) with
//! every source or customers only is a short walk down a ranking index: the page's rows come
//! out already ordered, and only the first row of a later page needs a count for its rank.
//! Anything else (rolling and custom spans, which add up several buckets; staff only, which
//! is every source minus customers; teams per head) adds up the buckets' rows first and ranks
//! the sums.

use diesel::sql_types::{
    Array, BigInt, Bool, Double, Integer, Nullable, SmallInt, Text, Uuid as SqlUuid,
};
use diesel::{OptionalExtension, QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::HeartValue;

/// Which board, as numbered in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardKind {
    Recipients = 1,
    Givers = 2,
    Teams = 3,
}

/// Source rows as stored: every source, or customers only.
pub const SOURCE_ALL: i16 = 0;
pub const SOURCE_CUSTOMER: i16 = 2;

/// What to count and whom: one board, some buckets, signed sources, optional filters.
#[derive(Debug, Clone)]
pub struct BoardQuery {
    pub board: BoardKind,
    pub buckets: Vec<i32>,
    /// (source, sign): `[(0, 1)]` for every source, `[(2, 1)]` for customers, and
    /// `[(0, 1), (2, -1)]` for staff only.
    pub sources: Vec<(i16, i32)>,
    /// Count only this value.
    pub value: Option<HeartValue>,
    /// Only people currently in (or teams among) these teams.
    pub team_ids: Option<Vec<Uuid>>,
    /// Teams: rank by shout-outs per current active member.
    pub per_head: bool,
}

impl BoardQuery {
    fn is_single_index_walk(&self) -> bool {
        self.buckets.len() == 1
            && self.sources.len() == 1
            && self.sources[0].1 == 1
            && !self.per_head
    }

    /// The column that is counted. Only these fixed names are ever put into SQL text.
    fn column(&self) -> &'static str {
        match self.value {
            None => "total",
            Some(value) => value.code(),
        }
    }

    fn team_filter(&self, alias: &str, param: usize) -> String {
        match self.team_ids {
            Some(_) => format!(" AND {alias}.team_id = ANY(${param})"),
            None => String::new(),
        }
    }
}

/// Position in a board's order: (count, name, id). Counts are shout-outs, or per-head
/// shout-outs for teams per head.
#[derive(Debug, Clone, PartialEq)]
pub struct RankKey {
    pub count: f64,
    pub name: String,
    pub id: Uuid,
}

/// One ranked line of a board.
#[derive(Debug, Clone, QueryableByName)]
pub struct BoardRow {
    #[diesel(sql_type = SqlUuid)]
    pub subject_id: Uuid,
    #[diesel(sql_type = Text)]
    pub sort_name: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub team_id: Option<Uuid>,
    #[diesel(sql_type = Integer)]
    pub total: i32,
    #[diesel(sql_type = Integer)]
    pub helping_others: i32,
    #[diesel(sql_type = Integer)]
    pub exceeding_expectations: i32,
    #[diesel(sql_type = Integer)]
    pub achieving_goals: i32,
    #[diesel(sql_type = Integer)]
    pub responding_with_care: i32,
    #[diesel(sql_type = Integer)]
    pub thriving_through_teamwork: i32,
    /// Shout-outs counted: the total, or the filtered value's count.
    #[diesel(sql_type = Integer)]
    pub count: i32,
    /// What the board ranks by: the count, or the count per head.
    #[diesel(sql_type = Double)]
    pub score: f64,
    #[diesel(sql_type = BigInt)]
    pub rank: i64,
    /// For teams per head: current active members.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub members: Option<i64>,
    /// People: their title and whether they are still here; teams: their parent.
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub active: Option<bool>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub parent_id: Option<Uuid>,
}

impl BoardRow {
    pub fn key(&self) -> RankKey {
        RankKey {
            count: self.score,
            name: self.sort_name.clone(),
            id: self.subject_id,
        }
    }
}

const VALUE_COLUMNS: &str = "helping_others, exceeding_expectations, achieving_goals, \
    responding_with_care, thriving_through_teamwork";

/// Who a row is about, for the answer: people's titles and status, teams' parents.
fn subject_join(board: BoardKind, alias: &str) -> String {
    match board {
        BoardKind::Teams => format!(
            "NULL::text AS title, NULL::boolean AS active, tm.parent_id \
             FROM {alias} LEFT JOIN teams tm ON tm.id = {alias}.subject_id"
        ),
        _ => format!(
            "e.title, e.active, NULL::uuid AS parent_id \
             FROM {alias} LEFT JOIN employees e ON e.id = {alias}.subject_id"
        ),
    }
}

/// A page of a board: up to `limit` rows after `after` (or from the top).
pub async fn page(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    after: Option<&RankKey>,
    limit: i64,
) -> QueryResult<Vec<BoardRow>> {
    if query.is_single_index_walk() {
        walk_page(conn, query, after, limit).await
    } else {
        summed_page(conn, query, after, limit).await
    }
}

/// The fast path: rows straight off a ranking index, ranked from their position.
async fn walk_page(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    after: Option<&RankKey>,
    limit: i64,
) -> QueryResult<Vec<BoardRow>> {
    let col = query.column();
    let team_filter = query.team_filter("t", 4);
    let keyset = if after.is_some() {
        format!(" AND (t.{col} < $5 OR (t.{col} = $5 AND (t.sort_name, t.subject_id) > ($6, $7)))")
    } else {
        String::new()
    };
    let sql = format!(
        "WITH page AS ( \
             SELECT t.subject_id, t.sort_name, t.team_id, t.total, {VALUE_COLUMNS}, \
                    t.{col} AS count, t.{col}::float8 AS score, 0::int8 AS rank, NULL::int8 AS members \
             FROM tallies t \
             WHERE t.board = $1 AND t.bucket = $2 AND t.source = $3 AND t.{col} > 0{team_filter}{keyset} \
             ORDER BY t.{col} DESC, t.sort_name, t.subject_id \
             LIMIT $8 \
         ) SELECT page.*, {join} ORDER BY page.score DESC, page.sort_name, page.subject_id",
        join = subject_join(query.board, "page"),
    );
    let (count, name, id) = after
        .map(|k| (k.count as i32, k.name.clone(), k.id))
        .unwrap_or((0, String::new(), Uuid::nil()));
    let mut rows: Vec<BoardRow> = diesel::sql_query(sql)
        .bind::<SmallInt, _>(query.board as i16)
        .bind::<Integer, _>(query.buckets[0])
        .bind::<SmallInt, _>(query.sources[0].0)
        .bind::<Array<SqlUuid>, _>(query.team_ids.clone().unwrap_or_default())
        .bind::<Integer, _>(count)
        .bind::<Text, _>(name)
        .bind::<SqlUuid, _>(id)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?;
    let Some(first) = <[BoardRow]>::first(&rows) else {
        return Ok(rows);
    };
    // Ranks: 1 + how many rank strictly above. Within the page that follows from positions;
    // the first row of a later page needs to know how many come before it.
    let (above, before) = if after.is_some() {
        count_above(conn, query, &first.key()).await?
    } else {
        (0, 0)
    };
    let mut rank = above + 1;
    let mut previous: Option<f64> = None;
    for (offset, row) in rows.iter_mut().enumerate() {
        if previous.is_some_and(|p| p != row.score) {
            rank = before + offset as i64 + 1;
        }
        previous = Some(row.score);
        row.rank = rank;
    }
    Ok(rows)
}

/// How many rows rank strictly above `key`'s count, and how many come before it in order.
async fn count_above(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    key: &RankKey,
) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        above: i64,
        #[diesel(sql_type = BigInt)]
        before: i64,
    }
    let col = query.column();
    let team_filter = query.team_filter("t", 4);
    let sql = format!(
        "SELECT count(*) FILTER (WHERE t.{col} > $5) AS above, count(*) AS before \
         FROM tallies t \
         WHERE t.board = $1 AND t.bucket = $2 AND t.source = $3 AND t.{col} > 0{team_filter} \
           AND (t.{col} > $5 OR (t.{col} = $5 AND (t.sort_name, t.subject_id) < ($6, $7)))"
    );
    let counts: Counts = diesel::sql_query(sql)
        .bind::<SmallInt, _>(query.board as i16)
        .bind::<Integer, _>(query.buckets[0])
        .bind::<SmallInt, _>(query.sources[0].0)
        .bind::<Array<SqlUuid>, _>(query.team_ids.clone().unwrap_or_default())
        .bind::<Integer, _>(key.count as i32)
        .bind::<Text, _>(key.name.clone())
        .bind::<SqlUuid, _>(key.id)
        .get_result(conn)
        .await?;
    Ok((counts.above, counts.before))
}

/// The summing path: every subject's sum over the buckets and signed sources, ranked.
fn summed_sql(query: &BoardQuery, tail: &str) -> String {
    summed_sql_for(query, tail, "")
}

/// `subjects`: an extra condition on the summed rows (e.g. only some subjects).
fn summed_sql_for(query: &BoardQuery, tail: &str, subjects: &str) -> String {
    let col = query.column();
    let team_filter = query.team_filter("t", 4);
    let (members_join, members, score) = if query.per_head {
        (
            " JOIN (SELECT team_id, count(*) AS members FROM employees \
                    WHERE active AND team_id IS NOT NULL GROUP BY team_id) m \
                  ON m.team_id = s.subject_id",
            "m.members",
            format!("s.{col}::float8 / m.members"),
        )
    } else {
        ("", "NULL::int8", format!("s.{col}::float8"))
    };
    format!(
        "WITH sums AS ( \
             SELECT t.subject_id, min(t.sort_name) AS sort_name, \
                    (array_agg(t.team_id))[1] AS team_id, \
                    sum(x.sign * t.total)::int4 AS total, \
                    sum(x.sign * t.helping_others)::int4 AS helping_others, \
                    sum(x.sign * t.exceeding_expectations)::int4 AS exceeding_expectations, \
                    sum(x.sign * t.achieving_goals)::int4 AS achieving_goals, \
                    sum(x.sign * t.responding_with_care)::int4 AS responding_with_care, \
                    sum(x.sign * t.thriving_through_teamwork)::int4 AS thriving_through_teamwork \
             FROM tallies t \
             JOIN unnest($2::int2[], $3::int4[]) AS x (source, sign) ON x.source = t.source \
             WHERE t.board = $1 AND t.bucket = ANY($5){team_filter}{subjects} \
             GROUP BY t.subject_id \
         ), ranked AS ( \
             SELECT s.*, s.{col} AS count, {score} AS score, {members} AS members, \
                    rank() OVER (ORDER BY {score} DESC) AS rank, \
                    row_number() OVER (ORDER BY {score} DESC, s.sort_name, s.subject_id) AS position \
             FROM sums s{members_join} \
             WHERE s.{col} > 0 \
         ), chosen AS (SELECT * FROM ranked {tail}) \
         SELECT chosen.subject_id, chosen.sort_name, chosen.team_id, chosen.total, \
                chosen.helping_others, chosen.exceeding_expectations, chosen.achieving_goals, \
                chosen.responding_with_care, chosen.thriving_through_teamwork, chosen.count, chosen.score, \
                chosen.rank, chosen.members, {join} \
         ORDER BY chosen.position",
        join = subject_join(query.board, "chosen"),
    )
}

fn bind_summed(
    query: &BoardQuery,
    sql: String,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>
{
    let (sources, signs): (Vec<i16>, Vec<i32>) = query.sources.iter().copied().unzip();
    diesel::sql_query(sql)
        .into_boxed()
        .bind::<SmallInt, _>(query.board as i16)
        .bind::<Array<SmallInt>, _>(sources)
        .bind::<Array<Integer>, _>(signs)
        .bind::<Array<SqlUuid>, _>(query.team_ids.clone().unwrap_or_default())
        .bind::<Array<Integer>, _>(query.buckets.clone())
}

async fn summed_page(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    after: Option<&RankKey>,
    limit: i64,
) -> QueryResult<Vec<BoardRow>> {
    if after.is_none()
        && !query.per_head
        && let Some(rows) = top_by_threshold(conn, query, limit).await?
    {
        return Ok(rows);
    }
    let tail = if after.is_some() {
        "WHERE score < $6 OR (score = $6 AND (sort_name, subject_id) > ($7, $8)) \
         ORDER BY position LIMIT $9"
    } else {
        "WHERE $6 IS NULL AND $7 IS NULL AND $8 IS NULL ORDER BY position LIMIT $9"
    };
    let (count, name, id) = after
        .map(|k| (Some(k.count), Some(k.name.clone()), Some(k.id)))
        .unwrap_or((None, None, None));
    bind_summed(query, summed_sql(query, tail))
        .bind::<Nullable<Double>, _>(count)
        .bind::<Nullable<Text>, _>(name)
        .bind::<Nullable<SqlUuid>, _>(id)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await
}

/// The first `limit` lines of a board that adds up several buckets, without adding up every
/// subject: Fagin's threshold algorithm over the buckets' ranking indexes. Read the top `depth`
/// of every bucket; anyone not yet seen has at most, in each bucket, the last count read there,
/// so at most their sum (the threshold). Once the `limit`-th best exact sum among those seen is
/// above the threshold, nobody unseen can reach the page (or tie with it), and ranks among
/// those seen are exact. Staff-only boards read the every-source lists, an upper bound.
/// Gives up (None) when the lists are too flat to stop early; the caller then sums everything.
async fn top_by_threshold(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    limit: i64,
) -> QueryResult<Option<Vec<BoardRow>>> {
    #[derive(QueryableByName)]
    struct Head {
        #[diesel(sql_type = Integer)]
        bucket: i32,
        #[diesel(sql_type = SqlUuid)]
        subject_id: Uuid,
        #[diesel(sql_type = Integer)]
        score: i32,
    }
    let col = query.column();
    let team_filter = query.team_filter("t", 4);
    // The list that bounds every sum from above: every source, or customers only.
    let bound_source =
        if query.sources.iter().any(|&(s, _)| s == SOURCE_CUSTOMER) && query.sources.len() == 1 {
            SOURCE_CUSTOMER
        } else {
            SOURCE_ALL
        };
    let heads_sql = format!(
        "SELECT l.bucket, l.subject_id, l.score FROM unnest($2::int4[]) AS b (bucket) \
         CROSS JOIN LATERAL ( \
             SELECT b.bucket, t.subject_id, t.{col} AS score FROM tallies t \
             WHERE t.board = $1 AND t.bucket = b.bucket AND t.source = $3 \
               AND t.{col} > 0{team_filter} \
             ORDER BY t.{col} DESC, t.sort_name, t.subject_id LIMIT $5 \
         ) l"
    );
    let exact_sql = summed_sql_for(query, "ORDER BY position", " AND t.subject_id = ANY($6)");
    // Two reads at most: where the first does not settle, the lists are flat (many equal
    // counts) and summing everything is cheaper than reading deeper.
    let first_depth = (4 * limit).max(64);
    let mut depth = first_depth;
    while depth <= first_depth * 8 {
        let heads: Vec<Head> = diesel::sql_query(&heads_sql)
            .bind::<SmallInt, _>(query.board as i16)
            .bind::<Array<Integer>, _>(query.buckets.clone())
            .bind::<SmallInt, _>(bound_source)
            .bind::<Array<SqlUuid>, _>(query.team_ids.clone().unwrap_or_default())
            .bind::<BigInt, _>(depth)
            .load(conn)
            .await?;
        let mut threshold = 0i64;
        let mut candidates: Vec<Uuid> = Vec::new();
        for &bucket in &query.buckets {
            let mut read = 0;
            let mut last = 0;
            for head in heads.iter().filter(|h| h.bucket == bucket) {
                read += 1;
                last = head.score;
                candidates.push(head.subject_id);
            }
            // A list read to its end bounds the unseen by nothing.
            if read == depth {
                threshold += i64::from(last);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let rows: Vec<BoardRow> = bind_summed(query, exact_sql.clone())
            .bind::<Array<SqlUuid>, _>(candidates)
            .load(conn)
            .await?;
        let settled = match rows.get(limit as usize - 1) {
            Some(last_on_page) => last_on_page.score > threshold as f64,
            None => threshold == 0,
        };
        if settled {
            let mut rows = rows;
            rows.truncate(limit as usize);
            return Ok(Some(rows));
        }
        depth *= 8;
    }
    Ok(None)
}

/// One subject's line and up to `neighbours` lines either side; empty when the subject has
/// nothing in the period.
pub async fn around(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    subject_id: Uuid,
    neighbours: i64,
) -> QueryResult<Vec<BoardRow>> {
    if !query.is_single_index_walk() {
        let tail =
            "WHERE abs(position - (SELECT position FROM ranked WHERE subject_id = $6)) <= $7";
        return bind_summed(query, summed_sql(query, tail))
            .bind::<SqlUuid, _>(subject_id)
            .bind::<BigInt, _>(neighbours)
            .load(conn)
            .await;
    }
    // Walk up and down the ranking index from the subject's own row.
    #[derive(QueryableByName)]
    struct Own {
        #[diesel(sql_type = Integer)]
        count: i32,
        #[diesel(sql_type = Text)]
        sort_name: String,
    }
    let col = query.column();
    let team_filter = query.team_filter("t", 4);
    let own: Option<Own> = diesel::sql_query(format!(
        "SELECT t.{col} AS count, t.sort_name FROM tallies t \
         WHERE t.board = $1 AND t.bucket = $2 AND t.source = $3 AND t.subject_id = $5 \
           AND t.{col} > 0{team_filter}"
    ))
    .bind::<SmallInt, _>(query.board as i16)
    .bind::<Integer, _>(query.buckets[0])
    .bind::<SmallInt, _>(query.sources[0].0)
    .bind::<Array<SqlUuid>, _>(query.team_ids.clone().unwrap_or_default())
    .bind::<SqlUuid, _>(subject_id)
    .get_result(conn)
    .await
    .optional()?;
    let Some(own) = own else {
        return Ok(Vec::new());
    };
    let own_key = RankKey {
        count: f64::from(own.count),
        name: own.sort_name,
        id: subject_id,
    };
    // The rows just above, nearest first, then the page that starts with the subject.
    let above_sql = format!(
        "WITH up AS ( \
             SELECT t.subject_id, t.sort_name, t.team_id, t.total, {VALUE_COLUMNS}, \
                    t.{col} AS count, t.{col}::float8 AS score, 0::int8 AS rank, NULL::int8 AS members \
             FROM tallies t \
             WHERE t.board = $1 AND t.bucket = $2 AND t.source = $3 AND t.{col} > 0{team_filter} \
               AND (t.{col} > $5 OR (t.{col} = $5 AND (t.sort_name, t.subject_id) < ($6, $7))) \
             ORDER BY t.{col}, t.sort_name DESC, t.subject_id DESC \
             LIMIT $8 \
         ) SELECT up.*, {join} ORDER BY up.score DESC, up.sort_name, up.subject_id",
        join = subject_join(query.board, "up"),
    );
    let above: Vec<BoardRow> = diesel::sql_query(above_sql)
        .bind::<SmallInt, _>(query.board as i16)
        .bind::<Integer, _>(query.buckets[0])
        .bind::<SmallInt, _>(query.sources[0].0)
        .bind::<Array<SqlUuid>, _>(query.team_ids.clone().unwrap_or_default())
        .bind::<Integer, _>(own.count)
        .bind::<Text, _>(own_key.name.clone())
        .bind::<SqlUuid, _>(subject_id)
        .bind::<BigInt, _>(neighbours)
        .load(conn)
        .await?;
    // Read again from the topmost neighbour down, so that ranks come out of one numbered walk.
    let start = <[BoardRow]>::first(&above)
        .map(BoardRow::key)
        .unwrap_or(own_key);
    let (rank_above, position) = count_above(conn, query, &start).await?;
    let mut rows = walk_from(conn, query, &start, above.len() as i64 + 1 + neighbours).await?;
    let mut rank = rank_above + 1;
    let mut previous: Option<f64> = None;
    for (offset, row) in rows.iter_mut().enumerate() {
        if previous.is_some_and(|p| p != row.score) {
            rank = position + offset as i64 + 1;
        }
        previous = Some(row.score);
        row.rank = rank;
    }
    Ok(rows)
}

/// Rows from `start` (included) down the board.
async fn walk_from(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    start: &RankKey,
    limit: i64,
) -> QueryResult<Vec<BoardRow>> {
    let col = query.column();
    let team_filter = query.team_filter("t", 4);
    let sql = format!(
        "WITH page AS ( \
             SELECT t.subject_id, t.sort_name, t.team_id, t.total, {VALUE_COLUMNS}, \
                    t.{col} AS count, t.{col}::float8 AS score, 0::int8 AS rank, NULL::int8 AS members \
             FROM tallies t \
             WHERE t.board = $1 AND t.bucket = $2 AND t.source = $3 AND t.{col} > 0{team_filter} \
               AND (t.{col} < $5 OR (t.{col} = $5 AND (t.sort_name, t.subject_id) >= ($6, $7))) \
             ORDER BY t.{col} DESC, t.sort_name, t.subject_id \
             LIMIT $8 \
         ) SELECT page.*, {join} ORDER BY page.score DESC, page.sort_name, page.subject_id",
        join = subject_join(query.board, "page"),
    );
    diesel::sql_query(sql)
        .bind::<SmallInt, _>(query.board as i16)
        .bind::<Integer, _>(query.buckets[0])
        .bind::<SmallInt, _>(query.sources[0].0)
        .bind::<Array<SqlUuid>, _>(query.team_ids.clone().unwrap_or_default())
        .bind::<Integer, _>(start.count as i32)
        .bind::<Text, _>(start.name.clone())
        .bind::<SqlUuid, _>(start.id)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await
}
