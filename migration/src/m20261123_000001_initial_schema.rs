//! The whole data model of DESIGN.md §3.
//!
//! Every table but `shops` carries `shop_id` with `ON DELETE CASCADE`, so `shop/redact`
//! (delete everything of a shop) is one statement and can never leave orphans behind.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order; `down` drops them in reverse.
pub const TABLES: &[&str] = &[
    "shops",
    "campaigns",
    "message_templates",
    "testimonial_requests",
    "testimonial_request_events",
    "testimonial_submissions",
    "testimonial_media_assets",
    "moderation_log",
    "webhook_deliveries",
    "jobs",
    "daily_analytics",
    "api_tokens",
    "alerts",
    "privacy_exports",
];

pub(crate) fn ts(col: &'static str) -> ColumnDef {
    timestamp_with_time_zone(col)
}

fn ts_null(col: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(col)
}

/// A table with a UUID primary key and, unless it is `shops`, a cascading `shop_id`.
pub(crate) fn tenant_table(name: &'static str, shop_nullable: bool) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name).col(pk_uuid("id"));
    t.col(if shop_nullable { uuid_null("shop_id") } else { uuid("shop_id") });
    t.foreign_key(
        ForeignKey::create()
            .name(format!("fk_{name}_shop"))
            .from(name, "shop_id")
            .to("shops", "id")
            .on_delete(ForeignKeyAction::Cascade),
    );
    t.to_owned()
}

fn fk(
    table: &'static str,
    col: &'static str,
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(format!("fk_{table}_{col}")).from(table, col).to(to, "id").on_delete(on_delete).to_owned()
}

