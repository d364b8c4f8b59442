//! The storefront widget. The theme block already shows the testimonials as server-rendered
//! HTML (posters in fixed aspect-ratio boxes, native video controls): a page works, and is
//! accessible, with no script at all. The loader (`widget/loader.js`, a few hundred bytes)
//! fetches this WebAssembly only when a block scrolls into view or is touched; it then:
//!
//! - asks the storefront API what is published now (cached for 30 s by browsers and CDNs);
//! - when the server HTML shows exactly those testimonials, keeps it and only adds controls on
//!   top (absolutely positioned, so nothing moves: no layout shift);
//! - otherwise renders the current list in the same markup (an unpublished testimonial
//!   disappears even from a stale page), or hides the block when nothing is left;
//! - adds a play button over each video (click-to-play, keyboard reachable, labelled) and, for
//!   the carousel layout, previous/next buttons that scroll without animation when the shopper
//!   prefers reduced motion.

use api_client::storefront::{self, Testimonials, testimonials};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

type Item = testimonials::TestimonialsTestimonialsEdgesNode;

/// The block's words in the storefront's language, from the storefront API.
#[derive(Clone, Default)]
struct Words {
    language: String,
    texts: std::collections::HashMap<String, String>,
}

impl Words {
    /// The text for `key` with its `{name}` placeholders filled.
    fn get(&self, key: &str, args: &[(&str, &str)]) -> String {
        let text = self.texts.get(key).cloned().unwrap_or_default();
        args.iter().fold(text, |s, (name, value)| s.replace(&format!("{{{name}}}"), value))
    }
}

/// What the storefront API says the block should show now, in the storefront's language.
struct Current {
    items: Vec<Item>,
    words: Words,
    note: Option<String>,
}

fn main() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(blocks) = document.query_selector_all(".reelproof-widget") else { return };
    for i in 0..blocks.length() {
        let Some(el) = blocks.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) else { continue };
        if el.get_attribute("data-enhanced").is_some() {
            continue;
        }
        el.set_attribute("data-enhanced", "pending").ok();
        wasm_bindgen_futures::spawn_local(enhance(el));
    }
}

fn attr(el: &Element, name: &str) -> Option<String> {
    el.get_attribute(name).filter(|v| !v.trim().is_empty())
}

/// What the storefront API says this block should show; `None` when it could not be asked
/// (the server HTML then stays as it is).
async fn current(block: &Element) -> Option<Current> {
    // The loader names our server; a page we serve ourselves needs no name.
    let api = attr(block, "data-api").or_else(|| web_sys::window()?.location().origin().ok())?;
    let shop = attr(block, "data-shop")?;
    let product = attr(block, "data-product-id");
    let placement = if product.is_some() {
        testimonials::StorefrontPlacement::PRODUCT
    } else {
        testimonials::StorefrontPlacement::HOME
    };
    let first: i64 = attr(block, "data-limit").and_then(|l| l.parse().ok()).unwrap_or(12);
    // The theme's `request.locale.iso_code`; else the page's own language.
    let locale = attr(block, "data-locale")
        .or_else(|| web_sys::window()?.document()?.document_element()?.get_attribute("lang"))
        .unwrap_or_else(|| "en".into());
    let vars = testimonials::Variables { shop, placement, product_id: product, first: Some(first), locale };
    let url = format!("{}{}", api.trim_end_matches('/'), storefront::PATH);
    // GET, so CDNs can cache it; the browser revalidates its copy (a 304 costs almost nothing),
    // so a testimonial unpublished a second ago is not shown from a 30-second cache.
    let data = api_client::transport::get::<Testimonials>(&url, vars).await.ok()?;
    let copy = data.storefront_copy;
    Some(Current {
        items: data.testimonials.edges.into_iter().map(|e| e.node).collect(),
        words: Words { language: copy.language, texts: copy.texts.into_iter().map(|t| (t.key, t.text)).collect() },
        note: data.collection_note,
    })
}

/// The testimonial ids the server HTML shows, in order.
fn shown(block: &Element) -> Vec<String> {
    let Ok(items) = block.query_selector_all("[data-testimonial]") else { return Vec::new() };
    (0..items.length())
        .filter_map(|i| items.item(i)?.dyn_into::<Element>().ok()?.get_attribute("data-testimonial"))
        .collect()
}

