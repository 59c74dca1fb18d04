//! Request extractors that turn every kind of bad input into a problem naming the field.
//!
//! actix-web's own `Json`/`Query` extractors answer with plain-text errors that do not say which
//! field was wrong; these parse with `serde_path_to_error` (so the error knows its path), then run
//! the type's `validator` rules, and answer 400/413/415/422 problems.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::domain::fields;
use crate::error::{ApiError, FieldError};

const NUL_MESSAGE: &str = "must not contain NUL (\\u0000) characters";

/// PostgreSQL text cannot hold a NUL character: refuse a body with one, naming where it is
/// (`external_id`, `[3].email`), instead of letting the database refuse it later as a 500.
/// Only bodies that spell the escape are walked.
fn refuse_nul_characters(body: &[u8]) -> Result<(), ApiError> {
    if !body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Ok(());
    }
    fn find(value: &serde_json::Value, path: &str) -> Option<String> {
        match value {
            serde_json::Value::String(text) if text.contains('\0') => Some(path.to_owned()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| find(item, &format!("{path}[{i}]"))),
            serde_json::Value::Object(fields) => fields.iter().find_map(|(key, field)| {
                if key.contains('\0') {
                    return Some(if path.is_empty() {
                        "body".to_owned()
                    } else {
                        path.to_owned()
                    });
                }
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                find(field, &at)
            }),
            _ => None,
        }
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    match find(&value, "") {
        Some(path) if path.is_empty() => Err(ApiError::invalid("body", NUL_MESSAGE)),
        Some(path) => Err(ApiError::invalid(path, NUL_MESSAGE)),
        None => Ok(()),
    }
}

/// Largest JSON body an ordinary endpoint accepts.
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON object body, parsed with `deny_unknown_fields` types and validated.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(json_body(req.clone(), payload.take(), None).map(|r| r.map(Self)))
    }
}

/// Reads, parses and validates a JSON object body; an empty body is `empty` when one is given
/// (every field optional), else refused.
async fn json_body<T: DeserializeOwned + Validate>(
    req: HttpRequest,
    payload: Payload,
    empty: Option<T>,
) -> Result<T, ApiError> {
    if let Some(empty) = empty {
        let body = read_body(&req, payload, JSON_LIMIT).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(empty);
        }
        require_json(&req)?;
        return json_object(&body);
    }
    require_json(&req)?;
    let body = read_body(&req, payload, JSON_LIMIT).await?;
    json_object(&body)
}

/// Parses and validates a JSON object body.
fn json_object<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ApiError> {
    let read = read_json::<T>(body)?;
    // serde also reads a struct from a positional array (`[[id], "helping_others", "…"]`);
    // the contract speaks only of objects.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    let value = read.map_err(Refused::into_error)?;
    validate(&value)?;
    Ok(value)
}

/// Like [`ValidJson`], for bodies whose every field is optional: no body at all (nothing sent,
/// with or without a content type) means the defaults, as `{}` would.
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Validate + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(json_body(req.clone(), payload.take(), Some(T::default())).map(|r| r.map(Self)))
    }
}

/// Refuses bodies that do not say they are JSON.
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "send the body as application/json (got `{}`)",
            if content_type.is_empty() {
                "nothing"
            } else {
                content_type
            }
        )))
    }
}

/// Reads the whole body, refusing (413) anything over `limit` bytes before buffering it all.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::PayloadTooLarge(format!("the body is over {limit} bytes"));
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && length > limit
    {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::Malformed(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses JSON, naming every field that failed.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    read_json(body)?.map_err(|refused| ApiError::Invalid(refused.errors))
}

/// Parses JSON: a 400 for a body that is not JSON, else `T` or what refused it.
pub fn read_json<T: DeserializeOwned>(body: &[u8]) -> Result<Result<T, Refused<T>>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed(
            "the body is empty; send a JSON object".into(),
        ));
    }
    // Well-formed first, so a body that is not JSON is a 400 wherever it breaks (even after a
    // field that would be refused), and every error of the typed pass below is about a field.
    std::str::from_utf8(body)
        .map_err(|e| ApiError::Malformed(format!("the body is not UTF-8: {e}")))?;
    serde_json::from_slice::<serde::de::IgnoredAny>(body)
        .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    refuse_nul_characters(body)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Ok(match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(read) => Ok(read),
        // A member given twice is ambiguous; a JSON value would keep the last one silently.
        Err(error) if error.inner().to_string().starts_with("duplicate field") => {
            let path = error.path().to_string();
            Err(Refused::new(single(field_error(
                &path,
                &error.into_inner().to_string(),
            ))))
        }
        Err(_) => {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
            from_json_value(value)
        }
    })
}

