//! The customer's capture page, served at `/t/{token}`: record in the browser or pick a video,
//! upload it (resumably, with progress) while the customer writes a few words, and submit.
//! A text-only path is there for those who will not record. It is its own small bundle: the
//! customer never downloads the admin app.

mod api;
mod copy;
mod recorder;
mod upload;

use copy::{t, tf};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MediaRecorder, MediaStream};

fn main() {
    leptos::mount::mount_to_body(App);
}

/// Where the customer is.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Loading,
    /// The link cannot be used (expired, already used…): a title and a sentence.
    Closed(String, String),
    Choose,
    Camera,
    Preview,
    Details,
    Sending,
    Done,
}

/// The video's way to the server.
#[derive(Debug, Clone, PartialEq)]
enum Transfer {
    Idle,
    Sending { sent: f64, total: f64, retry: u32 },
    Done(String),
    Failed(String),
}

/// The token: the segment after `/t/` (the page is also served under a star's
/// `/t/{token}/rate/{n}/{signature}`).
fn token_from_path() -> String {
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    segments.by_ref().find(|s| *s == "t");
    segments.next().unwrap_or_default().to_owned()
}

/// The star the customer tapped in the email, when the server says so (a meta tag): chosen
/// for them, theirs to change.
fn rating_from_email() -> Option<u8> {
    let doc = web_sys::window()?.document()?;
    let n: u8 = doc.query_selector("meta[name=reelproof-rating]").ok()??.get_attribute("content")?.parse().ok()?;
    (1..=5).contains(&n).then_some(n)
}

/// The "not arrived yet?" link, when the server offers it (a meta tag in the page shell).
fn postpone_link() -> Option<String> {
    let doc = web_sys::window()?.document()?;
    doc.query_selector("meta[name=reelproof-postpone]").ok()??.get_attribute("content")
}

fn closed(e: &api::ApiError) -> Stage {
    let (title, body) = match e.code {
        api::ErrorCode::TokenInvalid => (t("expired.title"), t("expired.body")),
        api::ErrorCode::AlreadySubmitted => (t("already.title"), t("already.body")),
        api::ErrorCode::RateLimited => (t("busy.title"), t("busy.body")),
        _ => (t("error.title"), e.message.clone()),
    };
    Stage::Closed(title, body)
}

/// A brand colour is only ever a `#rgb` / `#rrggbb` value (it goes into a style attribute).
fn brand(colour: &str) -> String {
    let ok = colour
        .strip_prefix('#')
        .is_some_and(|h| (h.len() == 3 || h.len() == 6) && h.chars().all(|c| c.is_ascii_hexdigit()));
    if ok { format!("--brand: {colour}") } else { String::new() }
}

fn megabytes(bytes: f64) -> String {
    format!("{:.0} MB", bytes / (1024.0 * 1024.0))
}

/// A picture that failed to load (the shop's logo or the product's, both served from elsewhere)
/// is hidden rather than shown as the browser's broken-image icon.
fn hide_broken_image(ev: leptos::ev::ErrorEvent) {
    if let Some(img) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
        img.set_hidden(true);
    }
}

/// The content type of a picked file: the browser's, or guessed from the name (some phones
/// leave it empty for `.mov`).
fn content_type_of(file: &web_sys::File, accepted: &[String]) -> Result<String, String> {
    let given = file.type_().to_ascii_lowercase();
    let name = file.name().to_ascii_lowercase();
    let guessed = match name.rsplit('.').next().unwrap_or_default() {
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" | "qt" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "3gp" => "video/3gpp",
        _ => "",
    };
    let ct = if given.is_empty() { guessed.to_owned() } else { given };
    if accepted.contains(&ct) {
        Ok(ct)
    } else {
        Err(tf("error.file_type", &[("type", if ct.is_empty() { "?" } else { &ct })]))
    }
}

