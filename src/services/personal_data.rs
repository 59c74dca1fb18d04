//! A person's own data: the copy they may ask for (GET /api/v1/me/export), streamed as one
//! JSON document section by section and shout-outs a batch at a time, so a long history
//! costs no more memory than a short one.

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use uuid::Uuid;

use crate::db::DbPool;
use crate::error::{ApiError, ApiResult};
use crate::models::{personal_data as store, shoutouts};
use crate::views::Shoutout;

/// Shout-outs read per query.
const BATCH: i64 = 200;

enum Part {
    Head,
    Shoutouts {
        given: bool,
        after: Option<(DateTime<Utc>, Uuid)>,
        first: bool,
    },
    Done,
}

/// The caller's data as a stream of JSON text.
pub fn export(pool: DbPool, id: Uuid, subject: String) -> impl Stream<Item = ApiResult<Bytes>> {
    futures_util::stream::unfold(Part::Head, move |part| {
        let pool = pool.clone();
        let subject = subject.clone();
        async move {
            if matches!(part, Part::Done) {
                return None;
            }
            let result: ApiResult<(String, Part)> = async {
                let mut conn = pool.get().await.map_err(ApiError::from)?;
                match part {
                    Part::Head => {
                        let mut out = format!(
                            "{{\"exported_at\":{}",
                            serde_json::to_string(&Utc::now()).map_err(anyhow::Error::from)?
                        );
                        for (name, json) in store::sections(&mut conn, id, &subject).await? {
                            out.push_str(&format!(",\"{name}\":{json}"));
                        }
                        out.push_str(",\"shoutouts_given\":[");
                        Ok((
                            out,
                            Part::Shoutouts {
                                given: true,
                                after: None,
                                first: true,
                            },
                        ))
                    }
                    Part::Shoutouts {
                        given,
                        after,
                        first,
                    } => {
                        let rows =
                            store::shoutouts_batch(&mut conn, id, given, after, BATCH).await?;
                        let full = rows.len() as i64 == BATCH;
                        let last = rows.last().map(|r| (r.created_at, r.id));
                        let details = shoutouts::details(&mut conn, rows).await?;
                        let mut out = String::new();
                        for (i, detail) in details.into_iter().enumerate() {
                            if !(first && i == 0) {
                                out.push(',');
                            }
                            out.push_str(
                                &serde_json::to_string(&Shoutout::from(detail))
                                    .map_err(anyhow::Error::from)?,
                            );
                        }
                        let next = if full {
                            Part::Shoutouts {
                                given,
                                after: last,
                                first: first && last.is_none(),
                            }
                        } else if given {
                            out.push_str("],\"shoutouts_received\":[");
                            Part::Shoutouts {
                                given: false,
                                after: None,
                                first: true,
                            }
                        } else {
                            out.push_str("]}");
                            Part::Done
                        };
                        Ok((out, next))
                    }
                    Part::Done => Ok((String::new(), Part::Done)),
                }
            }
            .await;
            match result {
                Ok((text, next)) => Some((Ok(Bytes::from(text)), next)),
                Err(e) => {
                    // Headers are sent: cutting the body short is what is left, and a client
                    // sees a broken download, never a complete-looking partial copy.
                    tracing::error!(error = %e, "personal data export failed mid-stream");
                    Some((Err(e), Part::Done))
                }
            }
        }
    })
}

/// What an erasure did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Erasure {
    pub id: Uuid,
    /// The fields whose values are gone from every record the service keeps.
    pub erased: Vec<String>,
}

/// Erases employee `id` as admin `actor`, in one transaction: all or nothing.
pub async fn erase(
    conn: &mut diesel_async::AsyncPgConnection,
    id: Uuid,
    actor: &str,
) -> ApiResult<Erasure> {
    use diesel_async::AsyncConnection;
    conn.transaction::<_, ApiError, _>(async |conn| {
        crate::models::audit::act_as(conn, actor).await?;
        match store::erase(conn, id, actor).await? {
            Some(erased) => Ok(Erasure { id, erased }),
            None => Err(ApiError::not_found(format!("no employee with id {id}"))),
        }
    })
    .await
}
