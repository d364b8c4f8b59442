//! What a scheduler round reads once for every request it claimed: their shops (with parsed
//! settings), campaigns and suppressed customers — three queries for the batch where each
//! message used to make three of its own — and, as its messages are composed, the templates
//! and product pictures they share.

use crate::domain::send_window::SendWindow;
use crate::domain::settings::ShopSettings;
use crate::domain::templates::{self, TemplateError, TemplateSource};
use crate::state::AppState;
use crate::store;
use chrono::{DateTime, Duration, Utc};
use entity::{
    CampaignId, CampaignStatus, ExpireReason, RequestId, ShopId, TemplateChannel, TemplateId, TemplateKind, campaigns,
    message_templates, shops, testimonial_requests as requests,
};
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Everything a message needs besides the request: its shop and campaign, as read this round.
pub(super) struct Context<'a> {
    pub shop: &'a shops::Model,
    pub campaign: &'a campaigns::Model,
    pub settings: &'a ShopSettings,
}

/// Why a claimed request cannot be sent right now.
pub(super) enum NotNow {
    Expire(ExpireReason),
    Defer(DateTime<Utc>),
}

/// The shops, campaigns and suppressions of a round's claims.
pub(super) struct RoundContext {
    shops: HashMap<ShopId, (shops::Model, ShopSettings)>,
    campaigns: HashMap<(ShopId, CampaignId), campaigns::Model>,
    suppressed: HashSet<(ShopId, String)>,
}

impl RoundContext {
    pub async fn load(db: &impl ConnectionTrait, claimed: &[requests::Model]) -> Result<Self, DbErr> {
        let mut shop_ids: Vec<ShopId> = claimed.iter().map(|r| r.shop_id).collect();
        shop_ids.sort();
        shop_ids.dedup();
        let mut campaign_ids: Vec<(ShopId, CampaignId)> = claimed.iter().map(|r| (r.shop_id, r.campaign_id)).collect();
        campaign_ids.sort();
        campaign_ids.dedup();
        let keys: Vec<(ShopId, &str)> =
            claimed.iter().filter_map(|r| r.customer_key.as_deref().map(|k| (r.shop_id, k))).collect();
        let shops = store::shops::by_ids(db, &shop_ids)
            .await?
            .into_iter()
            .map(|s| {
                let settings = ShopSettings::from_json(&s.settings);
                (s.id, (s, settings))
            })
            .collect();
        let campaigns =
            store::campaigns::by_ids(db, &campaign_ids).await?.into_iter().map(|c| ((c.shop_id, c.id), c)).collect();
        let suppressed = store::suppressions::among(db, &keys).await?;
        Ok(Self { shops, campaigns, suppressed })
    }

    /// The send-time eligibility check shared by first messages and reminders.
    pub fn check(&self, r: &requests::Model, now: DateTime<Utc>) -> Result<Context<'_>, NotNow> {
        if r.expires_at <= now {
            return Err(NotNow::Expire(ExpireReason::TokenExpired));
        }
        let Some((shop, settings)) = self.shops.get(&r.shop_id) else {
            return Err(NotNow::Defer(now + Duration::hours(1)));
        };
        if shop.uninstalled_at.is_some() {
            // Stopped, not cancelled: a reinstall resumes sending.
            return Err(NotNow::Defer(now + Duration::hours(1)));
        }
        let window = SendWindow::parse(&shop.timezone, &shop.send_window_start, &shop.send_window_end);
        if let Some(opening) = window.next_opening(now) {
            return Err(NotNow::Defer(opening));
        }
        let Some(campaign) = self.campaign(r) else {
            return Err(NotNow::Expire(ExpireReason::CampaignArchived));
        };
        match campaign.status {
            CampaignStatus::Archived => return Err(NotNow::Expire(ExpireReason::CampaignArchived)),
            CampaignStatus::Paused | CampaignStatus::Draft => return Err(NotNow::Defer(now + Duration::hours(1))),
            CampaignStatus::Active => {}
        }
        if let Some(key) = &r.customer_key
            && self.suppressed.contains(&(r.shop_id, key.clone()))
        {
            return Err(NotNow::Expire(ExpireReason::Unsubscribed));
        }
        Ok(Context { shop, campaign, settings })
    }

    pub fn campaign(&self, r: &requests::Model) -> Option<&campaigns::Model> {
        self.campaigns.get(&(r.shop_id, r.campaign_id))
    }
}

/// Which stored template a message would use: the same question gets the same answer all round.
type TemplateQuestion = (ShopId, TemplateChannel, TemplateKind, Option<TemplateId>, Vec<String>);

/// The templates and product pictures a round's messages share, each looked up once.
#[derive(Default)]
pub(super) struct Lookups {
    templates: HashMap<TemplateQuestion, Option<message_templates::Model>>,
    /// Templates compiled this round, by source and escaping.
    compiled: HashMap<(TemplateSource, bool), Result<Arc<templates::Compiled>, TemplateError>>,
    images: HashMap<(ShopId, i64), Option<String>>,
    /// Pictures found this round, to be remembered by the requests that carry them.
    images_found: HashMap<(ShopId, String), Vec<RequestId>>,
}

impl Lookups {
    pub async fn template(
        &mut self,
        db: &impl ConnectionTrait,
        r: &requests::Model,
        channel: TemplateChannel,
        kind: TemplateKind,
        preferred: Option<TemplateId>,
        locales: &[String],
    ) -> Result<Option<message_templates::Model>, DbErr> {
        let question = (r.shop_id, channel, kind, preferred, locales.to_vec());
        if let Some(answer) = self.templates.get(&question) {
            return Ok(answer.clone());
        }
        let answer = store::templates::pick(db, r.shop_id, channel, kind, preferred, locales).await?;
        self.templates.insert(question, answer.clone());
        Ok(answer)
    }

    /// The template compiled: once per round for each distinct source, since a round renders
    /// the same few templates for all its customers.
    pub fn compiled(
        &mut self,
        src: TemplateSource,
        body_is_html: bool,
    ) -> Result<Arc<templates::Compiled>, TemplateError> {
        self.compiled
            .entry((src, body_is_html))
            .or_insert_with_key(|(src, html)| templates::compile(src, *html).map(Arc::new))
            .clone()
    }

    /// The product's picture for the message: the one the request remembers, else Shopify's
    /// (when the shop is connected), to be remembered for the reminders by
    /// [`Self::remember_images`]. Sized for the email's column.
    pub async fn product_image(&mut self, state: &AppState, r: &requests::Model) -> Option<String> {
        if let Some(url) = &r.product_image_url {
            return Some(url.clone());
        }
        let key = (r.shop_id, r.product_id);
        let image = match self.images.get(&key) {
            Some(known) => known.clone(),
            None => {
                let found =
                    crate::services::products::info(state, r.shop_id, r.product_id).await.and_then(|p| p.image_url);
                // Shopify's CDN resizes on request: 480 px is twice the email's picture, sharp
                // on any screen.
                let sized = found.map(|url| {
                    let sep = if url.contains('?') { '&' } else { '?' };
                    format!("{url}{sep}width=480")
                });
                self.images.insert(key, sized.clone());
                sized
            }
        };
        if let Some(url) = &image {
            self.images_found.entry((r.shop_id, url.clone())).or_default().push(r.id);
        }
        image
    }

    /// Writes the pictures found since the last call, one statement per picture.
    pub async fn remember_images(&mut self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        for ((shop_id, url), ids) in self.images_found.drain() {
            store::requests::set_product_image_url(db, shop_id, &ids, &url).await?;
        }
        Ok(())
    }
}
