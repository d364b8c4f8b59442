//! The shop's profile: what customers see messages come from, the brand, the language, and
//! when messages may go out.

use super::ShopData;
use crate::api;
use crate::components::{SaveBar, Section, TextField, field_error, sentence, toast};
use api_client::ApiError;
use api_client::admin::{UpdateShopSettings, update_shop_settings};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Profile(shop: ShopData, reload: RwSignal<u32>) -> impl IntoView {
    let s = &shop.settings;
    let initial = [
        s.sender_name.clone().unwrap_or_default(),
        s.reply_to.clone().unwrap_or_default(),
        s.brand_colour.clone(),
        s.logo_url.clone().unwrap_or_default(),
        s.locale.clone(),
        shop.timezone.clone(),
        shop.send_window_start.clone(),
        shop.send_window_end.clone(),
        s.collection_note.clone().unwrap_or_default(),
    ];
    let fields: [RwSignal<String>; 9] = initial.clone().map(RwSignal::new);
    let [sender, reply_to, colour, logo, locale, timezone, start, end, note] = fields;
    let saved = RwSignal::new(initial);
    let errors = RwSignal::new(None::<ApiError>);
    let saving = RwSignal::new(false);
    let dirty = Signal::derive(move || fields.map(|f| f.get()) != saved.get());
    let on_save = Callback::new(move |_| {
        let opt = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
        let input = update_shop_settings::ShopSettingsInput {
            sender_name: opt(sender),
            reply_to: opt(reply_to),
            brand_colour: Some(colour.get_untracked()),
            logo_url: opt(logo),
            locale: Some(locale.get_untracked()),
            timezone: Some(timezone.get_untracked()),
            send_window_start: Some(start.get_untracked()),
            send_window_end: Some(end.get_untracked()),
            collection_note: opt(note),
        };
        saving.set(true);
        spawn_local(async move {
            match api::run::<UpdateShopSettings>(update_shop_settings::Variables { input }).await {
                Ok(_) => {
                    errors.set(None);
                    saved.set(fields.map(|f| f.get_untracked()));
                    toast("Settings saved");
                    reload.update(|n| *n += 1);
                }
                Err(e) => errors.set(Some(e)),
            }
            saving.set(false);
        });
    });
    let on_discard = Callback::new(move |_| {
        for (f, v) in fields.iter().zip(saved.get_untracked()) {
            f.set(v);
        }
        errors.set(None);
    });
    let fe = move |n: &'static str| field_error(errors, n);
    view! {
        <SaveBar dirty saving on_save on_discard/>
        {move || errors.get().map(|e| view! { <s-banner tone="critical" heading="The settings were not saved" data-testid="save-error"><p>{sentence(&e)}</p></s-banner> })}
        <form class="rp-form" data-save-bar="" on:submit=move |ev| { ev.prevent_default(); on_save.run(()) }>
            <Section heading="Sender">
                <TextField label="Sender name" name="senderName" value=sender error=fe("senderName") help="Customers see messages come from this name. Empty: your shop's name."/>
                <TextField label="Reply-to address" name="replyTo" kind="email" value=reply_to error=fe("replyTo") help="Where customers' replies go."/>
            </Section>
            <Section heading="Branding">
                <div class="rp-colour">
                    <TextField label="Brand colour" name="brandColour" value=colour error=fe("brandColour") help="Buttons and accents on the capture page and in emails, e.g. #1f2937."/>
                    <span class="rp-swatch" style=move || if is_colour(&colour.get()) { format!("background:{}", colour.get()) } else { String::new() }></span>
                </div>
                <TextField label="Logo address" name="logoUrl" kind="url" value=logo error=fe("logoUrl") help="An https:// image, shown on the capture page and in emails."/>
            </Section>
            <Section heading="Language and timing">
                <TextField label="Default language" name="locale" value=locale error=fe("locale") help="For customers whose order has no language (e.g. en, fr, de)."/>
                <TextField label="Time zone" name="timezone" value=timezone error=fe("timezone") help="e.g. Europe/Paris."/>
                <div class="rp-inline-form">
                    <TextField label="Send from" name="sendWindowStart" kind="time" value=start error=fe("sendWindowStart")/>
                    <TextField label="Send until" name="sendWindowEnd" kind="time" value=end error=fe("sendWindowEnd")/>
                </div>
                <p class="rp-muted">"Messages go out only in this window, in your time zone. The same start and end: any time."</p>
            </Section>
            <Section heading="On your storefront">
                <TextField label="How we collect testimonials" name="collectionNote" multiline=true value=note error=fe("collectionNote")
                    help="Shown under your testimonials, as the FTC and EU rules on reviews ask. Empty: our standard note."/>
            </Section>
        </form>
    }
}

/// The swatch shows only real colours (the value goes into a style attribute).
fn is_colour(c: &str) -> bool {
    c.strip_prefix('#').is_some_and(|h| (h.len() == 3 || h.len() == 6) && h.chars().all(|c| c.is_ascii_hexdigit()))
}