async fn enhance(block: HtmlElement) {
    let mut words = Words::default();
    if let Some(Current { items, words: now, note }) = current(&block).await {
        words = now;
        let ids: Vec<String> = items.iter().map(|t| t.id.clone()).collect();
        // The server HTML speaks the shop's language; a storefront in another one gets the
        // block again in its own.
        let html_language =
            block.query_selector(".reelproof").ok().flatten().and_then(|s| s.get_attribute("data-lang"));
        let other_language = html_language.is_some_and(|l| l != words.language);
        if items.is_empty() {
            block.set_hidden(true);
        } else if ids == shown(&block) && other_language {
            translate(&block, &words, note.as_deref());
        } else if ids != shown(&block) {
            let heading = block
                .query_selector(".reelproof__heading")
                .ok()
                .flatten()
                .and_then(|h| h.text_content())
                .or_else(|| attr(&block, "data-heading"))
                .unwrap_or_else(|| words.get("heading", &[]));
            block.set_inner_html("");
            let placement = if attr(&block, "data-product-id").is_some() { "product" } else { "home" };
            let w = words.clone();
            leptos::mount::mount_to(block.clone(), move || view! { <List heading placement items note words=w/> })
                .forget();
        }
    }
    // The block's own heading setting (the stored HTML carries the default one).
    if let (Some(text), Some(h)) =
        (attr(&block, "data-heading"), block.query_selector(".reelproof__heading").ok().flatten())
        && h.text_content().as_deref() != Some(text.as_str())
    {
        h.set_text_content(Some(&text));
    }
    add_controls(&block, &words);
    block.set_attribute("data-enhanced", "true").ok();
}

/// The server HTML in the storefront's language, word by word and in place: the same
/// testimonials, so nothing is rebuilt and (the words being of like length) nothing moves.
fn translate(block: &HtmlElement, words: &Words, note: Option<&str>) {
    let each = |css: &str, f: &dyn Fn(&Element)| {
        if let Ok(list) = block.query_selector_all(css) {
            for i in 0..list.length() {
                if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    f(&el);
                }
            }
        }
    };
    each(".reelproof", &|s| {
        s.set_attribute("lang", &words.language).ok();
        s.set_attribute("data-lang", &words.language).ok();
    });
    each(".reelproof__badge--verified", &|b| b.set_text_content(Some(&words.get("verified", &[]))));
    each(".reelproof__badge--incentive", &|b| b.set_text_content(Some(&words.get("reward", &[]))));
    each(".reelproof__note summary", &|s| s.set_text_content(Some(&words.get("note_title", &[]))));
    // "3 video testimonials": the text after the summary's stars.
    each(".reelproof__summary", &|p| {
        let count = block
            .query_selector(".reelproof")
            .ok()
            .flatten()
            .and_then(|s| s.get_attribute("data-count"))
            .unwrap_or_default();
        let key = if count == "1" { "count_one" } else { "count_many" };
        if let Some(text) = p.last_child() {
            text.set_text_content(Some(&format!(" {}", words.get(key, &[("n", &count)]))));
        }
    });
    if let Some(n) = note {
        each(".reelproof__note p", &|p| p.set_text_content(Some(n)));
    }
    each(".reelproof__item", &|item| {
        let name = item.query_selector("cite").ok().flatten().and_then(|c| c.text_content()).unwrap_or_default();
        if let Some(v) = item.query_selector("video").ok().flatten() {
            v.set_attribute("aria-label", &words.get("video_by", &[("name", &name)])).ok();
        }
        if let Some(r) = item.query_selector(".reelproof__rating").ok().flatten() {
            let n = r.text_content().unwrap_or_default().chars().filter(|c| *c == '★').count();
            r.set_attribute("aria-label", &words.get("rated", &[("n", &n.to_string())])).ok();
        }
    });
}

