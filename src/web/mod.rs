//! Pages the service renders itself (no framework, no build step): the public praise form, the
//! printable report, the intranet widgets' script and their demo page, and the static files
//! they use.

pub mod console;
pub mod demo_page;
pub mod i18n;
pub mod praise_page;
pub mod report_page;
pub mod unsubscribe_page;

use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder, get};

/// Every page: only our own scripts, styles and images; no framing; forms post here only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// A whole page: the `<head>` every page of ours shares (no indexing: these pages are for the
/// people sent to them), its own stylesheet, and `body`.
pub fn document(title: &str, stylesheet: &str, body: maud::Markup) -> maud::Markup {
    document_in(i18n::DEFAULT, title, stylesheet, body)
}

/// [`document`] in another language (`lang` is its tag: screen readers pronounce by it).
pub fn document_in(lang: &str, title: &str, stylesheet: &str, body: maud::Markup) -> maud::Markup {
    maud::html! {
        (maud::DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                link rel="stylesheet" href=(stylesheet);
            }
            body { (body) }
        }
    }
}

/// The headers every page the service renders carries.
pub fn page_headers(response: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .content_type("text/html; charset=utf-8")
}

fn asset(body: &'static str, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

#[get("/static/praise.js")]
pub async fn praise_js() -> HttpResponse {
    asset(
        include_str!("../../web/static/praise.js"),
        "text/javascript; charset=utf-8",
    )
}

#[get("/static/praise.css")]
pub async fn praise_css() -> HttpResponse {
    asset(
        include_str!("../../web/static/praise.css"),
        "text/css; charset=utf-8",
    )
}

#[get("/static/report.css")]
pub async fn report_css() -> HttpResponse {
    asset(
        include_str!("../../web/static/report.css"),
        "text/css; charset=utf-8",
    )
}

/// The intranet widgets (see `web/static/widget.js`). Intranet pages on other origins load it,
/// so it may be embedded anywhere; it is cached briefly so that an upgrade reaches them soon.
#[get("/widget.js")]
pub async fn widget_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"))
        .body(include_str!("../../web/static/widget.js"))
}

#[get("/static/demo.css")]
pub async fn demo_css() -> HttpResponse {
    asset(
        include_str!("../../web/static/demo.css"),
        "text/css; charset=utf-8",
    )
}
