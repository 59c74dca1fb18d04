//! Hand-written SQL that is worth keeping prepared.
//!
//! diesel never caches a `sql_query` as a prepared statement (its text could be built from
//! anything), so each run costs a Parse/Describe round trip and a fresh parse before the
//! execute. The hottest reads (a board page walked off its ranking index) are assembled only
//! from fixed fragments, so their texts are a small, fixed set: [`Prepared`] lets the
//! connection keep them prepared, keyed by text, and each run is then one round trip.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A query whose SQL text is one of a fixed few (never built from input), marked safe to keep
/// prepared on each connection. Binds are sent as usual.
pub struct Prepared<Q>(pub Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

/// No static id: the statement cache keys these by their SQL text and bind types.
impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}
