//! Minting widget keys: a name, one or both scopes (`boards`, `feeds`), at most 20 page
//! origins (normalised, each once); the secret is shown once and only its hash is stored, with
//! the minting admin as the audit actor.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use crate::domain::fields::{KeyName, Origin};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::models::audit;
use crate::models::widget_keys::{self, NewWidgetKey, WidgetKeyRow};
use crate::widgets::keys;

/// Most origins one key may list.
const MAX_ORIGINS: usize = 20;

/// Mints a key as `actor`; returns it and its secret.
pub async fn mint(
    conn: &mut AsyncPgConnection,
    actor: &str,
    name: &KeyName,
    scopes: &[&str],
    origins: &[Origin],
) -> ApiResult<(WidgetKeyRow, String)> {
    let mut errors = Vec::new();
    if scopes.is_empty() || scopes.len() > 2 {
        errors.push(FieldError::new(
            "scopes",
            "name one or both of `boards`, `feeds`",
        ));
    }
    if origins.len() > MAX_ORIGINS {
        errors.push(FieldError::new(
            "origins",
            format!("at most {MAX_ORIGINS} origins"),
        ));
    }
    let mut normalised: Vec<Option<String>> = Vec::new();
    for origin in origins {
        let origin = Some(origin.to_string());
        if !normalised.contains(&origin) {
            normalised.push(origin);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut distinct: Vec<Option<String>> = Vec::new();
    for scope in scopes {
        let scope = Some((*scope).to_owned());
        if !distinct.contains(&scope) {
            distinct.push(scope);
        }
    }
    let secret = keys::generate();
    let hash = keys::hash(&secret);
    let new = NewWidgetKey {
        id: Uuid::now_v7(),
        name,
        key_hash: &hash,
        key_prefix: keys::shown_prefix(&secret),
        scopes: distinct,
        origins: normalised,
        created_by: actor,
    };
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, actor).await?;
            Ok(widget_keys::insert(conn, &new).await?)
        })
        .await?;
    Ok((row, secret))
}