/// A request refused while it was read: every field error found, and, when only text broke
/// its rules, the request read with that text as sent (`domain::fields::as_sent`), so the
/// rules about the rest can name their fields in the same answer.
#[derive(Debug)]
pub struct Refused<T> {
    pub errors: Vec<FieldError>,
    pub as_sent: Option<T>,
}

impl<T> Refused<T> {
    fn new(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            as_sent: None,
        }
    }
}

impl<T: Validate> Refused<T> {
    /// The answer: what reading found, and what validating the rest finds.
    pub fn into_error(self) -> ApiError {
        let mut errors = self.errors;
        if let Some(as_sent) = &self.as_sent
            && let Err(ApiError::Invalid(more)) = validate(as_sent)
        {
            for error in more {
                if !errors.iter().any(|e| e.field == error.field) {
                    errors.push(error);
                }
            }
        }
        ApiError::Invalid(errors)
    }
}

/// The one field error `field_error` makes.
fn single(error: ApiError) -> Vec<FieldError> {
    match error {
        ApiError::Invalid(fields) => fields,
        other => vec![FieldError::new("body", other.to_string())],
    }
}

/// Most fields one answer names. Each one named costs another reading of the request, so a
/// body of thousands of unknown fields is named in part, not read thousands of times.
pub const MAX_FIELD_ERRORS: usize = 20;

/// Reads `T` from a JSON value and names every field that fails, not only the first: serde
/// stops at the first bad field (a text type refuses while it is read), so each failing field
/// is set aside and the rest read again, until all that is left reads or a failure cannot be
/// set aside (inside an array, or a required field already named).
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Refused<T>> {
    let error = match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(read) => return Ok(read),
        Err(error) => error,
    };
    let sent = value.clone();
    let mut value = value;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next.take()
        && errors.len() < MAX_FIELD_ERRORS
    {
        let message = error.inner().to_string();
        let mut keys = object_keys(error.path());
        let field = single(field_error(&error.path().to_string(), &message)).remove(0);
        if errors.iter().any(|e| e.field == field.field) {
            break;
        }
        errors.push(field);
        // serde puts an unknown field on the path of the object holding it, or (from a JSON
        // value) on its own path.
        if let Some(name) = unknown_field(&message)
            && let Some(keys) = keys.as_mut()
            && keys.last().map(String::as_str) != Some(name)
        {
            keys.push(name.to_owned());
        }
        if keys.is_some_and(|keys| remove_at(&mut value, &keys)) {
            next = serde_path_to_error::deserialize::<_, T>(&value).err();
        }
    }
    Err(Refused {
        errors,
        // What was sent, or failing that what is left without the fields named.
        as_sent: fields::as_sent(|| {
            T::deserialize(&sent)
                .or_else(|_| T::deserialize(&value))
                .ok()
        }),
    })
}

