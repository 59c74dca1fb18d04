//! PostgreSQL enums mapped to Rust enums, with their serde, OpenAPI and diesel impls in one place.

/// Declares a Rust enum that mirrors a PostgreSQL enum type: each variant's snake_case code is
/// both its JSON form and its database label.
macro_rules! pg_enum {
    (
        $(#[$meta:meta])*
        $name:ident => $sql_type:path { $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[serde(rename_all = "snake_case")]
        #[diesel(sql_type = $sql_type)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl diesel::serialize::ToSql<$sql_type, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                std::io::Write::write_all(out, self.code().as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<$sql_type, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let code = std::str::from_utf8(bytes.as_bytes())?;
                $name::from_code(code).ok_or_else(|| {
                    format!("unknown {} `{code}`", stringify!($name)).into()
                })
            }
        }
    };
}

pub(crate) use pg_enum;

pg_enum! {
    /// Who gave a shout-out.
    ShoutoutSource => crate::schema::sql_types::ShoutoutSource {
        Staff = "staff",
        Customer = "customer",
    }
}

pg_enum! {
    /// Where a shout-out is in its life: only `published` ones are shown and counted.
    ShoutoutStatus => crate::schema::sql_types::ShoutoutStatus {
        Published = "published",
        Pending = "pending",
        Rejected = "rejected",
        Retracted = "retracted",
    }
}

/// Who may see a shout-out: everyone (`public`), or only its giver, the people thanked, their
/// managers and admins (`private`). Chosen when it is given.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

impl Visibility {
    /// As stored (`shoutouts.visibility`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    /// From the stored text; anything but `private` is public (the column's check allows no
    /// other value).
    pub fn from_stored(text: &str) -> Self {
        if text == "private" {
            Self::Private
        } else {
            Self::Public
        }
    }
}
