//! The one type for the JSON kept in text columns (report attributes of people, waves,
//! invitations and responses). Reading a value that is not the JSON expected fails the query
//! with the reason, instead of passing for an empty value.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::sql_types::Text;
use serde::de::DeserializeOwned;

/// JSON of `T` in a text column.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromSqlRow)]
pub struct Json<T>(pub T);

impl<T, DB> FromSql<Text, DB> for Json<T>
where
    T: DeserializeOwned,
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        serde_json::from_str(&text)
            .map(Json)
            .map_err(|e| format!("a JSON column holds something else: {e}").into())
    }
}

/// Report attributes of a person, invitation or response: attribute name -> value.
pub type Attributes = Json<std::collections::BTreeMap<String, String>>;
