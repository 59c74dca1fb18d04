//! The body of a delivery in each format. The event's data is frozen when it is fanned out
//! (the shout-out as the API shows it); a body is rendered from it afresh at each attempt and
//! comes out the same every time.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::domain::HeartValue;
use crate::domain::events::WebhookFormat;

/// What a body is made of.
pub struct Event<'a> {
    pub event_type: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub data: &'a Value,
    /// Where a reader can see the shout-out.
    pub link: Option<String>,
}

/// The body, as bytes (what is signed is exactly what is sent).
pub fn body(format: WebhookFormat, event: &Event<'_>) -> Vec<u8> {
    let value = match format {
        WebhookFormat::Standard => json!({
            "type": event.event_type,
            "timestamp": event.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": event.data,
        }),
        WebhookFormat::Slack => slack(event),
        WebhookFormat::Teams => teams(event),
    };
    serde_json::to_vec(&value).expect("JSON values serialise")
}

/// Who, whom, which value and what was said, read from a shout-out as the API shows it.
struct Story {
    giver: String,
    recipients: Vec<String>,
    value: Option<HeartValue>,
    message: String,
    customer: bool,
    cheered_by: Option<String>,
}

impl Story {
    fn of(data: &Value) -> Self {
        let name = |v: &Value| v["display_name"].as_str().unwrap_or("someone").to_owned();
        let giver = &data["giver"];
        let customer = giver["kind"] == "customer";
        Self {
            giver: if customer {
                giver["name"]
                    .as_str()
                    .map(|n| format!("{n} (a customer)"))
                    .unwrap_or_else(|| "A customer".into())
            } else {
                name(&giver["employee"])
            },
            recipients: data["recipients"]
                .as_array()
                .map(|r| r.iter().map(name).collect())
                .unwrap_or_default(),
            value: data["value"].as_str().and_then(HeartValue::from_code),
            message: data["message"].as_str().unwrap_or_default().to_owned(),
            customer,
            cheered_by: data.get("cheered_by").map(name),
        }
    }

    fn value_line(&self) -> String {
        match self.value {
            Some(v) => format!("{} · {}", v.letter(), v.label()),
            None => String::new(),
        }
    }
}

fn and_list(names: &[String]) -> String {
    match names {
        [] => "someone".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Slack's mrkdwn gives `&`, `<` and `>` meaning; they are escaped as Slack asks.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack(event: &Event<'_>) -> Value {
    if event.event_type == crate::domain::events::PING {
        return json!({"text": "Shoutout is connected: shout-outs will appear in this channel."});
    }
    let story = Story::of(event.data);
    let bold = |names: &[String]| {
        and_list(
            &names
                .iter()
                .map(|n| format!("*{}*", slack_escape(n)))
                .collect::<Vec<_>>(),
        )
    };
    let (headline, fallback) = match &story.cheered_by {
        Some(cheerer) => (
            format!(
                ":clap: *{}* cheered {}'s shout-out to {}",
                slack_escape(cheerer),
                slack_escape(&story.giver),
                bold(&story.recipients)
            ),
            format!(
                "{cheerer} cheered a shout-out to {}",
                and_list(&story.recipients)
            ),
        ),
        None => (
            format!(
                ":tada: *{}* thanked {}",
                slack_escape(&story.giver),
                bold(&story.recipients)
            ),
            format!(
                "{} thanked {}: {}",
                story.giver,
                and_list(&story.recipients),
                story.message
            ),
        ),
    };
    let quoted: String = story
        .message
        .lines()
        .map(|line| format!(">{}\n", slack_escape(line)))
        .collect();
    let mut context = vec![json!({"type": "mrkdwn", "text": format!("*{}*", story.value_line())})];
    if story.customer {
        context.push(json!({"type": "mrkdwn", "text": "Customer praise"}));
    }
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("{headline}\n{quoted}")}}),
        json!({"type": "context", "elements": context}),
    ];
    if let Some(link) = &event.link {
        blocks.push(json!({"type": "actions", "elements": [{
            "type": "button",
            "text": {"type": "plain_text", "text": "View shout-out"},
            "url": link,
        }]}));
    }
    json!({"text": fallback, "blocks": blocks})
}

