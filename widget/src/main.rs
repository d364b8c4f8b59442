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
async fn current(block: &Element) -> Option<Vec<Item>> {
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
    let vars = testimonials::Variables { shop, placement, product_id: product, first: Some(first) };
    let url = format!("{}{}", api.trim_end_matches('/'), storefront::PATH);
    // GET, so CDNs can cache it; the browser revalidates its copy (a 304 costs almost nothing),
    // so a testimonial unpublished a second ago is not shown from a 30-second cache.
    let data = api_client::transport::get::<Testimonials>(&url, vars).await.ok()?;
    Some(data.testimonials.edges.into_iter().map(|e| e.node).collect())
}

/// The testimonial ids the server HTML shows, in order.
fn shown(block: &Element) -> Vec<String> {
    let Ok(items) = block.query_selector_all("[data-testimonial]") else { return Vec::new() };
    (0..items.length())
        .filter_map(|i| items.item(i)?.dyn_into::<Element>().ok()?.get_attribute("data-testimonial"))
        .collect()
}

async fn enhance(block: HtmlElement) {
    if let Some(items) = current(&block).await {
        let ids: Vec<String> = items.iter().map(|t| t.id.clone()).collect();
        if items.is_empty() {
            block.set_hidden(true);
        } else if ids != shown(&block) {
            let heading = block
                .query_selector(".reelproof__heading")
                .ok()
                .flatten()
                .and_then(|h| h.text_content())
                .or_else(|| attr(&block, "data-heading"))
                .unwrap_or_else(|| "What our customers say".into());
            block.set_inner_html("");
            let placement = if attr(&block, "data-product-id").is_some() { "product" } else { "home" };
            leptos::mount::mount_to(block.clone(), move || view! { <List heading placement items/> }).forget();
        }
    }
    // The block's own heading setting (the stored HTML carries the default one).
    if let (Some(text), Some(h)) =
        (attr(&block, "data-heading"), block.query_selector(".reelproof__heading").ok().flatten())
        && h.text_content().as_deref() != Some(text.as_str())
    {
        h.set_text_content(Some(&text));
    }
    add_controls(&block);
    block.set_attribute("data-enhanced", "true").ok();
}

/// One testimonial, in the server HTML's markup (same classes, same boxes).
#[component]
fn List(heading: String, placement: &'static str, items: Vec<Item>) -> impl IntoView {
    let count = items.len();
    let label = heading.clone();
    view! {
        <section class=format!("reelproof reelproof--{placement}") aria-label=label data-count=count>
            <h2 class="reelproof__heading">{heading}</h2>
            <ul class="reelproof__list" role="list">
                {items.into_iter().map(|t| {
                    let (w, h) = match (t.width, t.height) {
                        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
                        _ => (9, 16),
                    };
                    let label = format!("Video testimonial by {}", t.display_name);
                    view! {
                        <li class="reelproof__item" data-testimonial=t.id.clone()>
                            <figure>
                                <div class="reelproof__frame" style=format!("aspect-ratio:{w}/{h}")>
                                    <video controls playsinline preload="none" width=w height=h
                                        poster=t.poster_url.clone() aria-label=label src=t.video_url.clone()></video>
                                </div>
                                <figcaption>
                                    {t.rating.map(|r| view! {
                                        <span class="reelproof__rating" aria-label=format!("Rated {r} out of 5")>{stars(r)}</span>
                                    })}
                                    {t.quote.clone().map(|q| view! { <blockquote>{q}</blockquote> })}
                                    <cite>{t.display_name.clone()}</cite>
                                </figcaption>
                            </figure>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

fn stars(r: i64) -> String {
    let r = r.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(r), "☆".repeat(5 - r))
}

/// Play buttons over every video, and carousel buttons for the carousel layout. All absolutely
/// positioned inside boxes that already have their size: adding them moves nothing.
fn add_controls(block: &HtmlElement) {
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
            .unwrap_or_else(|| "Video testimonial".into());
        let target = frame.clone();
        leptos::mount::mount_to(frame, move || view! { <PlayButton frame=target label/> }).forget();
    }
    let carousel = block.get_attribute("data-layout").as_deref() == Some("carousel");
    if let (true, Some(list)) = (carousel, block.query_selector(".reelproof__list").ok().flatten()) {
        let Ok(list) = list.dyn_into::<HtmlElement>() else { return };
        let Some(section) = block.query_selector(".reelproof").ok().flatten() else { return };
        let Ok(section) = section.dyn_into::<HtmlElement>() else { return };
        leptos::mount::mount_to(section, move || view! { <CarouselButtons list/> }).forget();
    }
}

#[component]
fn PlayButton(frame: HtmlElement, label: String) -> impl IntoView {
    let (playing, set_playing) = signal(false);
    let play = move |_| {
        let Some(video) = frame.query_selector("video").ok().flatten() else { return };
        let Ok(video) = video.dyn_into::<web_sys::HtmlMediaElement>() else { return };
        // Loading starts only now (the markup says preload="none").
        let _ = video.play();
        let _ = video.focus();
        set_playing.set(true);
    };
    view! {
        <button type="button" class="reelproof__play" aria-label=format!("Play: {label}") hidden=playing on:click=play>
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
fn CarouselButtons(list: HtmlElement) -> impl IntoView {
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
        <button type="button" class="reelproof__nav reelproof__nav--prev" aria-label="Previous testimonials" on:click=move |_| back(-1.0)>"‹"</button>
        <button type="button" class="reelproof__nav reelproof__nav--next" aria-label="Next testimonials" on:click=move |_| scroll(1.0)>"›"</button>
    }
}
