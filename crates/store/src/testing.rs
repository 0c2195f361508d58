//! Throwaway databases for tests, on both backends: SQLite in a temporary file and
//! PostgreSQL in a database of its own (created and dropped per test). PostgreSQL is
//! required: it runs on every development and CI machine (127.0.0.1:5432, trust auth), and a
//! test that cannot reach it fails rather than skipping, so CI cannot pass without the
//! PostgreSQL half. `HOTLINE_TEST_POSTGRES` overrides the server URL (without a database
//! name).

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::Store;

/// Runs `test` against a fresh SQLite store, then a fresh PostgreSQL one; it also gets the
/// URL the store was opened with.
pub fn on_both<F, Fut>(test: F)
where
    F: Fn(Store, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let dir = tempdir();
        let url = format!("sqlite://{}/data/hotline.db", dir.display());
        let sqlite = Store::open(&url).await.expect("SQLite opens");
        test(sqlite.clone(), url).await;
        sqlite.close().await;
        std::fs::remove_dir_all(&dir).ok();

        let (server, name) = fresh_postgres_database().await;
        let url = format!("{server}/{name}");
        let pg = Store::open(&url).await.expect("PostgreSQL opens");
        test(pg.clone(), url).await;
        pg.close().await;
        drop_postgres_database(&server, &name).await;
    });
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hotline-store-{}", unique()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

pub fn postgres_server() -> String {
    std::env::var("HOTLINE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

async fn admin(server: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{server}/postgres"))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is required for the store tests ({server}): {e}. Start it, or point \
                 HOTLINE_TEST_POSTGRES at a server."
            )
        })
}

pub async fn fresh_postgres_database() -> (String, String) {
    let server = postgres_server();
    let name = format!("hotline_test_{}", unique());
    let admin = admin(&server).await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("CREATE DATABASE");
    admin.close().await;
    (server, name)
}

pub async fn drop_postgres_database(server: &str, name: &str) {
    let admin = admin(server).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .expect("DROP DATABASE");
    admin.close().await;
}
