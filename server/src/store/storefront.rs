//! The storefront's reads: published testimonials for a placement, their media, a product's
//! ratings. The SQL filter is built here from `domain::visibility::Placement` and mirrors
//! `domain::visibility::is_visible` term for term; an integration test runs every combination
//! of the rule's inputs through both and requires the same answer.

use crate::domain::visibility::Placement;
use entity::{
    AssetStatus, SubmissionStatus, testimonial_media_assets as assets, testimonial_submissions as submissions,
};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

/// `status = approved AND published AND asset ready AND placement matches`, for one shop.
fn visible(shop_id: Uuid, placement: Placement) -> Condition {
    let ready_assets = Query::select()
        .column(assets::Column::SubmissionId)
        .from(assets::Entity)
        .and_where(assets::Column::ShopId.eq(shop_id))
        .and_where(assets::Column::ProcessingStatus.eq(AssetStatus::Ready.as_str()))
        .to_owned();
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
        .add(submissions::Column::Id.in_subquery(ready_assets))
        .add(placed)
}

/// A page of visible testimonials with their (ready) media: featured first, then the merchant's
/// sort order, then newest published. Two queries, whatever the page size.
pub async fn page(
    db: &impl ConnectionTrait,
    shop_id: Uuid,
    placement: Placement,
    offset: u64,
    limit: u64,
) -> Result<Vec<(submissions::Model, assets::Model)>, DbErr> {
    let rows = submissions::Entity::find()
        .filter(visible(shop_id, placement))
        .order_by_desc(submissions::Column::Featured)
        .order_by_asc(submissions::Column::SortOrder)
        .order_by_desc(submissions::Column::PublishedAt)
        .order_by_desc(submissions::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|s| s.id).collect();
    let media = super::media_assets::for_submissions(db, shop_id, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|s| {
            let a = media.iter().find(|a| a.submission_id == s.id && a.processing_status == AssetStatus::Ready)?;
            Some((s, a.clone()))
        })
        .collect())
}

/// The ratings (`None` where not rated) of a product's visible testimonials.
pub async fn product_ratings(
    db: &impl ConnectionTrait,
    shop_id: Uuid,
    product_id: i64,
) -> Result<Vec<Option<i16>>, DbErr> {
    submissions::Entity::find()
        .select_only()
        .column(submissions::Column::Rating)
        .filter(visible(shop_id, Placement::Product(product_id)))
        .into_tuple()
        .all(db)
        .await
}

/// The product's title as the latest order that asked about it named it.
pub async fn product_title(db: &impl ConnectionTrait, shop_id: Uuid, product_id: i64) -> Result<Option<String>, DbErr> {
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
