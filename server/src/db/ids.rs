//! Typed ids. Every id of the schema is text (a UUIDv4 made by [`super::new_id`]); each kind
//! of id gets its own type, so a wave's id cannot be passed where a unit's is expected, and a
//! `wave_units` snapshot id cannot be mistaken for the roster unit it was copied from. They are
//! stored exactly as the plain strings were: no migration, the same text in every column.

/// Defines a text id: a newtype over `String`, read from and written to `Text` columns of
/// either backend, serialized as the bare string.
macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(transparent)]
        pub struct $name(String);

        // No `Default`: a default id would have to be a fresh random one, which `default()`
        // should not hide.
        #[allow(clippy::new_without_default)]
        impl $name {
            /// A fresh random id (UUIDv4, 36 characters), as every id is made.
            pub fn new() -> $name {
                $name($crate::db::new_id())
            }

            /// An id that comes from outside the database (a signed cookie, a test): whether
            /// such a row exists is the next query's question.
            pub fn from_string(id: String) -> $name {
                $name(id)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(&self.0)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                String::from_sql(bytes).map($name)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.0.as_str().to_sql(out)
            }
        }
    };
}

text_id!(
    /// `waves.id`, and every `wave_id` column.
    WaveId
);
text_id!(
    /// A unit of the roster's tree: `units.id`, `units.parent_id`, `people.unit_id`.
    UnitId
);
text_id!(
    /// A unit of a wave's snapshot of the tree: `wave_units.id` and `parent_id`, and the
    /// `unit_id` of invitations and responses. Never a roster [`UnitId`].
    WaveUnitId
);
text_id!(
    /// `people.id`, `invitations.person_id`.
    PersonId
);
text_id!(
    /// `responses.id`, `answers.response_id`. Closing a wave gives every response a new one
    /// (A3).
    ResponseId
);
text_id!(
    /// `users.id`, and the `user_id` of sessions and API tokens.
    UserId
);
text_id!(
    /// `invitations.id`, and the `invitation_id` of tokens and outbox rows.
    InvitationId
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_are_uuids_shown_and_serialized_as_bare_text() {
        let id = WaveId::new();
        assert_eq!(id.as_str().len(), 36);
        assert!(uuid::Uuid::parse_str(id.as_str()).is_ok());
        assert_ne!(id, WaveId::new());
        let known = UnitId::from_string("u-1".into());
        assert_eq!(known.to_string(), "u-1");
        assert_eq!(format!("[{known:>5}]"), "[  u-1]");
        assert_eq!(serde_json::to_string(&known).unwrap(), "\"u-1\"");
    }
}
