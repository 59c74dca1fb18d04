//! The languages of the public pages: one Fluent catalogue per language in `locales/`
//! (`en.ftl`, `es.ftl`...), embedded at build time by `build.rs`, so adding a language is
//! adding one file. Each catalogue names itself (`language-name`) and the locales its dates
//! and numbers follow (`locale-date`, `locale-number`), besides the pages' messages.
//!
//! A page's language is the one the visitor picked (`?lang=`, carried by the form), else the
//! best match for their `Accept-Language`, else English. A message missing from a catalogue
//! falls back to English (the suite checks that none is missing).

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{NegotiationStrategy, accepted_languages, negotiate_languages};
use unic_langid::LanguageIdentifier;

include!(concat!(env!("OUT_DIR"), "/catalogues.rs"));

/// The language of a visitor who asks for none we have.
pub const DEFAULT: &str = "en";

pub struct Language {
    /// The catalogue's file name: `en`, `pt`...
    pub tag: &'static str,
    id: LanguageIdentifier,
    bundle: FluentBundle<FluentResource>,
    /// The language's own name for itself, for the picker.
    pub name: String,
    date_locale: chrono::Locale,
    number_locale: num_format::Locale,
}

impl std::fmt::Debug for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Language").field("tag", &self.tag).finish()
    }
}

/// A value for a message's placeable.
pub enum Arg<'a> {
    Text(&'a str),
    Count(u64),
}

static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| {
    CATALOGUES
        .iter()
        .map(|&(tag, source)| {
            load(tag, source).unwrap_or_else(|e| panic!("locales/{tag}.ftl: {e}"))
        })
        .collect()
});

fn load(tag: &'static str, source: &str) -> Result<Language, String> {
    let id: LanguageIdentifier = tag
        .parse()
        .map_err(|e| format!("not a language tag: {e}"))?;
    let resource =
        FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| format!("{errors:?}"))?;
    let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
    // The pages are HTML that maud escapes; Unicode isolation marks would only show up as
    // stray characters in titles and attributes.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .map_err(|errors| format!("{errors:?}"))?;
    let plain = |key: &str| -> Result<String, String> {
        let message = bundle.get_message(key).and_then(|m| m.value());
        let pattern = message.ok_or_else(|| format!("has no `{key}`"))?;
        let mut errors = Vec::new();
        Ok(bundle
            .format_pattern(pattern, None, &mut errors)
            .into_owned())
    };
    let name = plain("language-name")?;
    let date_locale = chrono::Locale::try_from(plain("locale-date")?.as_str())
        .map_err(|_| "`locale-date` is not a locale chrono knows (e.g. pt_BR)".to_owned())?;
    let number_locale = num_format::Locale::from_name(plain("locale-number")?)
        .map_err(|e| format!("`locale-number`: {e}"))?;
    Ok(Language {
        tag,
        id,
        bundle,
        name,
        date_locale,
        number_locale,
    })
}

/// Every language, in file-name order.
pub fn all() -> &'static [Language] {
    &LANGUAGES
}

pub fn get(tag: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.tag == tag)
}

fn default() -> &'static Language {
    get(DEFAULT).expect("locales/en.ftl exists")
}

/// The page's language: `chosen` if we have it, else the best for `accept_language`.
pub fn negotiate(chosen: Option<&str>, accept_language: Option<&str>) -> &'static Language {
    if let Some(language) = chosen.and_then(get) {
        return language;
    }
    let requested = accepted_languages::parse(accept_language.unwrap_or(""));
    let available: Vec<LanguageIdentifier> = LANGUAGES.iter().map(|l| l.id.clone()).collect();
    let default_id = default().id.clone();
    let best = negotiate_languages(
        &requested,
        &available,
        Some(&default_id),
        NegotiationStrategy::Lookup,
    );
    best.first()
        .and_then(|id| LANGUAGES.iter().find(|l| &l.id == *id))
        .unwrap_or_else(default)
}

impl Language {
    /// A message with no placeables.
    pub fn t(&self, key: &str) -> String {
        self.t_with(key, &[])
    }

