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
    fn trims_before_counting() {
        assert_eq!(trimmed("  hi  ", 1, 2).unwrap(), "hi");
        assert!(trimmed("   ", 1, 10).is_err());
    }
}
