//! Rules for the free text people type.

/// Trims surrounding white space and checks the length in characters (not bytes).
pub fn trimmed(value: &str, min: usize, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length < min {
        return Err(if min == 1 {
            "must not be empty or only white space".into()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if length > max {
        return Err(format!("must be at most {max} characters (got {length})"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// `validator` custom rule: 1..=200 characters after trimming, no control characters.
pub fn short_text(value: &str) -> Result<(), validator::ValidationError> {
    to_validation(trimmed(value, 1, 200).map(drop))
}

/// `validator` custom rule for shout-out messages: 1..=1000 characters after trimming.
pub fn message(value: &str) -> Result<(), validator::ValidationError> {
    to_validation(trimmed(value, 1, crate::domain::text::MESSAGE_MAX).map(drop))
}

pub const MESSAGE_MAX: usize = 1000;

/// `validator` custom rule: an e-mail address of at most 320 characters once trimmed (the
/// directory stores it trimmed, so surrounding spaces are not an error).
pub fn email(value: &str) -> Result<(), validator::ValidationError> {
    use validator::ValidateEmail;
    let trimmed = value.trim();
    if trimmed.chars().count() > 320 {
        return to_validation(Err("must be at most 320 characters".into()));
    }
    if !trimmed.validate_email() {
        return to_validation(Err("must be an e-mail address".into()));
    }
    Ok(())
}

/// Makes links in a customer's message inert wherever it is shown: `https://x.example/y`
/// becomes `hxxps://x[.]example/y` and `www.x.example` becomes `www[.]x[.]example`, so no
/// client turns them into something to click. (Markup needs no treatment here: JSON carries
/// text, and every page the service renders escapes it.)
pub fn neutralise_links(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 16);
    let mut rest = message;
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(word_end);
        out.push_str(&neutralise_word(word));
        let space_end = tail
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(tail.len());
        out.push_str(&tail[..space_end]);
        rest = &tail[space_end..];
    }
    out
}

fn neutralise_word(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let has_scheme = lower.contains("://");
    let looks_like_host = lower.starts_with("www.")
        || lower
            .split(['/', '?', '#'])
            .next()
            .and_then(|host| host.rsplit_once('.'))
            .is_some_and(|(name, tld)| {
                !name.is_empty()
                    && !name.contains('@')
                    && (2..=24).contains(&tld.len())
                    && tld.chars().all(|c| c.is_ascii_alphabetic())
                    && COMMON_TLDS
                        .contains(&tld.trim_end_matches(|c: char| !c.is_ascii_alphabetic()))
            });
    if !has_scheme && !looks_like_host {
        return word.to_owned();
    }
    let mut defanged = word.replace('.', "[.]");
    for (scheme, inert) in [("https://", "hxxps://"), ("http://", "hxxp://")] {
        if defanged.to_ascii_lowercase().starts_with(scheme) {
            defanged = format!("{inert}{}", &defanged[scheme.len()..]);
        }
    }
    defanged
        .replace("://", "[:]//")
        .replace("hxxps[:]//", "hxxps://")
        .replace("hxxp[:]//", "hxxp://")
}

/// Endings that make a bare word a web address worth neutralising ("thanks.com"), without
/// touching ordinary sentences ("done.Thanks").
const COMMON_TLDS: &[&str] = &[
    "com", "net", "org", "io", "co", "uk", "de", "fr", "info", "biz", "xyz", "ru", "cn", "top",
    "online", "site", "app", "dev", "me", "ly", "link", "click", "shop",
];

fn to_validation(result: Result<(), String>) -> Result<(), validator::ValidationError> {
    result.map_err(|message| validator::ValidationError::new("text").with_message(message.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(trimmed(&"é".repeat(1000), 1, 1000).is_ok());
        assert!(trimmed(&"é".repeat(1001), 1, 1000).is_err());
    }

    #[test]
    fn links_become_inert_and_the_rest_stays() {
        assert_eq!(
            neutralise_links("Great help! See https://evil.example/win?x=1 or www.spam.com now."),
            "Great help! See hxxps://evil[.]example/win?x=1 or www[.]spam[.]com now."
        );
        assert_eq!(
            neutralise_links("visit cheap-pills.xyz\ttoday"),
            "visit cheap-pills[.]xyz\ttoday"
        );
        assert_eq!(neutralise_links("ftp://x.y"), "ftp[:]//x[.]y");
        assert_eq!(
            neutralise_links("It was done.Thanks a lot"),
            "It was done.Thanks a lot"
        );
        assert_eq!(
            neutralise_links("Mr. Smith was great"),
            "Mr. Smith was great"
        );
    }

    #[test]
    fn trims_before_counting() {
        assert_eq!(trimmed("  hi  ", 1, 2).unwrap(), "hi");
        assert!(trimmed("   ", 1, 10).is_err());
    }
}
