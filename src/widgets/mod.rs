//! What intranet widgets need beyond the API itself: read-only widget keys, and the live
//! stream of newly published shout-outs fanned out from PostgreSQL to every open wall.

pub mod keys;
pub mod stream;
