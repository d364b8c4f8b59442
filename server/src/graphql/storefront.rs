//! The storefront schema at `/api/storefront/graphql`: public, read-only, for theme developers
//! and the widget. It holds public-safe fields only (a test walks the SDL for names that would
//! suggest otherwise), and no credential exists here: the shop is an argument, and only an
//! installed shop's visible testimonials come back.

use crate::domain::visibility::Placement as Where;
use crate::graphql::error::{ErrorCode, api_error, internal};
use crate::services::storefront::{self as service, StorefrontError};
use crate::state::AppState;
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage};
use async_graphql::{Context, EmptyMutation, EmptySubscription, Enum, ID, Object, Result, Schema, SimpleObject};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

pub type StorefrontSchema = Schema<StorefrontQuery, EmptyMutation, EmptySubscription>;

/// The shops (as named in the request, with their ids and storefront versions) a request read:
/// the HTTP layer builds the ETag from them and keeps the answer while they stay at those
/// versions, so a publication change shows in the very next response.
#[derive(Clone, Default)]
pub struct ShopsSeen(pub Arc<Mutex<Vec<(String, entity::ShopId, i64)>>>);

pub fn build_schema(state: AppState) -> StorefrontSchema {
    Schema::build(StorefrontQuery, EmptyMutation, EmptySubscription)
        .data(state)
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(512)))
        // A collection page may ask for a few dozen products' summaries by alias.
        .extension(super::limits::RootFieldLimit(60))
        .extension(super::spans::OperationSpans("storefront"))
        .limit_depth(6)
        .limit_complexity(300)
        .finish()
}

/// The storefront SDL, as checked in at `schema.storefront.graphql`.
pub fn sdl() -> String {
    Schema::build(StorefrontQuery, EmptyMutation, EmptySubscription).finish().sdl()
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "StorefrontPlacement")]
pub enum Placement {
    /// The home page.
    Home,
    /// A product page (give `productId`).
    Product,
}

/// A published video testimonial, as the storefront may show it.
#[derive(SimpleObject)]
pub struct Testimonial {
    pub id: ID,
    /// First name and last initial.
    pub display_name: String,
    /// 1–5, when the customer rated.
    pub rating: Option<i16>,
    pub quote: Option<String>,
    /// H.264/AAC MP4 (range requests work). A stable link: it answers as long as the testimonial
    /// is published, and stops the moment it is not.
    pub video_url: String,
    /// JPEG poster frame, full size (1080 px on its short side at most).
    pub poster_url: Option<String>,
    /// The poster in the sizes a block shows (240, 480 and 720 px wide), as WebP and JPEG: for
    /// `<picture>`/`srcset`. Empty for videos processed before these existed.
    pub poster_images: Vec<PosterImage>,
    pub duration_seconds: Option<f64>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// The Shopify product id, as a string (ids exceed JavaScript's safe integers).
    pub product_id: ID,
    pub published_at: DateTime<Utc>,
    /// From a real order's invitation: show "Verified buyer".
    pub verified_buyer: bool,
    /// The customer was given something for it: show "Received a reward for reviewing".
    pub incentivised: bool,
}

/// A poster in one size and format.
#[derive(SimpleObject)]
pub struct PosterImage {
    /// A stable link, like `posterUrl`.
    pub url: String,
    pub width: i32,
    pub height: i32,
    /// `image/webp` or `image/jpeg`.
    pub mime_type: String,
}

/// The block's words in one language.
#[derive(SimpleObject)]
pub struct StorefrontCopy {
    /// The language they are in (en, fr, de, es, it, nl, pt).
    pub language: String,
    pub texts: Vec<CopyText>,
}

#[derive(SimpleObject)]
pub struct CopyText {
    pub key: String,
    pub text: String,
}

#[derive(SimpleObject)]
pub struct ProductTestimonialSummary {
    pub product_id: ID,
    /// Visible testimonials for the product.
    pub count: i32,
    /// Of those, how many have a rating.
    pub rated_count: i32,
    /// Rounded to one decimal; null when none is rated.
    pub average_rating: Option<f64>,
}

fn to_api(e: StorefrontError) -> async_graphql::Error {
    match e {
        StorefrontError::UnknownShop => api_error(ErrorCode::NotFound, "no such shop has Reelproof installed"),
        StorefrontError::NotVisible => api_error(ErrorCode::NotFound, "no such testimonial"),
        other => internal(other),
    }
}

fn parse_product_id(id: &ID) -> Result<i64> {
    crate::graphql::error::parse_shopify_id(id, "productId")
}

async fn shop<'a>(ctx: &'a Context<'_>, domain: &str) -> Result<(entity::ShopId, &'a AppState)> {
    let state = ctx.data::<AppState>()?;
    let (id, version) = service::shop(state, domain).await.map_err(to_api)?;
    if let Ok(seen) = ctx.data::<ShopsSeen>()
        && let Ok(mut v) = seen.0.lock()
    {
        v.push((domain.to_owned(), id, version));
    }
    Ok((id, state))
}

pub struct StorefrontQuery;