pub(crate) fn index(table: &'static str, name: &str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("shops")
                .col(pk_uuid("id"))
                .col(string_uniq("shop_domain"))
                .col(text_null("access_token"))
                .col(text_null("refresh_token"))
                .col(ts_null("access_token_expires_at"))
                .col(string_null("scopes"))
                .col(ts("installed_at"))
                .col(ts_null("uninstalled_at"))
                .col(string("timezone"))
                .col(string("send_window_start"))
                .col(string("send_window_end"))
                .col(json_binary("settings"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            tenant_table("campaigns", false)
                .col(string("name"))
                .col(string("status"))
                .col(string("trigger"))
                .col(integer("delay_days"))
                .col(string("channel"))
                .col(integer("fallback_days"))
                .col(boolean("reminder_enabled"))
                .col(integer("reminder_delay_days"))
                .col(integer("max_reminders"))
                .col(integer("postpone_days"))
                .col(integer("max_postpones"))
                .col(integer("token_ttl_days"))
                .col(integer_null("frequency_cap_30d"))
                .col(json_binary("eligibility"))
                .col(uuid_null("request_email_template_id"))
                .col(uuid_null("reminder_email_template_id"))
                .col(uuid_null("request_sms_template_id"))
                .col(uuid_null("reminder_sms_template_id"))
                .col(text("consent_text"))
                .col(integer("consent_version"))
                .col(text("prompt"))
                .col(text_null("incentive"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("campaigns", "idx_campaigns_shop_status", &["shop_id", "status"], false)).await?;

        m.create_table(
            tenant_table("message_templates", false)
                .col(string("channel"))
                .col(string("kind"))
                .col(string("name"))
                .col(text_null("subject"))
                .col(text("body"))
                .col(text_null("body_text"))
                .col(string("locale"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "message_templates",
            "idx_templates_shop_kind",
            &["shop_id", "channel", "kind", "locale"],
            false,
        ))
        .await?;

        m.create_table(
            tenant_table("testimonial_requests", false)
                .col(uuid("campaign_id"))
                .col(big_integer("shopify_order_id"))
                .col(string_null("order_name"))
                .col(big_integer("line_item_id"))
                .col(big_integer("product_id"))
                .col(string("variant_id"))
                .col(text("product_title"))
                .col(text_null("product_image_url"))
                .col(big_integer_null("shopify_customer_id"))
                .col(string_null("customer_key"))
                .col(string_null("customer_first_name"))
                .col(string_null("customer_last_name"))
                .col(string_null("customer_email"))
                .col(string_null("customer_phone"))
                .col(string_null("locale"))
                .col(string("channel"))
                .col(string_uniq("token_hash"))
                .col(string("status"))
                .col(ts("scheduled_for"))
                .col(ts_null("next_attempt_at"))
                .col(integer("attempts"))
                .col(ts_null("lease_until"))
                .col(ts_null("first_sent_at"))
                .col(ts_null("last_sent_at"))
                .col(ts_null("clicked_at"))
                .col(ts_null("submitted_at"))
                .col(ts("expires_at"))
                .col(ts_null("expired_at"))
                .col(string_null("expire_reason"))
                .col(integer("reminder_count"))
                .col(ts_null("next_reminder_at"))
                .col(integer("postpone_count"))
                .col(text_null("last_error"))
                .col(string_null("provider_message_id"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("testimonial_requests", "campaign_id", "campaigns", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        let r = "testimonial_requests";
        for (name, cols, unique) in [
            (
                "uq_requests_idempotency",
                &["shop_id", "campaign_id", "shopify_order_id", "product_id", "variant_id"][..],
                true,
            ),
            ("idx_requests_due", &["status", "next_attempt_at"][..], false),
            ("idx_requests_reminders", &["status", "next_reminder_at"][..], false),
            ("idx_requests_expiry", &["status", "expires_at"][..], false),
            ("idx_requests_log", &["shop_id", "created_at"][..], false),
            ("idx_requests_order", &["shop_id", "shopify_order_id"][..], false),
            ("idx_requests_customer", &["shop_id", "customer_key", "created_at"][..], false),
        ] {
            m.create_index(index(r, name, cols, unique)).await?;
        }

        m.create_table(
            tenant_table("testimonial_request_events", false)
                .col(uuid("request_id"))
                .col(string("event_type"))
                .col(ts("event_at"))
                .col(string_null("provider_message_id"))
                .col(json_binary_null("payload"))
                .col(string_null("dedupe_key").unique_key())
                .col(ts("created_at"))
                .foreign_key(&mut fk(
                    "testimonial_request_events",
                    "request_id",
                    "testimonial_requests",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "testimonial_request_events",
            "idx_events_request_at",
            &["request_id", "event_at"],
            false,
        ))
        .await?;

        m.create_table(
            tenant_table("testimonial_submissions", false)
                .col(uuid_null("request_id").unique_key())
                .col(uuid_null("campaign_id"))
                .col(big_integer("product_id"))
                .col(string("display_name"))
                .col(small_integer_null("rating"))
                .col(text_null("quote"))
                .col(boolean("has_video"))
                .col(boolean("consent_publish"))
                .col(text("consent_text"))
                .col(integer("consent_version"))
                .col(ts_null("consented_at"))
                .col(boolean("flagged"))
                .col(string_null("flagged_reason"))
                .col(string("status"))
                .col(boolean("published"))
                .col(ts_null("published_at"))
                .col(boolean("placement_home"))
                .col(boolean("placement_product"))
                .col(boolean("featured"))
                .col(integer("sort_order"))
                .col(ts_null("moderated_at"))
                .col(string("source"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk(
                    "testimonial_submissions",
                    "request_id",
                    "testimonial_requests",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        let s = "testimonial_submissions";
        m.create_index(index(s, "idx_submissions_queue", &["shop_id", "status", "created_at"], false)).await?;
        m.create_index(index(s, "idx_submissions_storefront", &["shop_id", "published", "product_id"], false)).await?;

        m.create_table(
            tenant_table("testimonial_media_assets", false)
                .col(uuid("submission_id"))
                .col(string("original_key"))
                .col(string("content_type"))
                .col(big_integer("size_bytes"))
                .col(string("processing_status"))
                .col(text_null("processing_error"))
                .col(integer("attempts"))
                .col(ts_null("lease_until"))
                .col(big_integer_null("duration_ms"))
                .col(integer_null("width"))
                .col(integer_null("height"))
                .col(integer_null("rotation"))
                .col(string_null("video_codec"))
                .col(string_null("audio_codec"))
                .col(string_null("playback_key"))
                .col(string_null("poster_key"))
                .col(ts_null("ready_at"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk(
                    "testimonial_media_assets",
                    "submission_id",
                    "testimonial_submissions",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        let a = "testimonial_media_assets";
        m.create_index(index(a, "idx_assets_submission", &["submission_id"], false)).await?;
        m.create_index(index(a, "idx_assets_claim", &["processing_status", "lease_until"], false)).await?;

        m.create_table(
            tenant_table("moderation_log", false)
                .col(uuid("submission_id"))
                .col(string("action"))
                .col(string("actor"))
                .col(string_null("from_status"))
                .col(string_null("to_status"))
                .col(text_null("note"))
                .col(ts("at"))
                .foreign_key(&mut fk(
                    "moderation_log",
                    "submission_id",
                    "testimonial_submissions",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("moderation_log", "idx_modlog_submission", &["submission_id", "at"], false)).await?;

        m.create_table(
            tenant_table("webhook_deliveries", true)
                .col(string("source"))
                .col(string("topic"))
                .col(string("external_id"))
                .col(string_null("event_id"))
                .col(ts_null("triggered_at"))
                .col(ts("received_at"))
                .col(string("status"))
                .col(text_null("error"))
                .col(json_binary_null("result"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("webhook_deliveries", "uq_deliveries_source_external", &["source", "external_id"], true))
            .await?;

        m.create_table(
            tenant_table("jobs", true)
                .col(string("kind"))
                .col(string_null("dedupe_key").unique_key())
                .col(json_binary("payload"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(integer("max_attempts"))
                .col(ts("run_at"))
                .col(ts_null("lease_until"))
                .col(string_null("locked_by"))
                .col(text_null("last_error"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("jobs", "idx_jobs_claim", &["status", "run_at"], false)).await?;

        m.create_table(
            tenant_table("daily_analytics", false)
                .col(uuid("campaign_id"))
                .col(date("day"))
                .col(integer("requests_created"))
                .col(integer("sent"))
                .col(integer("failed"))
                .col(integer("delivered"))
                .col(integer("opened"))
                .col(integer("clicked"))
                .col(integer("reminders_sent"))
                .col(integer("submitted"))
                .col(integer("approved"))
                .col(integer("published"))
                .col(integer("expired"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "daily_analytics",
            "uq_analytics_shop_campaign_day",
            &["shop_id", "campaign_id", "day"],
            true,
        ))
        .await?;

        m.create_table(
            tenant_table("api_tokens", false)
                .col(string("name"))
                .col(string_uniq("token_hash"))
                .col(string("scopes"))
                .col(ts_null("last_used_at"))
                .col(ts_null("revoked_at"))
                .col(ts("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("api_tokens", "idx_api_tokens_shop", &["shop_id"], false)).await?;

        m.create_table(
            tenant_table("alerts", false)
                .col(string("kind"))
                .col(string("severity"))
                .col(text("message"))
                .col(json_binary_null("metadata"))
                .col(ts("created_at"))
                .col(ts_null("read_at"))
                .col(ts_null("emailed_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("alerts", "idx_alerts_shop_created", &["shop_id", "created_at"], false)).await?;
        m.create_table(
            tenant_table("privacy_exports", false)
                .col(big_integer_null("data_request_id"))
                .col(big_integer_null("shopify_customer_id"))
                .col(json_binary("export"))
                .col(ts("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("privacy_exports", "idx_privacy_exports_shop", &["shop_id", "created_at"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(*table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
