//! Capture tokens against the real database: only the hash is stored, the hash finds the
//! request, a tampered token finds nothing, and hashes are unique.

use entity::RequestStatus;
use reelproof_tests::{TestApp, fixtures};
use sea_orm::EntityTrait;
use server::domain::tokens::{CaptureToken, TokenHash};
use server::store::requests;

#[tokio::test]
async fn the_database_holds_only_the_hash_and_the_hash_finds_the_request() {
    let app = TestApp::spawn().await;
    let db = app.db();
    let campaign = fixtures::campaign(db, app.shop_id()).await;
    let token = CaptureToken::generate();
    let req = fixtures::request(db, app.shop_id(), campaign.id, 1, &token.hash(), RequestStatus::Sent).await;

    // Nowhere in the row is the raw token; the hash column holds SHA-256 hex.
    let rows = entity::testimonial_requests::Entity::find().all(db).await.unwrap();
    assert_eq!(rows.len(), 1);
    let dump = serde_json::to_string(&rows[0]).unwrap();
    assert!(!dump.contains(token.expose()), "raw token stored: {dump}");
    assert_eq!(rows[0].token_hash, token.hash().as_str());
    assert_eq!(rows[0].token_hash.len(), 64);

    // The link's token finds it; a tampered or unknown one does not.
    let presented = CaptureToken::parse(token.expose()).unwrap();
    let found = requests::find_by_token_hash_all_shops(db, &presented.hash()).await.unwrap().unwrap();
    assert_eq!(found.id, req.id);
    assert!(TokenHash::from_stored(found.token_hash).matches(token.expose()));
    let mut tampered = token.expose().to_owned();
    let last = if tampered.ends_with('A') { "B" } else { "A" };
    tampered.replace_range(42..43, last);
    if let Ok(t) = CaptureToken::parse(&tampered) {
        assert!(requests::find_by_token_hash_all_shops(db, &t.hash()).await.unwrap().is_none());
    }
    assert!(requests::find_by_token_hash_all_shops(db, &CaptureToken::generate().hash()).await.unwrap().is_none());
    app.finish().await;
}

#[tokio::test]
async fn token_hashes_are_unique_in_the_database() {
    let app = TestApp::spawn().await;
    let db = app.db();
    let campaign = fixtures::campaign(db, app.shop_id()).await;
    let hash = CaptureToken::generate().hash();
    fixtures::request(db, app.shop_id(), campaign.id, 1, &hash, RequestStatus::Sent).await;
    let dup = fixtures::try_request(db, app.shop_id(), campaign.id, 2, &hash, RequestStatus::Sent).await;
    assert!(dup.is_err(), "a second row with the same token hash must be refused");
    app.finish().await;
}