fn teams(event: &Event<'_>) -> Value {
    let body = if event.event_type == crate::domain::events::PING {
        vec![json!({"type": "TextBlock", "wrap": true,
            "text": "Shoutout is connected: shout-outs will appear in this channel."})]
    } else {
        let story = Story::of(event.data);
        let headline = match &story.cheered_by {
            Some(cheerer) => format!(
                "{cheerer} cheered {}'s shout-out to {}",
                story.giver,
                and_list(&story.recipients)
            ),
            None => format!("{} thanked {}", story.giver, and_list(&story.recipients)),
        };
        let mut body = vec![
            json!({"type": "TextBlock", "text": story.value_line(), "weight": "Bolder",
                   "size": "Medium", "color": "Accent"}),
            json!({"type": "TextBlock", "text": headline, "wrap": true, "weight": "Bolder"}),
            json!({"type": "TextBlock", "text": story.message, "wrap": true}),
        ];
        if story.customer {
            body.push(
                json!({"type": "TextBlock", "text": "Customer praise", "isSubtle": true,
                             "size": "Small"}),
            );
        }
        body
    };
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let Some(link) = &event.link {
        card["actions"] =
            json!([{"type": "Action.OpenUrl", "title": "View shout-out", "url": link}]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shoutout() -> Value {
        json!({
            "id": "0190a0a0-0000-7000-8000-000000000000",
            "giver": {"kind": "employee", "employee": {"display_name": "Ada <Lovelace>"}},
            "recipients": [{"display_name": "Bob"}, {"display_name": "Cy"}],
            "value": "helping_others",
            "message": "Thanks & well done\nsecond line",
        })
    }

    fn event(data: &Value) -> Event<'_> {
        Event {
            event_type: "shoutout.published",
            occurred_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            data,
            link: Some("https://shoutout.example.com/s/1".into()),
        }
    }

    #[test]
    fn standard_is_type_timestamp_data() {
        let data = shoutout();
        let body: Value =
            serde_json::from_slice(&body(WebhookFormat::Standard, &event(&data))).unwrap();
        assert_eq!(body["type"], "shoutout.published");
        assert_eq!(body["timestamp"], "2023-11-14T22:13:20.000Z");
        assert_eq!(body["data"], data);
    }

    #[test]
    fn slack_says_who_thanked_whom_escaped_with_the_value_and_a_link() {
        let data = shoutout();
        let body: Value =
            serde_json::from_slice(&body(WebhookFormat::Slack, &event(&data))).unwrap();
        let section = body["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(
            section.contains("*Ada &lt;Lovelace&gt;* thanked *Bob* and *Cy*"),
            "{section}"
        );
        assert!(
            section.contains(">Thanks &amp; well done\n>second line"),
            "{section}"
        );
        assert_eq!(
            body["blocks"][1]["elements"][0]["text"],
            "*H · Helping others*"
        );
        assert_eq!(
            body["blocks"][2]["elements"][0]["url"],
            "https://shoutout.example.com/s/1"
        );
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .starts_with("Ada <Lovelace> thanked Bob and Cy")
        );
    }

    #[test]
    fn teams_is_an_adaptive_card_message() {
        let data = shoutout();
        let body: Value =
            serde_json::from_slice(&body(WebhookFormat::Teams, &event(&data))).unwrap();
        assert_eq!(body["type"], "message");
        let card = &body["attachments"][0]["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["body"][0]["text"], "H · Helping others");
        assert_eq!(card["body"][1]["text"], "Ada <Lovelace> thanked Bob and Cy");
        assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    }
}