    /// A message with its placeables filled in.
    pub fn t_with(&self, key: &str, args: &[(&str, Arg)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, arg) in args {
            match arg {
                Arg::Text(text) => fluent_args.set(*name, FluentValue::from(*text)),
                Arg::Count(n) => fluent_args.set(*name, FluentValue::from(*n)),
            }
        }
        let found = self
            .bundle
            .get_message(key)
            .and_then(|m| m.value())
            .map(|pattern| (&self.bundle, pattern))
            .or_else(|| {
                let english = default();
                english
                    .bundle
                    .get_message(key)
                    .and_then(|m| m.value())
                    .map(|pattern| (&english.bundle, pattern))
            });
        match found {
            Some((bundle, pattern)) => {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(
                        language = self.tag,
                        key,
                        ?errors,
                        "message formatted with errors"
                    );
                }
                text.into_owned()
            }
            None => {
                // A page asking for a message no catalogue has is a bug the suite must see.
                debug_assert!(false, "no catalogue has the message `{key}`");
                key.to_owned()
            }
        }
    }

    /// A whole number as the language writes it (1,000 / 1.000 / 1 000).
    pub fn number(&self, n: u64) -> String {
        use num_format::ToFormattedString;
        n.to_formatted_string(&self.number_locale)
    }

    /// A day as the language writes it in a sentence ("Monday 7 December").
    pub fn date(&self, day: NaiveDate) -> String {
        day.format_localized(&self.t("date-format"), self.date_locale)
            .to_string()
    }
}

/// The first working day (Monday to Friday) after `day`.
pub fn next_working_day(day: NaiveDate) -> NaiveDate {
    let mut next = day.succ_opt().expect("not the end of time");
    while matches!(next.weekday(), Weekday::Sat | Weekday::Sun) {
        next = next.succ_opt().expect("not the end of time");
    }
    next
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// A catalogue's message and attribute ids, and the variables each uses.
    fn messages(source: &str) -> BTreeSet<(String, BTreeSet<String>)> {
        let variable = regex::Regex::new(r"\$([a-z_]+)").unwrap();
        let mut out = BTreeSet::new();
        let mut current: Option<(String, String)> = None;
        for line in source.lines().chain(std::iter::once("")) {
            let starts_message = line
                .split_once(" =")
                .filter(|(id, _)| {
                    !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
                .map(|(id, rest)| (id.to_owned(), rest.to_owned()));
            if starts_message.is_some() || line.trim().is_empty() || line.starts_with('#') {
                if let Some((id, text)) = current.take() {
                    let vars = variable
                        .captures_iter(&text)
                        .map(|c| c[1].to_owned())
                        .collect();
                    out.insert((id, vars));
                }
                current = starts_message;
            } else if let Some((_, text)) = current.as_mut() {
                text.push_str(line);
            }
        }
        out
    }

    #[test]
    fn every_catalogue_has_every_message_with_the_same_placeables() {
        let english = messages(CATALOGUES.iter().find(|(t, _)| *t == "en").unwrap().1);
        assert!(english.len() > 40, "{}", english.len());
        for (tag, source) in CATALOGUES {
            let theirs = messages(source);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{tag}: missing or different {missing:?}; not in English {extra:?}"
            );
        }
    }

    #[test]
    fn every_catalogue_loads_and_names_itself() {
        assert!(all().len() >= 5);
        let names: BTreeSet<_> = all().iter().map(|l| l.name.clone()).collect();
        assert_eq!(names.len(), all().len(), "two languages share a name");
    }

    #[test]
    fn the_visitor_s_languages_pick_the_page_s() {
        assert_eq!(negotiate(None, Some("de-CH, de;q=0.9, en;q=0.5")).tag, "de");
        assert_eq!(negotiate(None, Some("pt-BR,pt;q=0.9")).tag, "pt");
        assert_eq!(negotiate(None, Some("ja, fr;q=0.4")).tag, "fr");
        assert_eq!(negotiate(None, Some("ja")).tag, "en");
        assert_eq!(negotiate(None, None).tag, "en");
        assert_eq!(negotiate(Some("es"), Some("de")).tag, "es");
        assert_eq!(negotiate(Some("xx"), Some("fr")).tag, "fr");
    }

    #[test]
    fn numbers_and_dates_follow_the_language() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(get("en").unwrap().number(1000), "1,000");
        assert_eq!(get("de").unwrap().number(1000), "1.000");
        assert_eq!(get("en").unwrap().date(day), "Monday 7 December");
        assert_eq!(get("de").unwrap().date(day), "Montag, 7. Dezember");
        assert_eq!(get("es").unwrap().date(day), "lunes, 7 de diciembre");
        assert_eq!(get("fr").unwrap().date(day), "lundi 7 décembre");
        assert_eq!(get("pt").unwrap().date(day), "segunda, 7 de dezembro");
    }

    #[test]
    fn plurals_follow_the_language() {
        let en = get("en").unwrap();
        assert_eq!(
            en.t_with("wait-minutes", &[("n", Arg::Count(1))]),
            "a minute"
        );
        assert_eq!(
            en.t_with("wait-minutes", &[("n", Arg::Count(5))]),
            "5 minutes"
        );
        let fr = get("fr").unwrap();
        assert_eq!(
            fr.t_with("wait-minutes", &[("n", Arg::Count(5))]),
            "5 minutes"
        );
    }

    #[test]
    fn the_next_working_day_skips_the_weekend() {
        let friday = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(
            next_working_day(friday),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(
            next_working_day(monday),
            NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
        );
    }
}
