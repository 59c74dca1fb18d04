//! The five H.E.A.R.T. values.

use actix_web::{HttpResponse, get};

use crate::domain::HeartValue;
use crate::domain::heart::HeartValueInfo;

/// The five H.E.A.R.T. values, in their fixed order. Public: the list is the same for everyone.
#[utoipa::path(
    tag = "values",
    responses((status = 200, description = "The five values, H, E, A, R, T", body = [HeartValueInfo]))
)]
#[get("/values")]
pub async fn list_values() -> HttpResponse {
    let values: Vec<HeartValueInfo> = HeartValue::ALL.iter().copied().map(Into::into).collect();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(values)
}
