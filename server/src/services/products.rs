//! What Shopify says about a product (its title and image), for the merchant's view of a
//! testimonial. Read through the shop's Admin API when it is connected; nothing is stored, so
//! a renamed product reads right the next time.

use crate::services::shop_connection::{self, ConnectionError};
use crate::state::AppState;
use entity::ShopId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInfo {
    pub title: String,
    pub image_url: Option<String>,
}

const QUERY: &str = "query($id: ID!) { product(id: $id) { title featuredImage { url } } }";

/// The product's title and image; `None` when the shop is not connected, Shopify does not know
/// the product (deleted), or cannot be asked right now — the caller then shows the id.
pub async fn info(state: &AppState, shop_id: ShopId, product_id: i64) -> Option<ProductInfo> {
    let vars = serde_json::json!({ "id": format!("gid://shopify/Product/{product_id}") });
    match shop_connection::graphql(state, shop_id, QUERY, vars).await {
        Ok(data) => {
            let p = data.get("product").filter(|p| !p.is_null())?;
            Some(ProductInfo {
                title: p["title"].as_str()?.to_owned(),
                image_url: p.pointer("/featuredImage/url").and_then(|u| u.as_str()).map(str::to_owned),
            })
        }
        Err(ConnectionError::NotConnected) => None,
        Err(e) => {
            tracing::info!(shop_id = %shop_id, error = %e, "product details unavailable");
            None
        }
    }
}
