//! Rules for the free text people type, and the same rules as the patterns the OpenAPI
//! document states (as the schemas of `domain::fields`), so a client can check input before sending it and a
//! fuzzer's valid input is valid here. A unit test holds each rule and its pattern together.

use std::sync::LazyLock;

use regex::Regex;

/// White space as Rust's `str::trim` sees it (Unicode `White_Space`), spelled out: regex
/// dialects disagree on `\s` (ECMA adds U+FEFF, Python adds U+001C-U+001F).
macro_rules! white_space {
    () => {
        r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// Invisible characters no identifier or name may hold: direction controls and zero-width ones.
macro_rules! invisible {
    () => {
        r"\u202a-\u202e\u2066-\u2069\u061c\u200b-\u200f\u2060\ufeff"
    };
}

/// Characters text may hold: anything but control characters (except tab and line breaks) and
/// the bidirectional embeddings, overrides and isolates, which can make `gnp.exe` read as
/// `exe.png` (U+202A-U+202E, U+2066-U+2069). Emoji sequences (zero-width joiner) stay.
macro_rules! text_char {
    () => {
        r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]"
    };
}

/// Characters a name may hold: as text, and none of the invisible ones that make two names
/// look alike (`Admin` and `Admin\u200b`): zero-width space, (non-)joiners, word joiner,
/// byte-order mark, and the direction marks.
macro_rules! name_char {
    () => {
        concat!(
            r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069",
            r"\u061c\u200b-\u200f\u2060\ufeff]"
        )
    };
}

/// A character that is neither white space nor a control character, nor a direction control.
macro_rules! visible_char {
    () => {
        r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u202a-\u202e\u2066-\u2069]"
    };
}

/// A visible character a name may hold.
macro_rules! visible_name_char {
    () => {
        concat!(
            r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
            r"\u202a-\u202e\u2066-\u2069\u061c\u200b-\u200f\u2060\ufeff]"
        )
    };
}

/// What an e-mail address looks like: `local@domain.tld`, without white space or controls.
macro_rules! email_address {
    () => {
        concat!(
            r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@]+@",
            r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@.]+",
            r"(?:\.[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@.]+)+"
        )
    };
}

/// Messages and reasons: at least one visible character, no control characters other than tab
/// and line breaks, no direction overrides (surrounding white space is trimmed when stored).
pub const TEXT_PATTERN: &str = concat!("^", text_char!(), "*", visible_char!(), text_char!(), "*$");
/// Names and titles (of people, teams, campaigns, keys): as text, and no invisible characters.
pub const NAME_PATTERN: &str = concat!(
    "^",
    name_char!(),
    "*",
    visible_name_char!(),
    name_char!(),
    "*$"
);
/// An optional name on the public form: a name, or nothing but white space ("not given").
pub const OPTIONAL_NAME_PATTERN: &str = concat!("^", name_char!(), "*$");
/// An `external_id`: no NUL, no surrounding white space, no invisible characters.
pub const EXTERNAL_ID_PATTERN: &str = concat!(
    r"^[^\u0000",
    white_space!(),
    invisible!(),
    r"](?:[^\u0000",
    invisible!(),
    r"]*[^\u0000",
    white_space!(),
    invisible!(),
    "])?$"
);
/// An e-mail address, surrounding white space allowed (it is trimmed when stored).
pub const EMAIL_PATTERN: &str = concat!(
    "^[",
    white_space!(),
    "]*",
    email_address!(),
    "[",
    white_space!(),
    "]*$"
);
/// An optional e-mail address on the public form: one, or nothing but white space.
pub const OPTIONAL_EMAIL_PATTERN: &str = concat!(
    "^[",
    white_space!(),
    "]*(?:",
    email_address!(),
    "[",
    white_space!(),
    "]*)?$"
);
/// A praise link's handle.
pub const HANDLE_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";
/// Any other string: PostgreSQL text cannot hold NUL, so no field may.
pub const NO_NUL_PATTERN: &str = r"^[^\u0000]*$";

pub const MESSAGE_MAX: usize = 1000;
pub const SHORT_TEXT_MAX: usize = 200;
pub const EMAIL_MAX: usize = 320;
pub const EXTERNAL_ID_MAX: usize = 200;