#[Object]
impl StorefrontQuery {
    /// Published testimonials for the home page or one product's page: featured first, then the
    /// merchant's order, then newest. `shop` is the `*.myshopify.com` domain; `first` is 12 unless
    /// given (at most 50).
    async fn testimonials(
        &self,
        ctx: &Context<'_>,
        shop: String,
        placement: Placement,
        product_id: Option<ID>,
        #[graphql(validator(minimum = 1, maximum = 50))] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Testimonial, EmptyFields, EmptyFields>> {
        let placement = match (placement, product_id) {
            (Placement::Home, _) => Where::Home,
            (Placement::Product, Some(p)) => Where::Product(parse_product_id(&p)?),
            (Placement::Product, None) => {
                return Err(api_error(ErrorCode::Validation, "placement PRODUCT needs a productId"));
            }
        };
        let offset = match after {
            Some(a) => a
                .parse::<u64>()
                .map(|n| n + 1)
                .map_err(|_| api_error(ErrorCode::Validation, "`after` is not a cursor"))?,
            None => 0,
        };
        let (shop_id, state) = self::shop(ctx, &shop).await?;
        let listing = service::testimonials(state, shop_id, placement, offset, first.unwrap_or(12) as u64)
            .await
            .map_err(to_api)?;
        let mut c = Connection::new(offset > 0, listing.has_next);
        c.edges.extend(listing.items.into_iter().enumerate().map(|(i, t)| {
            Edge::new(
                (offset + i as u64).to_string(),
                Testimonial {
                    id: ID(t.id.to_string()),
                    display_name: t.display_name,
                    rating: t.rating,
                    quote: t.quote,
                    video_url: t.video_url,
                    poster_url: t.poster_url,
                    poster_images: t
                        .posters
                        .into_iter()
                        .map(|p| PosterImage {
                            url: p.url,
                            width: p.width as i32,
                            height: p.height as i32,
                            mime_type: p.format.mime().to_owned(),
                        })
                        .collect(),
                    duration_seconds: t.duration_ms.map(|ms| ms as f64 / 1000.0),
                    width: t.width,
                    height: t.height,
                    product_id: ID(t.product_id.to_string()),
                    published_at: t.published_at,
                    verified_buyer: t.verified_buyer,
                    incentivised: t.incentivised,
                },
            )
        }));
        Ok(c)
    }

    /// The shop's "How we collect testimonials" note for the block (null: the shop shows none),
    /// ours in `locale` (the storefront's, e.g. `fr`) when the merchant wrote none.
    async fn collection_note(&self, ctx: &Context<'_>, shop: String, locale: Option<String>) -> Result<Option<String>> {
        let (shop_id, state) = self::shop(ctx, &shop).await?;
        Ok(service::collection_note(state, shop_id, locale.as_deref()).await.map_err(to_api)?.1)
    }

    /// The block's words (badges, labels, the note's title) in the storefront's `locale`, or
    /// English for a language we do not ship.
    async fn storefront_copy(&self, locale: String) -> StorefrontCopy {
        let language = crate::domain::i18n::language_for(Some(&locale), "en");
        let texts = crate::domain::storefront_copy::copy(language)
            .into_iter()
            .map(|(key, text)| CopyText { key: key.to_owned(), text: text.to_owned() })
            .collect();
        StorefrontCopy { language: language.to_owned(), texts }
    }

    /// How many visible testimonials a product has, and their average rating.
    async fn product_testimonial_summary(
        &self,
        ctx: &Context<'_>,
        shop: String,
        product_id: ID,
    ) -> Result<ProductTestimonialSummary> {
        let pid = parse_product_id(&product_id)?;
        let (shop_id, state) = self::shop(ctx, &shop).await?;
        let s = service::summary(state, shop_id, pid).await.map_err(to_api)?;
        Ok(ProductTestimonialSummary {
            product_id: ID(pid.to_string()),
            count: s.count as i32,
            rated_count: s.rated as i32,
            average_rating: s.average_rating,
        })
    }
}

#[cfg(test)]
mod tests {
    /// The storefront is public: nothing in its schema may be named like private data. Every
    /// type, field, argument and enum value name is checked (descriptions are prose and may say
    /// "order" in another sense); a field added later with such a name fails here.
    #[tokio::test]
    async fn the_storefront_schema_names_nothing_private() {
        const Q: &str =
            "{ __schema { types { name fields { name args { name } } inputFields { name } enumValues { name } } } }";
        let schema = async_graphql::Schema::build(
            super::StorefrontQuery,
            async_graphql::EmptyMutation,
            async_graphql::EmptySubscription,
        )
        .finish();
        let v = schema.execute(Q).await.data.into_json().unwrap();
        let mut names = Vec::new();
        for t in v["__schema"]["types"].as_array().unwrap() {
            names.push(t["name"].as_str().unwrap().to_ascii_lowercase());
            for key in ["fields", "inputFields", "enumValues"] {
                for f in t[key].as_array().into_iter().flatten() {
                    names.push(f["name"].as_str().unwrap().to_ascii_lowercase());
                    for a in f["args"].as_array().into_iter().flatten() {
                        names.push(a["name"].as_str().unwrap().to_ascii_lowercase());
                    }
                }
            }
        }
        assert!(names.iter().any(|n| n == "testimonials") && names.iter().any(|n| n == "videourl"), "{names:?}");
        for forbidden in
            ["email", "phone", "order", "token", "customer", "request", "consent", "flag", "secret", "address"]
        {
            let hit: Vec<&String> = names.iter().filter(|n| n.contains(forbidden)).collect();
            assert!(hit.is_empty(), "the storefront schema names {forbidden}: {hit:?}");
        }
    }
}
