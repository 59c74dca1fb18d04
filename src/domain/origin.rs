//! Page origins an admin lists for a widget key or in `SHOUTOUT_CORS_ORIGINS`: checked and
//! normalised once, with the rule stated as the pattern the OpenAPI document carries.

use std::sync::LazyLock;

use regex::Regex;

/// What `normalise_origin` accepts, as the OpenAPI document states it: a scheme, a host name
/// or IPv4 address, and a port.
pub const ORIGIN_PATTERN: &str =
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::[0-9]{1,5})?/*$";
/// The longest origin, in characters.
pub const ORIGIN_MAX: usize = 300;

static ORIGIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(ORIGIN_PATTERN).expect("the pattern compiles"));

/// Checks and normalises an origin an admin lists for a key: `https://host[:port]`, lower case,
/// no path (`ORIGIN_PATTERN`, at most `ORIGIN_MAX` characters).
pub fn normalise_origin(text: &str) -> Result<String, &'static str> {
    if text.chars().count() > ORIGIN_MAX {
        return Err("must be at most 300 characters");
    }
    if !ORIGIN.is_match(text) {
        let lower = text.to_ascii_lowercase();
        return Err(
            if lower.starts_with("https://") || lower.starts_with("http://") {
                "must be an origin: scheme and host (and port), without a path"
            } else {
                "must start with https:// or http://"
            },
        );
    }
    Ok(text.trim_end_matches('/').to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_or_refused() {
        assert_eq!(
            normalise_origin("HTTPS://Intranet.Example.com/").unwrap(),
            "https://intranet.example.com"
        );
        assert_eq!(
            normalise_origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        assert!(normalise_origin("intranet.example.com").is_err());
        assert!(normalise_origin("https://example.com/path").is_err());
        assert!(normalise_origin("https://").is_err());
        assert!(normalise_origin("*").is_err());
        assert!(normalise_origin(" https://example.com").is_err());
    }

    #[test]
    fn the_stated_pattern_is_the_rule() {
        let pattern = regex::Regex::new(ORIGIN_PATTERN).unwrap();
        for origin in [
            "https://intranet.example.com",
            "HTTP://LOCALHOST:3000//",
            "https://[::1]:8443",
            "http://[",
            "https://10.0.0.1:8080/",
            "https://a..b",
            "https://",
            "https://example.com/path",
            "ftp://example.com",
            " https://example.com",
            "https://exa mple.com",
            "https://é.example",
        ] {
            assert_eq!(
                pattern.is_match(origin),
                normalise_origin(origin).is_ok(),
                "{origin:?}"
            );
        }
    }
}