fn compiled(pattern: &'static str) -> Regex {
    Regex::new(pattern).expect("the pattern compiles")
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| compiled(EMAIL_PATTERN));
static OPTIONAL_EMAIL: LazyLock<Regex> = LazyLock::new(|| compiled(OPTIONAL_EMAIL_PATTERN));
static HANDLE: LazyLock<Regex> = LazyLock::new(|| compiled(HANDLE_PATTERN));

fn forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Bidirectional embeddings, overrides and isolates: refused in all text.
fn direction_override(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// What no name or identifier may hold: direction controls of any kind and zero-width
/// characters, which make different names look the same.
fn invisible(c: char) -> bool {
    direction_override(c)
        || matches!(
            c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}'
        )
}

/// Checks a message or reason against `TEXT_PATTERN` and a length of at most `max` characters
/// (not bytes, counted as sent), and returns it trimmed of surrounding white space.
pub fn trimmed(value: &str, max: usize) -> Result<String, String> {
    let length = value.chars().count();
    if length > max {
        return Err(format!("must be at most {max} characters (got {length})"));
    }
    if value.chars().any(forbidden_control) {
        return Err("must not contain control characters".into());
    }
    if value.chars().any(direction_override) {
        return Err(
            "must not contain text direction overrides (U+202A-U+202E, U+2066-U+2069)".into(),
        );
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty or only white space".into());
    }
    Ok(trimmed.to_owned())
}

/// Checks a name or title against `NAME_PATTERN` (at most `max` characters) and returns it
/// trimmed.
pub fn name(value: &str, max: usize) -> Result<String, String> {
    let checked = trimmed(value, max)?;
    if value.chars().any(invisible) {
        return Err(
            "must not contain invisible characters (zero-width or text direction controls)".into(),
        );
    }
    Ok(checked)
}

/// An optional name on the public form (`OPTIONAL_NAME_PATTERN`, at most `max` characters):
/// `None` when absent or only white space, else the name trimmed.
pub fn optional(value: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(v)
            if v.trim().is_empty() && !v.chars().any(|c| forbidden_control(c) || invisible(c)) =>
        {
            if v.chars().count() > max {
                return Err(format!("must be at most {max} characters"));
            }
            Ok(None)
        }
        Some(v) => name(v, max).map(Some),
    }
}

/// An e-mail address (`EMAIL_PATTERN`, at most 320 characters), trimmed.
pub fn email_address(value: &str) -> Result<String, String> {
    if value.chars().count() > EMAIL_MAX {
        return Err(format!("must be at most {EMAIL_MAX} characters"));
    }
    if !EMAIL.is_match(value) {
        return Err("must be an e-mail address, like name@example.com".into());
    }
    Ok(value.trim().to_owned())
}

