//! The store's tests, each run on both backends (see `store::testing`).

mod customers;
mod events;
mod kb;
mod orders;
mod rollups;
mod sessions;
mod tenants;

use store::Store;
pub use store::testing::on_both;

#[test]
fn migrations_run_once_and_reopening_keeps_the_data() {
    on_both(|store, url| async move {
        let t = store
            .create_tenant(&store::NewTenant::new("acme", "Acme", 5, "acme.example"), 1)
            .await
            .unwrap();
        let again = Store::open(&url).await.expect("reopens");
        assert_eq!(again.backend(), store.backend());
        assert_eq!(again.tenant(t.id).await.unwrap(), Some(t));
        again.close().await;
    });
}

#[test]
fn a_bad_url_is_a_clear_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt.block_on(Store::open("")).unwrap_err();
    assert!(
        matches!(
            err,
            store::StoreError::Invalid {
                field: "database",
                ..
            }
        ),
        "{err}"
    );
}
