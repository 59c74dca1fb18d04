//! The Slack slash command: `/shoutout @someone [value] message`, answered with a message only
//! the person who typed it sees.

use actix_web::{HttpRequest, HttpResponse, post, web};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::services::giving;
use crate::services::slack::{self, Command};
use crate::state::AppState;

/// The form Slack posts (only the fields read here; Slack sends more).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SlackCommandForm {
    /// Who typed the command.
    #[schema(example = "U024BE7LH")]
    pub user_id: String,
    /// What follows the command.
    #[schema(example = "<@U0G9QF9C6|sam> H thanks for covering my shift!")]
    pub text: String,
    #[schema(example = "/shoutout")]
    pub command: Option<String>,
    /// The same on Slack's retries of one invocation.
    pub trigger_id: Option<String>,
}

/// The answer, as Slack shows it: only to the person who typed the command.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlackReply {
    #[schema(example = "ephemeral")]
    pub response_type: &'static str,
    pub text: String,
}

/// Gives a shout-out from Slack. Signed by Slack (`X-Slack-Signature`,
/// `X-Slack-Request-Timestamp`) with the app's signing secret; every rule of
/// `POST /api/v1/shoutouts` applies, and Slack's retries create nothing new.
#[utoipa::path(
    tag = "integrations",
    request_body(content = SlackCommandForm, content_type = "application/x-www-form-urlencoded"),
    params(
        ("X-Slack-Request-Timestamp" = String, Header, description = "Unix time Slack signed at"),
        ("X-Slack-Signature" = String, Header, description = "`v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}`"),
    ),
    responses(
        (status = 200, description = "What to tell the person (a confirmation or what to fix)", body = SlackReply),
        (status = 401, description = "Not signed by Slack, or too old", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The Slack integration is not set up (a signed request)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/integrations/slack/commands")]
pub async fn slack_command(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    // An unsigned request is refused as such whether or not Slack is set up.
    if header("x-slack-request-timestamp").is_none() || header("x-slack-signature").is_none() {
        return Err(ApiError::Unauthorized(
            slack::Refusal::Missing.explain().into(),
        ));
    }
    let Some(secret) = &state.config.slack_signing_secret else {
        return Err(ApiError::not_found(
            "the Slack integration is not set up (SHOUTOUT_SLACK_SIGNING_SECRET)",
        ));
    };
    slack::verify(
        secret.expose_secret(),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|refusal| ApiError::Unauthorized(refusal.explain().into()))?;
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::invalid("body", format!("is not a form: {e}")))?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // Slack checks now and then that the URL answers over TLS: nothing to do.
    if field("ssl_check") == Some("1") {
        return Ok(HttpResponse::Ok().finish());
    }
    let user_id = field("user_id").ok_or_else(|| ApiError::invalid("user_id", "is required"))?;
    let rules = giving::Rules {
        timezone: state.config.timezone,
        daily_limit: state.config.daily_limit,
    };
    let mut conn = state.pool.get().await?;
    let reply = slack::run(
        &mut conn,
        &rules,
        Command {
            user_id,
            text: field("text").unwrap_or_default(),
            trigger_id: field("trigger_id"),
            body: &body,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(SlackReply {
        response_type: "ephemeral",
        text: reply.text,
    }))
}
