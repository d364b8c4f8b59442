//! The storefront's reads: published testimonials for a placement, their media, a product's
//! ratings. The SQL filter is built here from `domain::visibility::Placement` and mirrors
//! `domain::visibility::is_visible` term for term; an integration test runs every combination
//! of the rule's inputs through both and requires the same answer.

use crate::domain::visibility::Placement;
use entity::ShopId;
use entity::{
    AssetStatus, SubmissionStatus, testimonial_media_assets as assets, testimonial_submissions as submissions,
};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// `status = approved AND published AND asset ready AND placement matches`, for one shop, on
/// submissions joined with their assets.
fn visible(shop_id: ShopId, placement: Placement) -> Condition {
    let placed = match placement {
        Placement::Home => Condition::all().add(submissions::Column::PlacementHome.eq(true)),
        Placement::Product(pid) => Condition::all()
            .add(submissions::Column::PlacementProduct.eq(true))
            .add(submissions::Column::ProductId.eq(pid)),
    };
    Condition::all()
        .add(submissions::Column::ShopId.eq(shop_id))
        .add(submissions::Column::Status.eq(SubmissionStatus::Approved.as_str()))
        .add(submissions::Column::Published.eq(true))
        .add(assets::Column::ShopId.eq(shop_id))
        .add(assets::Column::ProcessingStatus.eq(AssetStatus::Ready.as_str()))
        .add(placed)
}

/// A page of visible testimonials with their (ready) media: featured first, then the merchant's
/// sort order, then newest published. One query (submissions joined with their assets).
pub async fn page(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    placement: Placement,
    offset: u64,
    limit: u64,
) -> Result<Vec<(submissions::Model, assets::Model)>, DbErr> {
    let rows = submissions::Entity::find()
        .find_also_related(assets::Entity)
        .filter(visible(shop_id, placement))
        .order_by_desc(submissions::Column::Featured)
        .order_by_asc(submissions::Column::SortOrder)
        .order_by_desc(submissions::Column::PublishedAt)
        .order_by_desc(submissions::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(s, a)| Some((s, a?))).collect())
}

/// The ratings (`None` where not rated) of a product's visible testimonials.
pub async fn product_ratings(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    product_id: i64,
) -> Result<Vec<Option<i16>>, DbErr> {
    let rows = submissions::Entity::find()
        .find_also_related(assets::Entity)
        .filter(visible(shop_id, Placement::Product(product_id)))
        .all(db)
        .await?;
    Ok(rows.into_iter().filter(|(_, a)| a.is_some()).map(|(s, _)| s.rating).collect())
}

/// The product's title as the latest order that asked about it named it.
pub async fn product_title(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    product_id: i64,
) -> Result<Option<String>, DbErr> {
    use entity::testimonial_requests as requests;
    requests::Entity::find()
        .select_only()
        .column(requests::Column::ProductTitle)
        .filter(requests::Column::ShopId.eq(shop_id))
        .filter(requests::Column::ProductId.eq(product_id))
        .order_by_desc(requests::Column::CreatedAt)
        .into_tuple()
        .one(db)
        .await
}
