//! SCIM bearer tokens: minted by admins, shown once, kept as a SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::models::audit;
use crate::models::scim::{self as store, NewToken, TokenRow};
/// Kept as a SHA-256, like widget keys.
pub use crate::widgets::keys::hash;

/// Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
pub const PREFIX: &str = "sst_";
/// Characters of a token shown in lists, to tell tokens apart.
const SHOWN: usize = 12;

/// Mints a token as `actor`; returns it and its secret.
pub async fn mint(
    conn: &mut AsyncPgConnection,
    actor: &str,
    name: &str,
) -> ApiResult<(TokenRow, String)> {
    let secret = format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    );
    let digest = hash(&secret);
    let new = NewToken {
        id: Uuid::now_v7(),
        name,
        token_hash: &digest,
        token_prefix: &secret[..SHOWN],
        created_by: actor,
    };
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, actor).await?;
            Ok(store::insert_token(conn, &new).await?)
        })
        .await?;
    Ok((row, secret))
}
