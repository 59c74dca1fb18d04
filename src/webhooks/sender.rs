//! Sends one delivery: a POST with the Standard Webhooks headers, no redirects followed, no
//! proxy from the environment, only to addresses the guarded resolver allows, within the
//! timeout, reading at most `MAX_RESPONSE_BYTES` of the answer.

use std::time::{Duration, Instant};

use url::{Host, Url};

use super::address::{self, GuardedResolver};
use crate::models::webhooks::Attempt;

/// The most of a receiver's answer that is read (the rest is dropped with the connection).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The most of an answer kept with a failed attempt, to show why.
const ERROR_EXCERPT_CHARS: usize = 300;

pub struct Sender {
    client: reqwest::Client,
    timeout: Duration,
    allow_private: bool,
}

/// One request: where, and the signed headers' values.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub message_id: &'a str,
    pub timestamp: i64,
    pub signature: &'a str,
    pub body: Vec<u8>,
}

/// How an attempt ended, beside what is recorded: whether the receiver said it is gone.
pub struct Outcome {
    pub attempt: Attempt,
    pub gone: bool,
}

impl Sender {
    pub fn new(timeout: Duration, allow_private: bool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver::shared(allow_private))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Shoutout-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            timeout,
            allow_private,
        })
    }

    pub async fn send(&self, out: Outgoing<'_>) -> Outcome {
        let started = Instant::now();
        let result = tokio::time::timeout(self.timeout, self.exchange(&out)).await;
        let latency_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
        let (status_code, error) = match result {
            Err(_) => (
                None,
                Some(format!("no answer within {} ms", self.timeout.as_millis())),
            ),
            Ok(Err(error)) => (None, Some(error)),
            Ok(Ok((status, _))) if (200..300).contains(&status) => (Some(status), None),
            Ok(Ok((status, excerpt))) => (
                Some(status),
                Some(if excerpt.is_empty() {
                    format!("answered {status}")
                } else {
                    format!("answered {status}: {excerpt}")
                }),
            ),
        };
        Outcome {
            gone: status_code == Some(410),
            attempt: Attempt {
                succeeded: error.is_none(),
                status_code: status_code.map(i32::from),
                latency_ms,
                error,
            },
        }
    }

    /// The status and the start of the answer, or why there is none.
    async fn exchange(&self, out: &Outgoing<'_>) -> Result<(u16, String), String> {
        let url = Url::parse(out.url).map_err(|e| format!("bad URL: {e}"))?;
        // A literal address never reaches the resolver: it is checked here.
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && !self.allow_private
            && address::is_internal(ip)
        {
            return Err(format!("{ip} is an internal address, which is refused"));
        }
        let mut response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", out.message_id)
            .header("webhook-timestamp", out.timestamp.to_string())
            .header("webhook-signature", out.signature)
            .body(out.body.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let mut read = Vec::new();
        while read.len() < MAX_RESPONSE_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => read.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        read.truncate(MAX_RESPONSE_BYTES);
        let excerpt: String = String::from_utf8_lossy(&read)
            .chars()
            .filter(|c| !c.is_control())
            .take(ERROR_EXCERPT_CHARS)
            .collect();
        Ok((status, excerpt))
    }
}

/// A transport error in words, with its cause (reqwest's own message names only the URL).
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if error.is_connect() {
        "could not connect".to_owned()
    } else if error.is_timeout() {
        "timed out".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(1000).collect()
}