/// An optional e-mail address on the public form (`OPTIONAL_EMAIL_PATTERN`, at most `max`
/// characters): `None` when absent or only white space.
pub fn optional_email(value: Option<&str>, max: usize) -> Result<Option<String>, String> {
    let Some(value) = value else { return Ok(None) };
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if !OPTIONAL_EMAIL.is_match(value) {
        return Err("must be an e-mail address, like name@example.com".into());
    }
    let value = value.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// An `external_id` (`EXTERNAL_ID_PATTERN`, 1-200 characters).
pub fn is_external_id(value: &str) -> bool {
    let length = value.chars().count();
    (1..=EXTERNAL_ID_MAX).contains(&length)
        && value.trim() == value
        && !value.contains('\0')
        && !value.chars().any(invisible)
}

/// A praise link's handle (`HANDLE_PATTERN`).
pub fn is_handle(value: &str) -> bool {
    HANDLE.is_match(value)
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

/// Full stops a browser or chat client reads as a dot in a host name (full-width, ideographic,
/// half-width ideographic).
fn is_dot(c: char) -> bool {
    matches!(c, '.' | '\u{ff0e}' | '\u{3002}' | '\u{ff61}')
}

/// Schemes that run or embed something rather than link to it.
const ACTIVE_SCHEMES: [&str; 4] = ["javascript:", "vbscript:", "data:", "file:"];

fn neutralise_word(word: &str) -> String {
    let folded: String = word
        .chars()
        .map(|c| {
            if is_dot(c) {
                '.'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    // Quotes and brackets around a link do not make it any less of one.
    let bare = folded.trim_start_matches(['(', '[', '<', '"', '\'']);
    let has_scheme = bare.contains("://")
        || bare.contains(":/\\")
        || bare.contains(":\\")
        || ACTIVE_SCHEMES
            .iter()
            .any(|s| bare.starts_with(s) && bare.len() > s.len());
    let protocol_relative =
        (bare.starts_with("//") || bare.starts_with("\\\\") || bare.starts_with("/\\"))
            && bare.len() > 2;
    let looks_like_host = bare.starts_with("www.")
        || bare
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
    if !has_scheme && !protocol_relative && !looks_like_host {
        return word.to_owned();
    }
    // Every dot and colon made inert: no client can follow what is left.
    let mut defanged = String::with_capacity(word.len() + 8);
    for c in word.chars() {
        match c {
            c if is_dot(c) => defanged.push_str("[.]"),
            ':' => defanged.push_str("[:]"),
            c => defanged.push(c),
        }
    }
    // The usual way to write a defanged web address, which readers recognise.
    for (scheme, inert) in [("https[:]//", "hxxps://"), ("http[:]//", "hxxp://")] {
        if defanged.to_ascii_lowercase().starts_with(scheme) {
            defanged = format!("{inert}{}", &defanged[scheme.len()..]);
        }
    }
    if let Some(rest) = defanged.strip_prefix("//") {
        defanged = format!("[/]/{rest}");
    }
    defanged
}

/// Endings that make a bare word a web address worth neutralising ("thanks.com"), without
/// touching ordinary sentences ("done.Thanks").
const COMMON_TLDS: &[&str] = &[
    "com", "net", "org", "io", "co", "uk", "de", "fr", "info", "biz", "xyz", "ru", "cn", "top",
    "online", "site", "app", "dev", "me", "ly", "link", "click", "shop",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(trimmed(&"é".repeat(1000), 1000).is_ok());
        assert!(trimmed(&"é".repeat(1001), 1000).is_err());
    }

    /// Strings drawn from characters at every edge of the rules (white space of each kind,
    /// controls, NUL, `@`, `.`, letters, astral), many of them, deterministically.
    fn samples() -> Vec<String> {
        const POOL: &[char] = &[
            'a', 'Z', '0', ' ', '\t', '\n', '\r', '\u{b}', '\u{c}', '\0', '\u{1}', '\u{1c}',
            '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{200a}',
            '\u{200b}', '\u{2028}', '\u{202f}', '\u{205f}', '\u{3000}', '\u{feff}', '@', '.', '-',
            '_', 'é', '😀', '\u{200d}', '\u{200e}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{061c}',
            '\u{2060}',
        ];
        let mut seed: u64 = 7;
        let mut next = move |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut out: Vec<String> = POOL.iter().map(|c| c.to_string()).collect();
        out.extend(
            [
                "", "a@b.c", " a@b.co ", "a@b", "@b.c", "a@.c", "a b@c.d", "x@y.z\n",
            ]
            .map(String::from),
        );
        for _ in 0..20_000 {
            let len = next(9);
            out.push((0..len).map(|_| POOL[next(POOL.len())]).collect());
            // Shapes close to an address, so both answers come up often.
            let parts: Vec<String> = (0..3)
                .map(|_| (0..1 + next(3)).map(|_| POOL[next(POOL.len())]).collect())
                .collect();
            out.push(format!("{}@{}.{}", parts[0], parts[1], parts[2]));
        }
        out
    }

    /// Every pattern the OpenAPI document states accepts exactly what its rule accepts.
    #[test]
    fn each_stated_pattern_is_its_rule() {
        let text = Regex::new(TEXT_PATTERN).unwrap();
        let name_pattern = Regex::new(NAME_PATTERN).unwrap();
        let optional_text = Regex::new(OPTIONAL_NAME_PATTERN).unwrap();
        let external_id = Regex::new(EXTERNAL_ID_PATTERN).unwrap();
        let handle = Regex::new(HANDLE_PATTERN).unwrap();
        let email = Regex::new(EMAIL_PATTERN).unwrap();
        let optional_email_pattern = Regex::new(OPTIONAL_EMAIL_PATTERN).unwrap();
        let (mut valid_text, mut valid_email) = (0, 0);
        for s in samples() {
            // Lengths are stated as maxLength beside each pattern.
            let short = s.chars().count() <= 8;
            assert_eq!(
                text.is_match(&s) && short,
                trimmed(&s, 8).is_ok(),
                "text {s:?}"
            );
            assert_eq!(
                name_pattern.is_match(&s) && short,
                name(&s, 8).is_ok(),
                "name {s:?}"
            );
            assert_eq!(
                optional_text.is_match(&s) && short,
                optional(Some(&s), 8).is_ok(),
                "optional text {s:?}"
            );
            assert_eq!(
                external_id.is_match(&s),
                is_external_id(&s),
                "external_id {s:?}"
            );
            assert_eq!(email.is_match(&s), email_address(&s).is_ok(), "email {s:?}");
            assert_eq!(
                optional_email_pattern.is_match(&s),
                optional_email(Some(&s), 320).is_ok(),
                "optional email {s:?}"
            );
            assert_eq!(handle.is_match(&s), is_handle(&s), "handle {s:?}");
            valid_text += usize::from(text.is_match(&s));
            valid_email += usize::from(email.is_match(&s));
        }
        assert!(
            valid_text > 1000 && valid_email > 100,
            "{valid_text} {valid_email}"
        );
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
        assert_eq!(neutralise_links("Note: all good"), "Note: all good");
    }

    /// What a browser or chat client would still follow: every form is made inert.
    #[test]
    fn tricky_links_become_inert() {
        for (sent, shown) in [
            ("javascript:alert(1)", "javascript[:]alert(1)"),
            ("JavaScript:alert(1)", "JavaScript[:]alert(1)"),
            (
                "data:text/html;base64,PHNjcmlwdD4=",
                "data[:]text/html;base64,PHNjcmlwdD4=",
            ),
            ("//evil.example/x", "[/]/evil[.]example/x"),
            ("https:/\\evil.example", "https[:]/\\evil[.]example"),
            ("evil\u{ff0e}com", "evil[.]com"),
            ("www\u{3002}evil\u{3002}com", "www[.]evil[.]com"),
            ("(https://evil.example)", "(https[:]//evil[.]example)"),
        ] {
            let out = neutralise_links(sent);
            assert_eq!(out, shown, "{sent:?}");
            assert!(
                !out.contains("://") && !out.contains('.') || out.contains("[.]"),
                "{out}"
            );
        }
    }

    #[test]
    fn names_refuse_invisible_characters_and_messages_direction_overrides() {
        for spoof in [
            "\u{202e}gnp.exe",
            "Admin\u{200b}",
            "Ad\u{2066}min",
            "\u{feff}Bob",
        ] {
            assert!(name(spoof, 200).is_err(), "{spoof:?}");
            assert!(!is_external_id(spoof), "{spoof:?}");
        }
        assert!(optional(Some("\u{200b}"), 20).is_err());
        assert!(trimmed("\u{202e}gnp.exe", 200).is_err());
        assert!(trimmed("a \u{2067}b\u{2069}", 200).is_err());
        // Emoji sequences join with U+200D and stay whole in messages.
        let family = "Thanks \u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467}!";
        assert_eq!(trimmed(family, 200).unwrap(), family);
        assert_eq!(name("Zoë Ødegård", 200).unwrap(), "Zoë Ødegård");
    }

    #[test]
    fn counts_as_sent_and_stores_trimmed() {
        assert_eq!(trimmed("  hi  ", 6).unwrap(), "hi");
        assert!(trimmed("  hi  ", 5).is_err());
        assert!(trimmed("   ", 10).is_err());
        assert_eq!(
            trimmed("line one\r\nline two", 50).unwrap(),
            "line one\r\nline two"
        );
        assert!(trimmed("bell\u{7}", 50).is_err());
        assert_eq!(optional(Some("  "), 10), Ok(None));
        assert_eq!(
            optional_email(Some(" a@b.co "), 10),
            Ok(Some("a@b.co".into()))
        );
    }
}
