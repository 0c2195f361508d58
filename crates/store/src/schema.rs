//! The database's shape as the migrations left it — tables with their columns, and the
//! indexes made on purpose — read back from the database itself, so a test can hold the
//! SQLite and PostgreSQL migrations to the same schema.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use crate::{Db, Store, StoreError};

/// Tables by name with their columns, and `(table, index)` pairs; names in lower case. The
/// migrations' own table and the indexes a backend makes by itself for primary keys and
/// unique constraints are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<String, BTreeSet<String>>,
    pub indexes: BTreeSet<(String, String)>,
}

impl Store {
    pub async fn schema(&self) -> Result<Schema, StoreError> {
        // (table, column) and (table, index) pairs.
        type Pairs = Vec<(String, String)>;
        let (columns, indexes): (Pairs, Pairs) = match &self.db {
            Db::Sqlite(pool) => {
                let columns = sqlx::query(
                    "SELECT m.name AS t, c.name AS c FROM sqlite_master m, pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("t")?, r.try_get("c")?)))
                .collect::<Result<_, sqlx::Error>>()?;
                let indexes = sqlx::query(
                    "SELECT tbl_name AS t, name AS i FROM sqlite_master \
                     WHERE type = 'index' AND sql IS NOT NULL",
                )
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("t")?, r.try_get("i")?)))
                .collect::<Result<_, sqlx::Error>>()?;
                (columns, indexes)
            }
            Db::Postgres(pool) => {
                let columns = sqlx::query(
                    "SELECT table_name::text AS t, column_name::text AS c \
                     FROM information_schema.columns WHERE table_schema = current_schema()",
                )
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("t")?, r.try_get("c")?)))
                .collect::<Result<_, sqlx::Error>>()?;
                // Indexes not backing a constraint (primary keys, UNIQUE in a table).
                let indexes = sqlx::query(
                    "SELECT t.relname::text AS t, i.relname::text AS i \
                     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                     JOIN pg_class t ON t.oid = x.indrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     WHERE n.nspname = current_schema() \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                )
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("t")?, r.try_get("i")?)))
                .collect::<Result<_, sqlx::Error>>()?;
                (columns, indexes)
            }
        };
        let mut schema = Schema {
            tables: BTreeMap::new(),
            indexes: BTreeSet::new(),
        };
        for (t, c) in columns {
            if t != "_sqlx_migrations" {
                schema
                    .tables
                    .entry(t.to_lowercase())
                    .or_default()
                    .insert(c.to_lowercase());
            }
        }
        for (t, i) in indexes {
            if t != "_sqlx_migrations" {
                schema.indexes.insert((t.to_lowercase(), i.to_lowercase()));
            }
        }
        Ok(schema)
    }
}