/// The length of a video in seconds, as the browser reads it (`None` when it cannot: the
/// server checks again anyway).
async fn duration_of(url: &str) -> Option<f64> {
    let doc = web_sys::window()?.document()?;
    let el: web_sys::HtmlVideoElement = doc.create_element("video").ok()?.dyn_into().ok()?;
    el.set_preload("metadata");
    el.set_muted(true);
    let loaded = js_sys::Promise::new(&mut |resolve, _| {
        let r = resolve.clone();
        let done = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = r.call0(&wasm_bindgen::JsValue::NULL);
        });
        el.set_onloadedmetadata(Some(done.unchecked_ref()));
        el.set_onerror(Some(done.unchecked_ref()));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 5000);
        }
    });
    el.set_src(url);
    let _ = wasm_bindgen_futures::JsFuture::from(loaded).await;
    let d = el.duration();
    d.is_finite().then_some(d)
}

#[component]
fn App() -> impl IntoView {
    let token = StoredValue::new(token_from_path());
    let stage = RwSignal::new(Stage::Loading);
    let info = RwSignal::new(None::<api::Capture>);
    let error = RwSignal::new(None::<String>);
    let transfer = RwSignal::new(Transfer::Idle);
    let video = StoredValue::new_local(None::<(Blob, String)>);
    let preview = RwSignal::new(None::<String>);
    let generation = StoredValue::new(0u32);
    let stream = StoredValue::new_local(None::<MediaStream>);
    let recorder = StoredValue::new_local(None::<MediaRecorder>);
    let ticker = StoredValue::new_local(None::<IntervalHandle>);
    let countdown = RwSignal::new(0u32);
    let elapsed = RwSignal::new(0u32);
    let text_only = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let quote = RwSignal::new(String::new());
    let rating = RwSignal::new(rating_from_email());
    let reward = RwSignal::new(api::Reward::None);
    let consent = RwSignal::new(false);
    let camera = NodeRef::<leptos::html::Video>::new();

    spawn_local(async move {
        match api::capture(&token.get_value()).await {
            Ok(c) => {
                name.set(c.customer_first_name.clone().unwrap_or_default());
                info.set(Some(c));
                stage.set(Stage::Choose);
            }
            Err(e) => stage.set(closed(&e)),
        }
    });

    let max_seconds = move || info.with_untracked(|i| i.as_ref().map_or(180, |i| i.max_duration_seconds.max(1) as u32));

    // Starts (or restarts) sending the chosen video; an older transfer's news is ignored.
    let start_transfer = move || {
        let Some((blob, content_type)) = video.get_value() else { return };
        let run = generation.get_value() + 1;
        generation.set_value(run);
        let total = blob.size();
        transfer.set(Transfer::Sending { sent: 0.0, total, retry: 0 });
        spawn_local(async move {
            let current = move || generation.get_value() == run;
            let progress: Rc<dyn Fn(f64)> = Rc::new(move |sent| {
                if current() {
                    transfer.set(Transfer::Sending { sent, total, retry: 0 });
                }
            });
            let retrying: Rc<dyn Fn(u32)> = Rc::new(move |n| {
                if current() {
                    transfer.update(|t| {
                        if let Transfer::Sending { retry, .. } = t {
                            *retry = n;
                        }
                    });
                }
            });
            let result = upload::upload(&token.get_value(), &blob, &content_type, progress, retrying).await;
            if current() {
                transfer.set(match result {
                    Ok(key) => Transfer::Done(key),
                    Err(message) => Transfer::Failed(message),
                });
            }
        });
    };

    let forget_video = move || {
        generation.update_value(|g| *g += 1);
        transfer.set(Transfer::Idle);
        video.set_value(None);
        if let Some(url) = preview.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
        preview.set(None);
    };

    let stop_camera = move || {
        if let Some(t) = ticker.get_value() {
            t.clear();
        }
        ticker.set_value(None);
        if let Some(s) = stream.get_value() {
            recorder::close(&s);
        }
        stream.set_value(None);
    };

    let finish_recording = move || {
        if let Some(t) = ticker.get_value() {
            t.clear();
        }
        ticker.set_value(None);
        if let Some(r) = recorder.get_value() {
            let _ = r.stop();
        }
        recorder.set_value(None);
    };

    let begin_recording = move || {
        let Some(s) = stream.get_value() else { return };
        let Some(mime) = recorder::format() else {
            error.set(Some(t("error.no_recording")));
            return;
        };
        let base = mime.split(';').next().unwrap_or_default().to_owned();
        let done = move |blob: Blob| {
            stop_camera();
            if let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) {
                preview.set(Some(url));
            }
            video.set_value(Some((blob, base)));
            stage.set(Stage::Preview);
        };
        match recorder::start(&s, &mime, done) {
            Ok(r) => recorder.set_value(Some(r)),
            Err(m) => error.set(Some(m)),
        }
    };

    let record = move || {
        error.set(None);
        forget_video();
        spawn_local(async move {
            match recorder::open().await {
                Ok(s) => {
                    stream.set_value(Some(s));
                    countdown.set(3);
                    elapsed.set(0);
                    stage.set(Stage::Camera);
                    let handle = set_interval_with_handle(
                        move || {
                            let left = countdown.get_untracked();
                            if left > 1 {
                                countdown.set(left - 1);
                            } else if left == 1 {
                                countdown.set(0);
                                begin_recording();
                            } else {
                                let e = elapsed.get_untracked() + 1;
                                elapsed.set(e);
                                if e >= max_seconds() {
                                    finish_recording();
                                }
                            }
                        },
                        Duration::from_secs(1),
                    );
                    ticker.set_value(handle.ok());
                }
                Err(m) => error.set(Some(m)),
            }
        });
    };

    // The live camera picture, once its element exists.
    Effect::new(move |_| {
        if let Some(el) = camera.get()
            && let Some(s) = stream.get_value()
        {
            el.set_src_object(Some(&s));
            let _ = el.play();
        }
    });

    let picked = move |ev: web_sys::Event| {
        error.set(None);
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        let Some(i) = info.get_untracked() else { return };
        let content_type = match content_type_of(&file, &i.accepted_types) {
            Ok(ct) => ct,
            Err(m) => return error.set(Some(m)),
        };
        if file.size() <= 0.0 {
            return error.set(Some(t("error.empty")));
        }
        if file.size() > i.max_bytes as f64 {
            let (size, limit) = (megabytes(file.size()), megabytes(i.max_bytes as f64));
            return error.set(Some(tf("error.too_big", &[("size", &size), ("limit", &limit)])));
        }
        forget_video();
        let blob: Blob = file.into();
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
        spawn_local(async move {
            if let Some(d) = duration_of(&url).await
                && d > i.max_duration_seconds as f64 + 1.0
            {
                let _ = web_sys::Url::revoke_object_url(&url);
                let (seconds, limit) = (d.round().to_string(), i.max_duration_seconds.to_string());
                return error.set(Some(tf("error.too_long", &[("seconds", &seconds), ("limit", &limit)])));
            }
            preview.set(Some(url));
            video.set_value(Some((blob, content_type)));
            text_only.set(false);
            start_transfer();
            stage.set(Stage::Details);
        });
    };

    let can_send = move || {
        let basics = consent.get() && !name.get().trim().is_empty();
        let media =
            if text_only.get() { !quote.get().trim().is_empty() } else { matches!(transfer.get(), Transfer::Done(_)) };
        basics && media
    };

    let send = move || {
        let upload_key = match transfer.get_untracked() {
            Transfer::Done(k) if !text_only.get_untracked() => Some(k),
            _ => None,
        };
        let Some(i) = info.get_untracked() else { return };
        error.set(None);
        stage.set(Stage::Sending);
        spawn_local(async move {
            let s = api::Submission {
                upload_key,
                display_name: name.get_untracked(),
                rating: rating.get_untracked(),
                quote: quote.get_untracked(),
                consent_version: i.consent_version,
            };
            match api::submit(&token.get_value(), s).await {
                Ok(r) => {
                    reward.set(r);
                    stage.set(Stage::Done);
                }
                Err(e) if matches!(e.code, api::ErrorCode::AlreadySubmitted | api::ErrorCode::TokenInvalid) => {
                    stage.set(closed(&e))
                }
                Err(e) => {
                    error.set(Some(e.message));
                    stage.set(Stage::Details);
                }
            }
        });
    };

    let header = move || {
        info.get().map(|i| {
            view! {
                <header>
                    {i.logo_url.clone().map(|src| view! { <img class="logo" src=src alt="" on:error=hide_broken_image/> })}
                    <strong>{i.shop_name.clone()}</strong>
                </header>
                <div class="product">
                    {i.product_image_url.clone().map(|src| view! { <img src=src alt="" on:error=hide_broken_image/> })}
                    <h1>{tf("heading", &[("product", &i.product_title)])}</h1>
                </div>
            }
        })
    };

    let error_line = move || error.get().map(|m| view! { <p class="error" role="alert" data-testid="error">{m}</p> });

    let body = move || {
        match stage.get() {
        Stage::Loading => view! { <p class="muted">{t("loading")}</p> }.into_any(),
        Stage::Closed(title, text) => view! {
            <div class="card" data-testid="closed"><h1>{title}</h1><p>{text}</p></div>
        }
        .into_any(),
        Stage::Choose => {
            let i = info.get_untracked().expect("loaded");
            view! {
                <div class="card">
                    <p data-testid="prompt">{i.prompt.clone()}</p>
                    <p class="muted">{tf("choose.limit", &[("seconds", &i.max_duration_seconds.to_string())])}</p>
                    {i.incentive.clone().map(|x| view! { <p><strong>{x}</strong></p> })}
                    {move || rating.get().map(|n| view! {
                        <p class="chosen" data-testid="chosen-rating">
                            <span aria-hidden="true">{"★".repeat(n.into())}{"☆".repeat((5 - n).into())}</span>
                            " "{tf("choose.rated", &[("n", &n.to_string())])}
                        </p>
                    })}
                    {error_line}
                    <button class="primary" data-testid="record" on:click=move |_| record()>{t("choose.record")}</button>
                    <label class="sr-only" for="pick">{t("choose.pick")}</label>
                    <button on:click=move |_| {
                        if let Some(el) = document().get_element_by_id("pick") && let Ok(input) = el.dyn_into::<web_sys::HtmlElement>() {
                            input.click();
                        }
                    }>{t("choose.pick")}</button>
                    <input id="pick" type="file" accept="video/*" hidden data-testid="file" on:change=picked/>
                    <button data-testid="text-only" on:click=move |_| {
                        forget_video();
                        text_only.set(true);
                        error.set(None);
                        stage.set(Stage::Details);
                    }>{t("choose.text")}</button>
                    {postpone_link().map(|href| view! {
                        <p class="muted">{t("choose.postpone")}" "<a href=href data-testid="postpone">{t("choose.postpone_link")}</a></p>
                    })}
                </div>
            }
            .into_any()
        }
        Stage::Camera => view! {
            <div class="card">
                <video node_ref=camera autoplay=true muted=true playsinline=true data-testid="camera"></video>
                {move || {
                    let left = countdown.get();
                    if left > 0 {
                        view! { <p class="countdown" aria-live="assertive">{left}</p> }.into_any()
                    } else {
                        let e = elapsed.get();
                        view! {
                            <p class="timer" aria-live="off" data-testid="timer">
                                {format!("● {}:{:02} / {}:{:02}", e / 60, e % 60, max_seconds() / 60, max_seconds() % 60)}
                            </p>
                        }
                        .into_any()
                    }
                }}
                {error_line}
                <button class="primary" data-testid="stop" disabled=move || { countdown.get() > 0 } on:click=move |_| finish_recording()>
                    {t("camera.stop")}
                </button>
                <button on:click=move |_| {
                    finish_recording();
                    stop_camera();
                    forget_video();
                    stage.set(Stage::Choose);
                }>{t("camera.cancel")}</button>
            </div>
        }
        .into_any(),
        Stage::Preview => view! {
            <div class="card">
                <video src=move || preview.get().unwrap_or_default() controls=true playsinline=true data-testid="preview"></video>
                <button class="primary" data-testid="use-video" on:click=move |_| {
                    text_only.set(false);
                    start_transfer();
                    stage.set(Stage::Details);
                }>{t("preview.use")}</button>
                <button data-testid="retake" on:click=move |_| record()>{t("preview.again")}</button>
            </div>
        }
        .into_any(),
        Stage::Details | Stage::Sending => {
            let i = info.get_untracked().expect("loaded");
            view! {
                <div class="card">
                    {move || (!text_only.get()).then(|| view! {
                        <video src=move || preview.get().unwrap_or_default() controls=true playsinline=true></video>
                        <UploadStatus transfer=transfer retry=Callback::new(move |_| start_transfer())/>
                    })}
                    <label>{t("details.rating")}</label>
                    <div class="stars" role="group" aria-label=t("details.rating_group")>
                        {(1..=5u8).map(|n| view! {
                            <button type="button" aria-label=tf("details.star", &[("n", &n.to_string())]) aria-pressed=move || (rating.get() == Some(n)).to_string()
                                on:click=move |_| rating.update(|r| *r = if *r == Some(n) { None } else { Some(n) })>
                                {move || if rating.get().is_some_and(|r| r >= n) { "★" } else { "☆" }}
                            </button>
                        }).collect_view()}
                    </div>
                    <label for="quote">{move || if text_only.get() { t("details.words") } else { t("details.words_optional") }}</label>
                    <textarea id="quote" maxlength="500" data-testid="quote" prop:value=move || quote.get()
                        on:input=move |ev| quote.set(event_target_value(&ev))></textarea>
                    <label for="name">{t("details.name")}</label>
                    <input id="name" type="text" maxlength="60" autocomplete="given-name" data-testid="name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                    <p class="muted">{t("details.name_hint")}</p>
                    <label class="consent">
                        <input type="checkbox" data-testid="consent" prop:checked=move || consent.get()
                            on:change=move |ev| consent.set(event_target_checked(&ev))/>
                        <span data-testid="consent-text">{i.consent_text.clone()}</span>
                    </label>
                    {error_line}
                    <button class="primary" data-testid="send" disabled=move || !can_send() || stage.get() == Stage::Sending
                        on:click=move |_| send()>
                        {move || match (stage.get(), transfer.get(), text_only.get()) {
                            (Stage::Sending, _, _) => t("details.sending"),
                            (_, Transfer::Sending { sent, total, .. }, false) => {
                                tf("details.uploading", &[("percent", &format!("{:.0}", 100.0 * sent / total.max(1.0)))])
                            }
                            _ => t("details.send"),
                        }}
                    </button>
                    <button on:click=move |_| {
                        forget_video();
                        stage.set(Stage::Choose);
                    }>{move || if text_only.get() { t("details.record_instead") } else { t("details.another") }}</button>
                </div>
            }
            .into_any()
        }
        Stage::Done => {
            let incentive = info.get_untracked().and_then(|i| i.incentive);
            view! {
                <div class="card" data-testid="done">
                    <h1>{t("done.title")}</h1>
                    <p>{t("done.body")}</p>
                    {incentive.map(|x| view! { <p>{x}</p> })}
                    {match reward.get_untracked() {
                        api::Reward::Code(code, emailed) => Some(view! {
                            <p>{t("done.reward")}</p>
                            <p class="reward" data-testid="reward-code">{code}</p>
                            {emailed.then(|| view! { <p class="muted">{t("done.reward_emailed")}</p> })}
                        }.into_any()),
                        api::Reward::Pending => Some(view! {
                            <p data-testid="reward-pending">{t("done.reward_pending")}</p>
                        }.into_any()),
                        api::Reward::None => None,
                    }}
                </div>
            }
            .into_any()
        }
    }
    };

    view! {
        <main style=move || info.with(|i| i.as_ref().map(|i| brand(&i.brand_colour)).unwrap_or_default())>
            {header}
            {body}
        </main>
    }
}

#[component]
fn UploadStatus(transfer: RwSignal<Transfer>, retry: Callback<()>) -> impl IntoView {
    move || match transfer.get() {
        Transfer::Idle => ().into_any(),
        Transfer::Sending { sent, total, retry: attempt } => {
            let pct = (100.0 * sent / total.max(1.0)).clamp(0.0, 100.0);
            view! {
                <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{pct:.0}") data-testid="progress">
                    <div style=format!("width: {pct:.1}%")></div>
                </div>
                <p class="muted" aria-live="polite">
                    {if attempt > 0 {
                        tf("upload.retrying", &[("attempt", &attempt.to_string())])
                    } else {
                        tf("upload.progress", &[("sent", &megabytes(sent)), ("total", &megabytes(total))])
                    }}
                </p>
            }
            .into_any()
        }
        Transfer::Done(_) => view! { <p class="muted" data-testid="uploaded">{t("upload.done")}</p> }.into_any(),
        Transfer::Failed(m) => view! {
            <p class="error" role="alert">{m}</p>
            <button on:click=move |_| retry.run(())>{t("upload.retry")}</button>
        }
        .into_any(),
    }
}
