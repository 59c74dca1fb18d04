//! `GET /demo`: a pretend intranet home page with all four widgets, served only when the
//! service runs with demo data (`--demo`), so that the run command leads straight to something
//! to look at. The board and the feed read with the demo widget key; the give form and nothing
//! else uses a short-lived token for the demo member of staff.

use actix_web::{HttpResponse, get, web};
use maud::{DOCTYPE, Markup, html};

use crate::auth::{self, Role};
use crate::demo;
use crate::error::ApiError;
use crate::state::AppState;

/// The page may fetch from its own origin; everything else as on every page.
const DEMO_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

#[get("/demo")]
pub async fn page(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(key) = state.demo_key.as_deref() else {
        return Err(ApiError::not_found(
            "the demo page is served only with demo data (`shoutout serve --demo`)",
        ));
    };
    let token = auth::mint_token(
        &state.config,
        demo::STAFF_SUBJECT,
        &[Role::Employee],
        chrono::Duration::hours(8),
    )?;
    let mut response = HttpResponse::Ok();
    response
        .insert_header(("Content-Security-Policy", DEMO_CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("Cache-Control", "no-store"))
        .content_type("text/html; charset=utf-8");
    Ok(response.body(intranet_home(key, &token).into_string()))
}

/// A made-up intranet home page with every widget on it, as a site would embed them.
fn intranet_home(key: &str, token: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Intranet home (Shoutout demo)" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/static/demo.css";
                script src="/widget.js" data-key=(key) defer {}
            }
            body {
                header.top {
                    strong { "Acme intranet" }
                    span { "Signed in as Alice Martin (demo)" }
                }
                main {
                    h1 { "Good morning, Alice" }
                    p.lead {
                        "Each box below is one tag from "
                        code { "/widget.js" }
                        ", as an intranet page would use it. View the source to copy them."
                    }
                    div.grid {
                        shoutout-give token=(token) {}
                        shoutout-leaderboard board="recipients" period="month" limit="5" {}
                        shoutout-feed limit="4" {}
                        shoutout-leaderboard board="teams" period="quarter" limit="5" {}
                        shoutout-leaderboard board="recipients" period="campaign" limit="5"
                            heading="Most thanked in the Thank-you fortnight" {}
                    }
                    h2 { "The contact centre TV" }
                    p.lead { "A full-screen wall: new shout-outs appear as they are given, this week's most thanked in between." }
                    shoutout-wall linger="8" {}
                }
            }
        }
    }
}
