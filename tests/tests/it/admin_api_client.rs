//! The one Admin API client, against the fake's leaky bucket: it paces calls by their
//! calculated cost instead of being refused, and turns a missing scope into an alert the
//! merchant can act on.

use entity::alerts;
use reelproof_tests::shopify::{BucketShape, FakeShopify};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use server::services::shop_connection;

#[tokio::test]
async fn two_hundred_calls_ten_times_the_bucket_all_complete_without_one_refusal() {
    let shopify = FakeShopify::start().await;
    // A 100-point bucket refilling 100 a second; each call costs 5: 1 000 points in all.
    shopify.set_bucket(BucketShape { maximum: 100.0, restore_rate: 100.0 }, &[("shop { id }", 5.0)]);
    let app = shopify.connected_app().await;
    let calls = (0..200).map(|_| shop_connection::graphql(app.state(), app.shop_id(), "{ shop { id } }", json!({})));
    let results = futures_util::future::join_all(calls).await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).map(|e| e.to_string()).collect();
    assert!(failed.is_empty(), "every call completes: {failed:?}");
    assert!(results.iter().all(|r| r.as_ref().unwrap()["shop"]["id"].is_string()));
    let (calls, throttled, lowest) = shopify.bucket_report(app.shop().as_str());
    assert_eq!(throttled, 0, "the client waited for points instead of being refused");
    assert_eq!(calls, 200);
    assert!(lowest.is_some_and(|l| l >= 0.0), "the bucket never went negative: {lowest:?}");
    app.finish().await;
}

#[tokio::test]
async fn a_missing_scope_becomes_an_alert_naming_what_to_approve() {
    let shopify = FakeShopify::start().await;
    let app = shopify.connected_app().await;
    let err =
        shop_connection::graphql(app.state(), app.shop_id(), "{ customers(first: 1) { nodes { id } } }", json!({}))
            .await
            .unwrap_err();
    assert!(err.to_string().contains("lacks access"), "{err}");
    let raised = alerts::Entity::find()
        .filter(alerts::Column::ShopId.eq(app.shop_id()))
        .filter(alerts::Column::Kind.eq("admin_api_access"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(raised.len(), 1);
    assert!(raised[0].message.contains("approve the access"), "{}", raised[0].message);
    app.finish().await;
}

#[tokio::test]
async fn credentials_that_no_longer_decrypt_are_cleared_and_the_next_visit_connects_again() {
    let shopify = FakeShopify::start().await;
    let app = shopify.connected_app().await;
    // As after the encryption key changed: the stored values are unreadable with the current key.
    let other_key = server::domain::secrets::EncryptionKey::generate();
    let tokens = server::store::shops::AdminTokens {
        access: other_key.encrypt("shpat_old"),
        refresh: Some(other_key.encrypt("shprt_old")),
        expires_at: Some(app.now() + chrono::Duration::hours(1)),
        scopes: None,
    };
    server::store::shops::set_admin_tokens(app.db(), app.shop_id(), Some(tokens)).await.unwrap();
    let err = shop_connection::graphql(app.state(), app.shop_id(), "{ shop { id } }", json!({})).await.unwrap_err();
    assert!(err.to_string().contains("has not connected"), "{err}");
    let row = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    assert!(row.access_token.is_none() && row.refresh_token.is_none(), "cleared, not failing forever");
    // The merchant's next visit (later than the five minutes between attempts) exchanges a new
    // token.
    app.advance_clock(chrono::Duration::minutes(6));
    app.graphql("{ shop { domain } }", json!({})).await;
    reelproof_tests::wait_for("the shop to be connected again", std::time::Duration::from_secs(30), || async {
        server::store::shops::get(app.db(), app.shop_id()).await.unwrap().filter(|s| s.access_token.is_some())
    })
    .await;
    assert_eq!(shopify.grants_of(app.shop().as_str()).iter().filter(|g| *g == "token-exchange").count(), 2);
    app.finish().await;
}

#[tokio::test]
async fn during_a_key_rotation_credentials_under_the_previous_key_still_work_and_move_to_the_new_one() {
    let shopify = FakeShopify::start().await;
    let previous = server::domain::secrets::EncryptionKey::generate();
    let (base, prev) = (shopify.url(), previous.clone());
    let app = reelproof_tests::TestApp::spawn_with(|c| {
        c.shopify.admin_base = Some(base);
        c.previous_encryption_key = Some(prev);
    })
    .await;
    app.graphql("{ shop { domain } }", json!({})).await;
    let row =
        reelproof_tests::wait_for("the Admin API to be connected", std::time::Duration::from_secs(30), || async {
            server::store::shops::get(app.db(), app.shop_id()).await.unwrap().filter(|s| s.refresh_token.is_some())
        })
        .await;
    // What a server with the previous key had stored.
    let current = &app.state().config().encryption_key;
    let tokens = server::store::shops::AdminTokens {
        access: previous.encrypt(&current.decrypt(row.access_token.as_deref().unwrap()).unwrap()),
        refresh: Some(previous.encrypt(&current.decrypt(row.refresh_token.as_deref().unwrap()).unwrap())),
        expires_at: row.access_token_expires_at,
        scopes: row.scopes.clone(),
    };
    server::store::shops::set_admin_tokens(app.db(), app.shop_id(), Some(tokens)).await.unwrap();
    let data = shop_connection::graphql(app.state(), app.shop_id(), "{ shop { id } }", json!({})).await.unwrap();
    assert!(data["shop"]["id"].is_string(), "read with the previous key");
    // The next refresh writes them under the new key.
    app.advance_clock(chrono::Duration::hours(2));
    shop_connection::graphql(app.state(), app.shop_id(), "{ shop { id } }", json!({})).await.unwrap();
    let row = server::store::shops::get(app.db(), app.shop_id()).await.unwrap().unwrap();
    assert!(current.decrypt(row.refresh_token.as_deref().unwrap()).is_ok(), "now under the current key");
    app.finish().await;
}
