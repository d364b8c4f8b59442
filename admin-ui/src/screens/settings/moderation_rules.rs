//! Moderation rules: auto-publish, its minimum rating, the filter's own words, and where
//! testimonials are published by default.

use super::ShopData;
use crate::api;
use crate::components::{Checkbox, SaveBar, Section, TextField, field_error, sentence, toast};
use api_client::admin::{UpdateModerationSettings, update_moderation_settings};
use api_client::{ApiError, ErrorCode, FieldError};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ModerationRules(shop: ShopData, reload: RwSignal<u32>) -> impl IntoView {
    let s = shop.settings;
    let auto = RwSignal::new(s.auto_publish_enabled);
    let min = RwSignal::new(s.auto_publish_min_rating.to_string());
    let words = RwSignal::new(s.profanity_words.join("\n"));
    let home = RwSignal::new(s.default_placement_home);
    let product = RwSignal::new(s.default_placement_product);
    let snapshot = move || (auto.get(), min.get(), words.get(), home.get(), product.get());
    let saved = RwSignal::new(snapshot());
    let errors = RwSignal::new(None::<ApiError>);
    let saving = RwSignal::new(false);
    let dirty = Signal::derive(move || snapshot() != saved.get());
    let on_save = Callback::new(move |_| {
        let Ok(rating) = min.get_untracked().trim().parse::<i64>() else {
            errors.set(Some(ApiError {
                code: ErrorCode::Validation,
                message: "The minimum rating must be a number from 1 to 5.".into(),
                fields: vec![FieldError {
                    field: "autoPublishMinRating".into(),
                    message: "must be a number from 1 to 5".into(),
                }],
                rows: Vec::new(),
            }));
            return;
        };
        let mut placements = Vec::new();
        if home.get_untracked() {
            placements.push(update_moderation_settings::Placement::HOME);
        }
        if product.get_untracked() {
            placements.push(update_moderation_settings::Placement::PRODUCT);
        }
        let vars = update_moderation_settings::Variables {
            auto_publish_enabled: Some(auto.get_untracked()),
            auto_publish_min_rating: Some(rating),
            profanity_words: Some(
                words.get_untracked().lines().map(str::trim).filter(|w| !w.is_empty()).map(str::to_owned).collect(),
            ),
            default_placements: Some(placements),
        };
        saving.set(true);
        spawn_local(async move {
            match api::run::<UpdateModerationSettings>(vars).await {
                Ok(_) => {
                    errors.set(None);
                    saved.set(snapshot());
                    toast("Moderation rules saved");
                    reload.update(|n| *n += 1);
                }
                Err(e) => errors.set(Some(e)),
            }
            saving.set(false);
        });
    });
    let on_discard = Callback::new(move |_| {
        let (a, m, w, h, p) = saved.get_untracked();
        auto.set(a);
        min.set(m);
        words.set(w);
        home.set(h);
        product.set(p);
        errors.set(None);
    });
    view! {
        <SaveBar dirty saving on_save on_discard/>
        {move || errors.get().map(|e| view! { <s-banner tone="critical" heading="The rules were not saved" data-testid="save-error"><p>{sentence(&e)}</p></s-banner> })}
        <form class="rp-form" data-save-bar="" on:submit=move |ev| { ev.prevent_default(); on_save.run(()) }>
            <Section heading="Auto-publish">
                <Checkbox label="Publish good testimonials without waiting for me" name="autoPublishEnabled" checked=auto
                    help="When the rating is at least the minimum, the text passes the filter and the video is ready."/>
                <TextField label="Minimum rating" name="autoPublishMinRating" kind="number" value=min error=field_error(errors, "autoPublishMinRating")/>
            </Section>
            <Section heading="Word filter">
                <TextField label="Also flag these words" name="profanityWords" multiline=true value=words error=field_error(errors, "profanityWords")
                    help="One per line, on top of the built-in list. Flagged testimonials always wait for you."/>
            </Section>
            <Section heading="Where to publish by default">
                <Checkbox label="Home page" name="defaultHome" checked=home/>
                <Checkbox label="Product page" name="defaultProduct" checked=product/>
            </Section>
        </form>
    }
}
