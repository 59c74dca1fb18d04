//! Moving from another tool over HTTP: the history import (`services::history` holds its rules).

use actix_web::{HttpRequest, post, web};

use super::employees::read_import_rows;
use crate::auth::Admin;
use crate::error::ApiResult;
use crate::services::history::{self, HistoryReport, ImportShoutout};
use crate::state::AppState;

/// Imports past shout-outs (admins), all or nothing, and idempotent.
///
/// Every row is checked first (dates, giver or customer, recipients that exist, no thanking
/// oneself, value, message); if any is wrong nothing is written and every wrong row is named
/// as `[index].field`. Imported shout-outs are published, keep their dates, and count on the
/// boards of the periods they fall in. Leavers may appear: history is history. The daily
/// limit does not apply. Importing the same rows again creates nothing (`already_imported`
/// counts them); two identical imports at once create each row once. An import has its own
/// time budget (`SHOUTOUT_IMPORT_TIMEOUT_SECS`), not the per-request statement timeout.
#[utoipa::path(
    tag = "shoutouts",
    request_body(content(
        (Vec<ImportShoutout> = "application/json"),
        (String = "text/csv", example = "created_at,giver_external_id,customer_name,recipient_external_ids,value,message\n2025-10-06T14:30:00Z,alice,,bob;carol,helping_others,Thanks for the cover!\n"),
    )),
    security(("bearer" = [])),
    responses((status = 200, description = "Everything was imported", body = HistoryReport))
)]
#[post("/shoutouts/import")]
pub async fn import_shoutouts(
    _admin: Admin,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<web::Json<HistoryReport>> {
    let rows = read_import_rows::<ImportShoutout>(&req, payload.into_inner(), None).await?;
    let mut conn = state.pool.get().await?;
    let budget = state.config.import_timeout_secs;
    Ok(web::Json(history::import(&mut conn, rows, budget).await?))
}
