//! SMTP through lettre: the transport built from `SHOUTOUT_SMTP_URL`, and a mail built as mail
//! should be (multipart text and HTML, `Message-ID`, `Date`, `Auto-Submitted`, RFC 8058
//! one-click unsubscribe headers).

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// A mail ready to send.
pub struct Outgoing<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub unsubscribe_url: Option<&'a str>,
    /// Stable across retries, so a receiving system can tell a retry from a new mail.
    pub message_id: String,
}

/// Why a mail was not sent.
#[derive(Debug)]
pub enum SendError {
    /// Worth trying again later (a 4xx answer, a connection that failed).
    Temporary(String),
    /// Never going to work (a 5xx answer, an address that is not one).
    Permanent(String),
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
}

impl Mailer {
    /// The mailer `SHOUTOUT_SMTP_URL` and `SHOUTOUT_MAIL_FROM` describe.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("SHOUTOUT_MAIL_FROM `{from}` is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SHOUTOUT_SMTP_URL is not usable: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    /// The domain `Message-ID`s are made in (the sender's).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub async fn send(&self, mail: &Outgoing<'_>) -> Result<(), SendError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| SendError::Permanent(format!("`{}` is not an address: {e}", mail.to)))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(mail.message_id.clone()))
            .date_now()
            // RFC 3834: an automatic mail, so auto-responders stay quiet.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        if let Some(url) = mail.unsubscribe_url {
            // RFC 8058: a mail client unsubscribes with one POST, without opening a page.
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                mail.text.to_owned(),
                mail.html.to_owned(),
            ))
            .map_err(|e| SendError::Permanent(format!("the mail could not be built: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Temporary(e.to_string())),
        }
    }
}
