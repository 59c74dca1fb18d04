//! Bulk imports, row by row: a JSON array or a CSV table parsed so that one answer can name
//! every bad row (`[3].email`), each row on its own. Shared by the directory and history
//! imports.

use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{self, Refused};

/// Largest import accepted, in rows and in bytes.
pub const IMPORT_MAX_ROWS: usize = 10_000;
pub const IMPORT_MAX_BYTES: usize = 5 * 1024 * 1024;

/// Most field errors one import answer lists.
pub const IMPORT_MAX_ERRORS: usize = 100;

/// One parsed import row, or what refused it, its errors naming fields as `[index].field`.
pub type ImportRow<T> = Result<T, Refused<T>>;

/// Places a row's field errors at the row: `[index].field`, or `[index]` for the row as a
/// whole.
fn at_index<T>(index: usize, mut refused: Refused<T>) -> Refused<T> {
    refused.errors = refused
        .errors
        .into_iter()
        .map(|f| {
            let field = if f.field == "body" {
                format!("[{index}]")
            } else {
                format!("[{index}].{}", f.field)
            };
            FieldError::new(field, f.message)
        })
        .collect();
    refused
}

/// A JSON array, each element parsed on its own.
fn parse_json_rows<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<Vec<ImportRow<T>>> {
    let values: Vec<serde_json::Value> = extract::parse_json(body)?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            // serde reads a struct from a positional array too; a row is an object.
            if !value.is_object() {
                let refused = Refused {
                    errors: vec![FieldError::new("body", "must be a JSON object")],
                    as_sent: None,
                };
                return Err(at_index(index, refused));
            }
            extract::from_json_value(value).map_err(|refused| at_index(index, refused))
        })
        .collect())
}

/// Refuses a CSV table with a column not in `known`, naming each such column once.
pub fn check_csv_columns(body: &[u8], known: &[&str]) -> ApiResult<()> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::Malformed(format!("the CSV header line is unreadable: {e}")))?;
    let unknown: Vec<FieldError> = headers
        .iter()
        .filter(|h| !known.contains(h))
        .map(|h| {
            FieldError::new(
                h.to_owned(),
                format!("unknown column; the columns are {}", known.join(", ")),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(unknown))
    }
}

/// CSV with a header line, each line parsed on its own. An empty cell is "not given": absent
/// from the row, so an optional column may be left empty and a required one is named.
fn parse_csv<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<Vec<ImportRow<T>>> {
    use serde::de::value::MapDeserializer;

    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::Malformed(format!("the CSV header line is unreadable: {e}")))?
        .clone();
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = match record {
            Err(error) => Err(Refused {
                errors: vec![FieldError::new(
                    format!("[{index}]"),
                    csv_message(&error.to_string()),
                )],
                as_sent: None,
            }),
            Ok(record) => {
                let cells: Vec<(String, &str)> = headers
                    .iter()
                    .zip(record.iter())
                    .filter(|(_, cell)| !cell.is_empty())
                    .map(|(column, cell)| (column.to_owned(), cell))
                    .collect();
                let read = |cells: &[(String, &str)]| {
                    let cells = cells
                        .iter()
                        .map(|(column, cell)| (column.as_str(), CsvCell(cell)));
                    let deserializer = MapDeserializer::<_, serde::de::value::Error>::new(cells);
                    serde_path_to_error::deserialize(deserializer)
                };
                extract::from_pairs(cells, read, |message| message)
                    .map_err(|refused| at_index(index, refused))
            }
        };
        rows.push(row);
    }
    Ok(rows)
}

/// The csv crate prefixes positions ("CSV error: record 1 (line: 2, byte: 46): ...");
/// the field path already says which row.
fn csv_message(message: &str) -> String {
    message.rsplit("): ").next().unwrap_or(message).to_owned()
}

/// One CSV cell for serde: text, read as a boolean or a number when the field wants one.
struct CsvCell<'a>(&'a str);

impl<'de> serde::de::IntoDeserializer<'de, serde::de::value::Error> for CsvCell<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! csv_number {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(fn $method<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.0.trim().parse::<$ty>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(serde::de::Error::custom(format!(
                    "`{}` is not a number of the right kind", self.0
                ))),
            }
        })*
    };
}

impl<'de> serde::Deserializer<'de> for CsvCell<'de> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_bool<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let cell = self.0.trim();
        if cell.eq_ignore_ascii_case("true") {
            visitor.visit_bool(true)
        } else if cell.eq_ignore_ascii_case("false") {
            visitor.visit_bool(false)
        } else {
            Err(serde::de::Error::custom(format!(
                "`{cell}` is not `true` or `false`"
            )))
        }
    }

    csv_number! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(serde::de::IntoDeserializer::<Self::Error>::into_deserializer(self.0))
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}

/// Parses an import body (CSV when `csv`, else a JSON array), refusing an empty file and one
/// over [`IMPORT_MAX_ROWS`].
pub fn parse<T: serde::de::DeserializeOwned>(
    body: &[u8],
    csv: bool,
) -> ApiResult<Vec<ImportRow<T>>> {
    let rows: Vec<ImportRow<T>> = if csv {
        parse_csv(body)?
    } else {
        parse_json_rows(body)?
    };
    if rows.is_empty() {
        return Err(ApiError::invalid("body", "there are no rows to import"));
    }
    if rows.len() > IMPORT_MAX_ROWS {
        return Err(ApiError::invalid(
            "body",
            format!(
                "at most {IMPORT_MAX_ROWS} rows per import (got {}); split the file",
                rows.len()
            ),
        ));
    }
    Ok(rows)
}

/// Places a row's database error at that row: `[index].field`.
pub fn at_row(index: usize, error: ApiError) -> ApiError {
    match error {
        ApiError::Invalid(fields) | ApiError::Conflict(_, fields) => ApiError::Invalid(
            fields
                .into_iter()
                .map(|f| FieldError::new(format!("[{index}].{}", f.field), f.message))
                .collect(),
        ),
        other => other,
    }
}
