//! The pages of an unsubscribe link: a button to confirm (a GET never unsubscribes, as link
//! scanners open every link), and what the click did.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use diesel_async::AsyncConnection;
use maud::html;

use crate::error::{ApiError, ApiResult, Problem};
use crate::mail::unsubscribe;
use crate::models::mail as store;
use crate::state::AppState;

fn page(title: &str, body: maud::Markup) -> HttpResponse {
    super::page_headers(&mut HttpResponse::Ok())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(super::document(title, "/static/praise.css", html! { main { (body) } }).into_string())
}

/// The button; it posts what a mail client's one-click unsubscribe posts.
pub fn confirm(what: &str) -> HttpResponse {
    page(
        "Stop these mails?",
        html! {
            h1 { "Stop these mails?" }
            p { "This stops " (what) "." }
            form method="post" action="" {
                input type="hidden" name="List-Unsubscribe" value="One-Click";
                button type="submit" { "Unsubscribe" }
            }
        },
    )
}

pub fn done(what: &str) -> HttpResponse {
    page(
        "Unsubscribed",
        html! {
            h1 { "Unsubscribed" }
            p { "You will no longer receive " (what) ". Signed-in staff can change this any time in their notification settings." }
        },
    )
}

async fn verified(state: &AppState, token: &str) -> ApiResult<unsubscribe::Unsubscribe> {
    let mut conn = state.pool.get().await?;
    let key = store::unsubscribe_key(&mut conn).await?;
    // One answer for every bad link: nothing to learn by trying.
    unsubscribe::verify(&key, token).ok_or_else(|| {
        ApiError::NotFound("this unsubscribe link is not one this service made".into())
    })
}

/// The page an unsubscribe link opens: what it stops, and a button that does it.
#[utoipa::path(
    tag = "notifications",
    params(("token" = String, Path, description = "From the mail's link")),
    responses(
        (status = 200, description = "A page with the button", content_type = "text/html"),
        (status = 404, description = "Not a link this service made", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/public/unsubscribe/{token}")]
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let request = verified(&state, &token).await?;
    Ok(confirm(unsubscribe::describe(request.preference)))
}

/// One-click unsubscribe (RFC 8058): mail clients POST `List-Unsubscribe=One-Click`; the
/// page's button posts the same. No login: the link's signature is the proof.
#[utoipa::path(
    tag = "notifications",
    params(("token" = String, Path, description = "From the mail's link")),
    responses(
        (status = 200, description = "Unsubscribed (a page saying so)", content_type = "text/html"),
        (status = 404, description = "Not a link this service made", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/unsubscribe/{token}")]
pub async fn unsubscribe_now(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let request = verified(&state, &token).await?;
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        unsubscribe::apply(conn, &request).await.map_err(|e| {
            match e.downcast::<diesel::result::Error>() {
                Ok(db) => ApiError::from(db),
                Err(other) => ApiError::Internal(other),
            }
        })
    })
    .await?;
    let mut response = done(unsubscribe::describe(request.preference));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