/// One testimonial, in the server HTML's markup (same classes, same boxes).
#[component]
fn List(
    heading: String,
    placement: &'static str,
    items: Vec<Item>,
    note: Option<String>,
    words: Words,
) -> impl IntoView {
    let count = items.len();
    let label = heading.clone();
    let language = words.language.clone();
    let copy = words.clone();
    view! {
        <section class=format!("reelproof reelproof--{placement}") aria-label=label data-count=count
            lang=language.clone() data-lang=language>
            <h2 class="reelproof__heading">{heading}</h2>
            <ul class="reelproof__list" role="list">
                {items.into_iter().map(|t| {
                    let (w, h) = match (t.width, t.height) {
                        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
                        _ => (9, 16),
                    };
                    let label = copy.get("video_by", &[("name", &t.display_name)]);
                    let rated = |r: i64| copy.get("rated", &[("n", &r.to_string())]);
                    let (verified, reward) = (copy.get("verified", &[]), copy.get("reward", &[]));
                    view! {
                        <li class="reelproof__item" data-testimonial=t.id.clone()>
                            <figure>
                                <div class="reelproof__frame" style=format!("aspect-ratio:{w}/{h}")>
                                    <video controls playsinline preload="none" width=w height=h
                                        poster=t.poster_images.is_empty().then(|| t.poster_url.clone()).flatten()
                                        aria-label=label src=t.video_url.clone()></video>
                                    {poster_picture(&t.poster_images, w, h)}
                                </div>
                                <figcaption>
                                    {t.rating.map(|r| view! {
                                        <span class="reelproof__rating" aria-label=rated(r)>{stars(r)}</span>
                                    })}
                                    {t.quote.clone().map(|q| view! { <blockquote>{q}</blockquote> })}
                                    <cite>{t.display_name.clone()}</cite>
                                    {(t.verified_buyer || t.incentivised).then(|| view! {
                                        <span class="reelproof__badges">
                                            {t.verified_buyer.then(|| view! {
                                                <span class="reelproof__badge reelproof__badge--verified">{verified.clone()}</span>
                                            })}
                                            {t.incentivised.then(|| view! {
                                                <span class="reelproof__badge reelproof__badge--incentive">{reward.clone()}</span>
                                            })}
                                        </span>
                                    })}
                                </figcaption>
                            </figure>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {note.map(|n| view! {
                <details class="reelproof__note"><summary>{words.get("note_title", &[])}</summary><p>{n}</p></details>
            })}
        </section>
    }
}

/// Must equal the server's `domain::storefront::POSTER_SIZES`: both render the same markup
/// (the browser test compares them).
const POSTER_SIZES: &str = "(min-width: 750px) 240px, (min-width: 400px) 50vw, 100vw";

type Poster = testimonials::TestimonialsTestimonialsEdgesNodePosterImages;

/// The poster in the sizes the block needs, as the server renders it (`poster_picture`).
fn poster_picture(posters: &[Poster], w: i64, h: i64) -> Option<impl IntoView + use<>> {
    let srcset = |mime: &str| {
        let list: Vec<String> =
            posters.iter().filter(|p| p.mime_type == mime).map(|p| format!("{} {}w", p.url, p.width)).collect();
        (!list.is_empty()).then(|| list.join(", "))
    };
    let jpeg = srcset("image/jpeg")?;
    let jpegs: Vec<&Poster> = posters.iter().filter(|p| p.mime_type == "image/jpeg").collect();
    let fallback = jpegs.iter().find(|p| p.width >= 480).or(jpegs.last())?.url.clone();
    let webp = srcset("image/webp");
    Some(view! {
        <picture class="reelproof__poster">
            {webp.map(|s| view! { <source type="image/webp" srcset=s sizes=POSTER_SIZES/> })}
            <img src=fallback srcset=jpeg sizes=POSTER_SIZES width=w height=h alt="" loading="lazy"
                decoding="async" fetchpriority="low"/>
        </picture>
    })
}

fn stars(r: i64) -> String {
    let r = r.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(r), "☆".repeat(5 - r))
}

/// Play buttons over every video, and carousel buttons for the carousel layout. All absolutely
/// positioned inside boxes that already have their size: adding them moves nothing.
fn add_controls(block: &HtmlElement, words: &Words) {
    let Ok(frames) = block.query_selector_all(".reelproof__frame") else { return };
    for i in 0..frames.length() {
        let Some(frame) = frames.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) else { continue };
        if frame.query_selector(".reelproof__play").ok().flatten().is_some() {
            continue;
        }
        let label = frame
            .query_selector("video")
            .ok()
            .flatten()
            .and_then(|v| v.get_attribute("aria-label"))
            .unwrap_or_default();
        let label =
            if words.texts.is_empty() { format!("▶ {label}") } else { words.get("play", &[("label", &label)]) };
        let target = frame.clone();
        leptos::mount::mount_to(frame, move || view! { <PlayButton frame=target label/> }).forget();
    }
    let carousel = block.get_attribute("data-layout").as_deref() == Some("carousel");
    if let (true, Some(list)) = (carousel, block.query_selector(".reelproof__list").ok().flatten()) {
        let Ok(list) = list.dyn_into::<HtmlElement>() else { return };
        let Some(section) = block.query_selector(".reelproof").ok().flatten() else { return };
        let Ok(section) = section.dyn_into::<HtmlElement>() else { return };
        let (previous, next) = (words.get("previous", &[]), words.get("next", &[]));
        leptos::mount::mount_to(section, move || view! { <CarouselButtons list previous next/> }).forget();
    }
}

#[component]
fn PlayButton(frame: HtmlElement, label: String) -> impl IntoView {
    let (playing, set_playing) = signal(false);
    let play = move |_| {
        let Some(video) = frame.query_selector("video").ok().flatten() else { return };
        let Ok(video) = video.dyn_into::<web_sys::HtmlMediaElement>() else { return };
        // Loading starts only now (the markup says preload="none"); the poster image over the
        // video steps aside (CSS on `is-playing`).
        let _ = frame.class_list().add_1("is-playing");
        let _ = video.play();
        let _ = video.focus();
        set_playing.set(true);
    };
    view! {
        <button type="button" class="reelproof__play" aria-label=label hidden=playing on:click=play>
            <span aria-hidden="true">"▶"</span>
        </button>
    }
}

fn reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .is_some_and(|m| m.matches())
}

#[component]
fn CarouselButtons(list: HtmlElement, previous: String, next: String) -> impl IntoView {
    let scroll = move |direction: f64| {
        let opts = web_sys::ScrollToOptions::new();
        opts.set_left(direction * f64::from(list.client_width()) * 0.8);
        opts.set_behavior(if reduced_motion() {
            web_sys::ScrollBehavior::Auto
        } else {
            web_sys::ScrollBehavior::Smooth
        });
        list.scroll_by_with_scroll_to_options(&opts);
    };
    let back = scroll.clone();
    view! {
        <button type="button" class="reelproof__nav reelproof__nav--prev" aria-label=previous on:click=move |_| back(-1.0)>"‹"</button>
        <button type="button" class="reelproof__nav reelproof__nav--next" aria-label=next on:click=move |_| scroll(1.0)>"›"</button>
    }
}
