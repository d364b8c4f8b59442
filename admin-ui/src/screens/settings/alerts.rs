//! Where alerts are emailed, and the opt-in daily summary.

use super::ShopData;
use crate::api;
use crate::components::{Checkbox, SaveBar, Section, TextField, field_error, sentence, toast};
use api_client::ApiError;
use api_client::admin::{UpdateAlertSettings, update_alert_settings};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Alerts(shop: ShopData, reload: RwSignal<u32>) -> impl IntoView {
    let email = RwSignal::new(shop.settings.alert_email.clone().unwrap_or_default());
    let daily = RwSignal::new(shop.settings.daily_alert_summary);
    let saved = RwSignal::new((email.get_untracked(), daily.get_untracked()));
    let errors = RwSignal::new(None::<ApiError>);
    let saving = RwSignal::new(false);
    let dirty = Signal::derive(move || (email.get(), daily.get()) != saved.get());
    let on_save = Callback::new(move |_| {
        let address = email.get_untracked();
        let vars = update_alert_settings::Variables {
            alert_email: Some(address.trim().to_owned()).filter(|a| !a.is_empty()),
            daily_summary: Some(daily.get_untracked()),
        };
        saving.set(true);
        spawn_local(async move {
            match api::run::<UpdateAlertSettings>(vars).await {
                Ok(_) => {
                    errors.set(None);
                    saved.set((email.get_untracked(), daily.get_untracked()));
                    toast("Alert settings saved");
                    reload.update(|n| *n += 1);
                }
                Err(e) => errors.set(Some(e)),
            }
            saving.set(false);
        });
    });
    let on_discard = Callback::new(move |_| {
        let (e, d) = saved.get_untracked();
        email.set(e);
        daily.set(d);
        errors.set(None);
    });
    view! {
        <SaveBar dirty saving on_save on_discard/>
        {move || errors.get().map(|e| view! { <s-banner tone="critical" heading="The alert settings were not saved" data-testid="save-error"><p>{sentence(&e)}</p></s-banner> })}
        <form class="rp-form" data-save-bar="" on:submit=move |ev| { ev.prevent_default(); on_save.run(()) }>
            <Section heading="Alerts by email">
                <TextField label="Alert email" name="alertEmail" kind="email" value=email error=field_error(errors, "alertEmail")
                    help="Where Reelproof writes when sends or videos fail. Empty: alerts only show on Home."/>
                <Checkbox label="Send me a daily summary of new alerts" name="dailySummary" checked=daily
                    help="At most one email a day, none when nothing happened."/>
            </Section>
        </form>
    }
}
