//! The mails' wording, from `templates/mail/<language>/` (built into the binary). A text
//! template starts with its subject line; the HTML template of the same kind escapes every value.

use std::sync::OnceLock;

use minijinja::Environment;
use serde::Serialize;

use crate::domain::notifications::MailKind;

/// Every template of a language, by file name.
const ENGLISH: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../templates/mail/en/layout.html"),
    ),
    (
        "footer.txt",
        include_str!("../../templates/mail/en/footer.txt"),
    ),
    (
        "thanked.txt",
        include_str!("../../templates/mail/en/thanked.txt"),
    ),
    (
        "thanked.html",
        include_str!("../../templates/mail/en/thanked.html"),
    ),
    (
        "manager_copy.txt",
        include_str!("../../templates/mail/en/manager_copy.txt"),
    ),
    (
        "manager_copy.html",
        include_str!("../../templates/mail/en/manager_copy.html"),
    ),
    (
        "customer_thanks.txt",
        include_str!("../../templates/mail/en/customer_thanks.txt"),
    ),
    (
        "customer_thanks.html",
        include_str!("../../templates/mail/en/customer_thanks.html"),
    ),
    (
        "moderation.txt",
        include_str!("../../templates/mail/en/moderation.txt"),
    ),
    (
        "moderation.html",
        include_str!("../../templates/mail/en/moderation.html"),
    ),
    (
        "moderation_reminder.txt",
        include_str!("../../templates/mail/en/moderation_reminder.txt"),
    ),
    (
        "moderation_reminder.html",
        include_str!("../../templates/mail/en/moderation_reminder.html"),
    ),
    (
        "digest.txt",
        include_str!("../../templates/mail/en/digest.txt"),
    ),
    (
        "digest.html",
        include_str!("../../templates/mail/en/digest.html"),
    ),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Escaping follows the file name: `.html` escapes, `.txt` does not.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_keep_trailing_newline(true);
        for (name, source) in ENGLISH {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("mail template {name}: {e}"));
        }
        env
    })
}

/// A mail's three parts.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders one kind of mail with `context`.
pub fn render(kind: MailKind, context: &impl Serialize) -> anyhow::Result<Rendered> {
    let env = environment();
    let value = minijinja::Value::from_serialize(context);
    let text = env
        .get_template(&format!("{}.txt", kind.as_str()))?
        .render(&value)?;
    let html = env
        .get_template(&format!("{}.html", kind.as_str()))?
        .render(&value)?;
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let subject = first
        .strip_prefix("Subject:")
        .ok_or_else(|| anyhow::anyhow!("{}.txt must start with `Subject:`", kind.as_str()))?
        // A header is one line, whatever a name in it holds.
        .replace(['\r', '\n'], " ")
        .trim()
        .to_owned();
    Ok(Rendered {
        subject,
        text: rest.to_owned(),
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_renders_with_a_subject_and_escapes_its_html() {
        let context = json!({
            "name": "Ana <b>", "giver": "Bo & Co", "recipient": "Cy", "value_letter": "H",
            "value_label": "Helping others", "message": "<script>x</script>", "link": "https://x/1",
            "unsubscribe": "https://x/u", "reason": "you were thanked",
            "items": [{"recipient": "Cy", "customer": "Di", "message": "<i>hi</i>", "received": "3 Mar"}],
            "from": "3 Mar", "to": "9 Mar", "thanked": [{"name": "Cy", "values": "H 2"}],
            "givers": [{"name": "Ana", "count": 1}], "unthanked": [{"name": "Ed"}],
        });
        for kind in MailKind::ALL {
            let mail = render(kind, &context).unwrap();
            assert!(!mail.subject.is_empty(), "{kind:?}");
            assert!(!mail.html.contains("<script>"), "{kind:?}");
            assert!(!mail.html.contains("<i>hi</i>"), "{kind:?}");
            assert!(!mail.html.contains("Ana <b>"), "{kind:?}");
            assert!(mail.text.contains("https://x/u"), "{kind:?}");
        }
    }
}