/// The object keys leading to a failure, if it lies outside every array.
fn object_keys(path: &serde_path_to_error::Path) -> Option<Vec<String>> {
    path.iter()
        .map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

/// The field an "unknown field" error names.
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// Removes the member at `keys`; false when there is none.
fn remove_at(value: &mut serde_json::Value, keys: &[String]) -> bool {
    let Some((last, parents)) = keys.split_last() else {
        return false;
    };
    let mut object = value;
    for key in parents {
        match object.get_mut(key) {
            Some(inner) => object = inner,
            None => return false,
        }
    }
    object
        .as_object_mut()
        .is_some_and(|members| members.remove(last).is_some())
}

/// Like [`from_json_value`], for flat key-value input (a query string, a CSV line): `read`
/// is tried on the pairs, and a failing key is set aside until what is left reads. `tidy`
/// adapts the format's messages.
pub fn from_pairs<T, P: Clone, E: std::fmt::Display>(
    pairs: Vec<(String, P)>,
    read: impl Fn(&[(String, P)]) -> Result<T, serde_path_to_error::Error<E>>,
    tidy: impl Fn(String) -> String,
) -> Result<T, Refused<T>> {
    let error = match read(&pairs) {
        Ok(read) => return Ok(read),
        Err(error) => error,
    };
    let mut left = pairs.clone();
    let mut errors: Vec<FieldError> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next.take()
        && errors.len() < MAX_FIELD_ERRORS
    {
        let path = error.path().to_string();
        let message = tidy(error.into_inner().to_string());
        let field = single(field_error(&path, &message)).remove(0);
        if errors.iter().any(|e| e.field == field.field) {
            break;
        }
        let key = unknown_field(&message).map_or(path, str::to_owned);
        errors.push(field);
        let before = left.len();
        left.retain(|(k, _)| *k != key);
        if left.len() < before {
            next = read(&left).err();
        }
    }
    Err(Refused {
        errors,
        as_sent: fields::as_sent(|| read(&pairs).or_else(|_| read(&left)).ok()),
    })
}

/// Turns a serde message into a field error. serde reports an unknown field at the path of the
/// object that holds it, so the field's own name is taken from the message.
pub fn field_error(path: &str, message: &str) -> ApiError {
    let message = strip_position(message);
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(name) = rest.split('`').next()
    {
        // Map-like formats (query strings) already put the unknown key on the path.
        let field = if path == "." || path.is_empty() {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return ApiError::invalid(
            field,
            format!(
                "unknown field; {}",
                message.split_once(", ").map_or("", |(_, r)| r)
            ),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        let field = if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return ApiError::invalid(field, "is required");
    }
    let field = if path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    ApiError::invalid(field, message)
}

/// serde_json appends " at line 1 column 17"; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Runs the type's validation rules and reports every failing field.
pub fn validate<T: Validate>(value: &T) -> Result<(), ApiError> {
    value.validate().map_err(|errors| {
        let mut fields = Vec::new();
        flatten_validation("", &errors, &mut fields);
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::Invalid(fields)
    })
}

fn flatten_validation(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("fails the `{}` rule", error.code));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validation(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_validation(&format!("{path}[{index}]"), inner, out);
                }
            }
        }
    }
}

/// Query parameters, parsed with `deny_unknown_fields` types and validated.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Self))
    }
}

pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    // PostgreSQL text cannot hold NUL, and no parameter has a use for one.
    if let Some((key, _)) =
        form_urlencoded::parse(query.as_bytes()).find(|(_, value)| value.contains('\0'))
    {
        return Err(ApiError::invalid(key.into_owned(), NUL_MESSAGE));
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let value: T = from_pairs(
        pairs,
        |pairs| {
            let encoded = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            let deserializer =
                serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
            serde_path_to_error::deserialize(deserializer)
        },
        // Query values arrive as strings; serde's message names the expected type.
        |message| message.replace("invalid type: string ", "invalid value "),
    )
    .map_err(Refused::into_error)?;
    validate(&value)?;
    Ok(value)
}

/// The `Shoutout-Consistency` header a client sends back after a write (see
/// `db::replicas`): the read must see at least that much of the primary's log. Absent: any
/// healthy replica will do. Unreadable: a 422 naming the header.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadAfter(pub Option<crate::db::replicas::Lsn>);

impl FromRequest for ReadAfter {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        use crate::db::replicas::{HEADER, Lsn};
        std::future::ready(match req.headers().get(HEADER) {
            None => Ok(Self(None)),
            Some(value) => value
                .to_str()
                .ok()
                .and_then(Lsn::parse)
                .map(|lsn| Self(Some(lsn)))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "Shoutout-Consistency",
                        "must be the value a write answered with, such as 16/B374D848",
                    )
                }),
        })
    }
}
