//! One handle over SQLite or PostgreSQL, picked by the URL; the queries are written once.

use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

use crate::error::Result;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever pool `db` holds. The body is compiled once per
/// driver, so each gets its native types; SQL uses `$n` placeholders, which both accept.
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

impl Db {
    /// Connects (creating a SQLite file and its folder if missing) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let db = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Db::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .connect(url)
                    .await?,
            )
        } else {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(std::time::Duration::from_secs(5))
                .foreign_keys(true);
            if let Some(dir) = options.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
                }
            }
            Db::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await?,
            )
        };
        with_pool!(&db, pool => MIGRATOR.run(pool).await?);
        Ok(db)
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A row id for chat, Q&A, polls and logs: microseconds since the epoch × 256 plus 8 random
/// bits, and always above the last one this process made. Ids order messages (several in one second keep their
/// order), need no database sequence (the same SQL on SQLite and PostgreSQL), and two nodes
/// only collide if they pick the same microsecond and the same random bits.
pub(crate) fn next_id() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let candidate = micros * 256 + i64::from(rand::random::<u8>());
    let previous = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(candidate.max(last + 1))
        })
        .expect("the update closure always returns Some");
    candidate.max(previous + 1)
}

#[cfg(test)]
mod tests {
    use super::next_id;

    #[test]
    fn ids_only_grow_even_within_one_microsecond() {
        let ids: Vec<i64> = (0..10_000).map(|_| next_id()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(ids[0] > 0);
    }
}
