//! What the storefront may show of a testimonial, and the markup the app proxy serves: HTML a
//! theme shows with no JavaScript at all, and on product pages the structured data search
//! engines read (one `Product` with its `AggregateRating`, `Review`s and a `VideoObject` per
//! video). Pure: URLs and names come in, text goes out.

use super::html::escape;
use chrono::{DateTime, Utc};

/// The public-safe view of a published testimonial (DESIGN.md §5): nothing about the order,
/// the customer's contacts, tokens or requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicTestimonial {
    pub id: entity::SubmissionId,
    /// First name and last initial.
    pub display_name: String,
    pub rating: Option<i16>,
    pub quote: Option<String>,
    pub video_url: String,
    pub poster_url: Option<String>,
    /// The poster in smaller sizes, WebP and JPEG (empty for videos processed before they
    /// were made: the full `poster_url` serves alone then).
    pub posters: Vec<PosterImage>,
    pub duration_ms: Option<i64>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub product_id: i64,
    pub published_at: DateTime<Utc>,
    /// It came from a real order's capture link (an import or a hand-entered one did not).
    pub verified_buyer: bool,
    /// The customer was given or promised something for it.
    pub incentivised: bool,
}

/// One smaller poster: where it is, its size in pixels, its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterImage {
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub format: super::media::PosterFormat,
}

/// How wide a testimonial shows, for `sizes`: the block's grid cells are at least 180 px, two
/// to a row from about 400 px of screen (one below), about 240 px on wider screens.
pub const POSTER_SIZES: &str = "(min-width: 750px) 240px, (min-width: 400px) 50vw, 100vw";

/// The `srcset` of the posters in `format` (`url 240w, url 480w`), if there are any.
pub fn poster_srcset(posters: &[PosterImage], format: super::media::PosterFormat) -> Option<String> {
    let list: Vec<String> =
        posters.iter().filter(|p| p.format == format).map(|p| format!("{} {}w", p.url, p.width)).collect();
    (!list.is_empty()).then(|| list.join(", "))
}

/// The poster over a video, in the sizes the block needs: the browser picks the smallest file
/// that is sharp on its screen, WebP where it can; the box already has its size (no layout
/// shift). The addresses wait in `data-` attributes until the page has loaded (the loader sets
/// them then, `loading="lazy"` after that), so the posters never take bandwidth from the
/// page's own images and never delay its Largest Contentful Paint; without JavaScript the
/// `<noscript>` copy loads them lazily. `None` when there are no smaller posters (the video's
/// own `poster` attribute serves then).
pub fn poster_picture(posters: &[PosterImage], width: i32, height: i32) -> Option<String> {
    use super::media::PosterFormat;
    let jpeg = text(&poster_srcset(posters, PosterFormat::Jpeg)?);
    let fallback = posters
        .iter()
        .filter(|p| p.format == PosterFormat::Jpeg)
        .find(|p| p.width >= 480)
        .or_else(|| posters.iter().rfind(|p| p.format == PosterFormat::Jpeg))?;
    let src = text(&fallback.url);
    let webp = poster_srcset(posters, PosterFormat::Webp).map(|s| text(&s));
    let picture = |prefix: &str, img_extra: &str| {
        let source = webp
            .as_ref()
            .map(|s| format!("<source type=\"image/webp\" {prefix}srcset=\"{s}\" sizes=\"{POSTER_SIZES}\">"))
            .unwrap_or_default();
        format!(
            "{source}<img {prefix}src=\"{src}\" {prefix}srcset=\"{jpeg}\" sizes=\"{POSTER_SIZES}\" width=\"{width}\" height=\"{height}\" alt=\"\"{img_extra} decoding=\"async\">"
        )
    };
    Some(format!(
        "<picture class=\"reelproof__poster\" data-rp-deferred>{}</picture><noscript><picture class=\"reelproof__poster\">{}</picture></noscript>",
        picture("data-", ""),
        picture("", " loading=\"lazy\""),
    ))
}

/// The note to show under the block: the merchant's, else our "How we collect testimonials"
/// in `language` (the FTC's rule on reviews and the EU's Omnibus directive ask shops to say
/// how reviews are gathered and checked); none when the merchant left it empty.
pub fn collection_note<'a>(merchant: Option<&'a str>, language: &str) -> Option<&'a str> {
    match merchant {
        None => Some(super::storefront_copy::copy(language)["note"]),
        Some(n) if n.trim().is_empty() => None,
        Some(n) => Some(n),
    }
}

/// A product's count of visible testimonials and their average rating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: u32,
    pub rated: u32,
    pub average_rating: Option<f64>,
}

pub fn summarise(ratings: &[Option<i16>]) -> Summary {
    let rated: Vec<f64> = ratings.iter().flatten().map(|r| f64::from(*r)).collect();
    let average_rating =
        (!rated.is_empty()).then(|| (rated.iter().sum::<f64>() / rated.len() as f64 * 10.0).round() / 10.0);
    Summary { count: ratings.len() as u32, rated: rated.len() as u32, average_rating }
}

/// Shopify's limit on a metafield's value (most types, SHOPIFY-2026.md §2.4).
pub const METAFIELD_MAX_BYTES: usize = 65_536;

/// The standard review metafields of a product (`reviews.rating` of type `rating`,
/// `reviews.rating_count`), which themes, the Shop app and the Google and Meta feeds read.
/// The value is the same average, rounded the same way, as the JSON-LD `AggregateRating`;
/// `None` when nothing is rated (the metafields are then removed).
pub fn review_metafields(summary: &Summary) -> Option<(String, String)> {
    let avg = summary.average_rating?;
    let rating = serde_json::json!({ "value": format!("{avg:.1}"), "scale_min": "1.0", "scale_max": "5.0" });
    Some((rating.to_string(), summary.rated.to_string()))
}

/// "Ada Lovelace" → "Ada L."; a single name stays as it is. What the customer typed is shown
/// no more fully than that, whatever they typed.
pub fn public_name(display_name: &str) -> String {
    let words: Vec<&str> = display_name.split_whitespace().collect();
    match words.as_slice() {
        [] => "A customer".into(),
        [first] => (*first).to_owned(),
        [first, .., last] => {
            let initial: String = last.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
            format!("{first} {initial}.")
        }
    }
}

/// Text for the app proxy's Liquid response: HTML-escaped, and Liquid's delimiters neutralised
/// too, so a customer's `{{ … }}` or `{% … %}` is shown, never run by the theme.
fn text(s: &str) -> String {
    escape(s).replace('{', "&#123;").replace('}', "&#125;")
}

/// ISO 8601 duration (`PT1M5S`) for `VideoObject.duration`.
pub fn iso_duration(ms: i64) -> String {
    let s = (ms + 500) / 1000;
    match (s / 60, s % 60) {
        (0, sec) => format!("PT{sec}S"),
        (m, 0) => format!("PT{m}M"),
        (m, sec) => format!("PT{m}M{sec}S"),
    }
}

/// The product page's structured data: one `Product` (rating markup only when asked for and
/// there are ratings), and one `VideoObject` per testimonial. Home-page testimonials get none:
/// search engines ignore a business's reviews of itself there.
pub fn product_json_ld(
    product_title: &str,
    items: &[PublicTestimonial],
    summary: &Summary,
    rating_markup: bool,
) -> serde_json::Value {
    use serde_json::json;
    let mut product = json!({ "@context": "https://schema.org", "@type": "Product", "name": product_title });
    if rating_markup && let Some(avg) = summary.average_rating {
        product["aggregateRating"] = json!({
            "@type": "AggregateRating", "ratingValue": avg, "reviewCount": summary.rated,
            "bestRating": 5, "worstRating": 1
        });
        let reviews: Vec<_> = items
            .iter()
            .filter_map(|t| {
                let r = t.rating?;
                let mut review = json!({
                    "@type": "Review",
                    "author": { "@type": "Person", "name": t.display_name },
                    "datePublished": t.published_at.date_naive().to_string(),
                    "reviewRating": { "@type": "Rating", "ratingValue": r, "bestRating": 5, "worstRating": 1 }
                });
                if let Some(q) = &t.quote {
                    review["reviewBody"] = json!(q);
                }
                Some(review)
            })
            .collect();
        product["review"] = json!(reviews);
    }
    let videos: Vec<_> = items
        .iter()
        .map(|t| {
            let mut v = json!({
                "@type": "VideoObject",
                "name": format!("{} on {product_title}", t.display_name),
                "description": t.quote.clone().unwrap_or_else(|| format!("A video testimonial by {}", t.display_name)),
                "uploadDate": t.published_at.to_rfc3339(),
                "contentUrl": t.video_url,
            });
            if let Some(p) = &t.poster_url {
                v["thumbnailUrl"] = json!(p);
            }
            if let Some(ms) = t.duration_ms {
                v["duration"] = json!(iso_duration(ms));
            }
            v
        })
        .collect();
    if !videos.is_empty() {
        product["subjectOf"] = json!(videos);
    }
    product
}

/// JSON inside `<script>`: `<` is written as `\u003c`, so no text can close the script element.
pub fn script_json(value: &serde_json::Value) -> String {
    // Inside strings, `{` and `}` become `\u007b`/`\u007d` too: the app proxy answers Liquid,
    // and a customer's `{{ … }}` or `{% … %}` in a review body must be inert there as well. (The
    // object braces outside strings never form `{{` or `{%` in compact JSON.)
    let json = value.to_string();
    let mut out = String::with_capacity(json.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '{' if in_string => out.push_str("\\u007b"),
            '}' if in_string => out.push_str("\\u007d"),
            _ => out.push(c),
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
    }
    out
}

/// How the proxy's HTML should look.
#[derive(Debug, Clone, PartialEq)]
pub struct Markup<'a> {
    pub heading: &'a str,
    /// `home` or `product`.
    pub placement: &'a str,
    /// Product pages: the structured data (`None` on the home page).
    pub json_ld: Option<serde_json::Value>,
    pub summary: Option<Summary>,
    /// "How we collect testimonials" (`collection_note`).
    pub collection_note: Option<&'a str>,
    /// The language of the words around the testimonials (a shipped one).
    pub language: &'a str,
}

/// The testimonials as HTML: every video in a box of fixed aspect ratio (no layout shift when
/// the poster arrives), `preload="none"` (nothing downloads until the shopper presses play),
/// native controls (keyboard and screen readers work without any script), a label per video.
pub fn render_html(m: &Markup<'_>, items: &[PublicTestimonial]) -> String {
    use super::storefront_copy::fill;
    let words = super::storefront_copy::copy(m.language);
    let mut out = format!(
        "<section class=\"reelproof reelproof--{}\" aria-label=\"{}\" data-count=\"{}\" lang=\"{}\" data-lang=\"{}\">",
        text(m.placement),
        text(m.heading),
        items.len(),
        text(m.language),
        text(m.language)
    );
    out.push_str(&format!("<h2 class=\"reelproof__heading\">{}</h2>", text(m.heading)));
    if let Some(s) = m.summary.filter(|s| s.count > 0) {
        out.push_str("<p class=\"reelproof__summary\">");
        if let Some(avg) = s.average_rating {
            out.push_str(&format!(
                "<span aria-label=\"{}\">{}</span> ",
                text(&fill(words["rated"], &[("n", &format!("{avg:.1}"))])),
                stars(avg.round() as i16)
            ));
        }
        let count = if s.count == 1 { words["count_one"] } else { words["count_many"] };
        out.push_str(&format!("{}</p>", text(&fill(count, &[("n", &s.count.to_string())]))));
    }
    out.push_str("<ul class=\"reelproof__list\" role=\"list\">");
    for t in items {
        let (w, h) = match (t.width, t.height) {
            (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
            _ => (9, 16),
        };
        let picture = poster_picture(&t.posters, w, h);
        let poster = match (&picture, t.poster_url.as_deref()) {
            (None, Some(p)) => format!(" poster=\"{}\"", text(p)),
            _ => String::new(),
        };
        let label = fill(words["video_by"], &[("name", &t.display_name)]);
        out.push_str(&format!(
            "<li class=\"reelproof__item\" data-testimonial=\"{}\"><figure>\
             <div class=\"reelproof__frame\" style=\"aspect-ratio:{w}/{h}\">\
             <video controls playsinline preload=\"none\" width=\"{w}\" height=\"{h}\"{poster} aria-label=\"{}\" src=\"{}\"></video>\
             {}</div><figcaption>",
            t.id,
            text(&label),
            text(&t.video_url),
            picture.unwrap_or_default(),
        ));
        if let Some(r) = t.rating {
            out.push_str(&format!(
                "<span class=\"reelproof__rating\" aria-label=\"{}\">{}</span>",
                text(&fill(words["rated"], &[("n", &r.to_string())])),
                stars(r)
            ));
        }
        if let Some(q) = &t.quote {
            out.push_str(&format!("<blockquote>{}</blockquote>", text(q)));
        }
        out.push_str(&format!("<cite>{}</cite>", text(&t.display_name)));
        out.push_str(&badges(t, m.language));
        out.push_str("</figcaption></figure></li>");
    }
    out.push_str("</ul>");
    if let Some(note) = m.collection_note {
        out.push_str(&format!(
            "<details class=\"reelproof__note\"><summary>{}</summary><p>{}</p></details>",
            text(words["note_title"]),
            text(note)
        ));
    }
    if let Some(ld) = &m.json_ld {
        out.push_str(&format!("<script type=\"application/ld+json\">{}</script>", script_json(ld)));
    }
    out.push_str("</section>");
    out
}

/// The disclosure badges of one testimonial, as the storefront shows them, in `language`.
pub fn badges(t: &PublicTestimonial, language: &str) -> String {
    let words = super::storefront_copy::copy(language);
    let mut out = String::new();
    if t.verified_buyer || t.incentivised {
        out.push_str("<span class=\"reelproof__badges\">");
        if t.verified_buyer {
            out.push_str(&format!(
                "<span class=\"reelproof__badge reelproof__badge--verified\">{}</span>",
                text(words["verified"])
            ));
        }
        if t.incentivised {
            out.push_str(&format!(
                "<span class=\"reelproof__badge reelproof__badge--incentive\">{}</span>",
                text(words["reward"])
            ));
        }
        out.push_str("</span>");
    }
    out
}

fn stars(r: i16) -> String {
    let r = r.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(r), "☆".repeat(5 - r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_data_is_inert_as_liquid_and_as_html() {
        let hostile = "{{ shop.name }} {% render 'x' %} </script><img src=x onerror=alert(1)> \\\" {{";
        let v = serde_json::json!({ "@type": "Review", "reviewBody": hostile, "nested": { "a": [hostile] } });
        let out = script_json(&v);
        for bad in ["{{", "{%", "</", "<img", "\"@type\":\"Review\",\"reviewBody\":\"{"] {
            assert!(!out.contains(bad), "{bad:?} in {out}");
        }
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), v, "still the same JSON");
    }

    #[test]
    fn review_metafields_agree_with_the_aggregate_rating() {
        let s = summarise(&[Some(5), Some(4), None, Some(3)]);
        let (rating, count) = review_metafields(&s).unwrap();
        assert_eq!(rating, r#"{"scale_max":"5.0","scale_min":"1.0","value":"4.0"}"#);
        assert_eq!(count, "3");
        let ld = product_json_ld("Tea", &[], &s, true);
        assert_eq!(ld["aggregateRating"]["ratingValue"], 4.0);
        assert_eq!(ld["aggregateRating"]["reviewCount"], 3);
        assert_eq!(review_metafields(&summarise(&[None, None])), None, "nothing rated, no rating");
        let (r, _) = review_metafields(&summarise(&[Some(5), Some(4)])).unwrap();
        assert!(r.contains(r#""value":"4.5""#), "{r}");
    }

    /// The home block's markup with no structured data or summary.
    fn home<'a>(language: &'a str, collection_note: Option<&'a str>) -> Markup<'a> {
        Markup { heading: "R", placement: "home", json_ld: None, summary: None, collection_note, language }
    }

    fn item(rating: Option<i16>, quote: &str) -> PublicTestimonial {
        PublicTestimonial {
            id: entity::SubmissionId(uuid::Uuid::nil()),
            display_name: "Ada L.".into(),
            rating,
            quote: Some(quote.into()),
            video_url: "https://x/v.mp4?sig=a&b=c".into(),
            poster_url: Some("https://x/p.jpg".into()),
            posters: Vec::new(),
            duration_ms: Some(65_400),
            width: Some(720),
            height: Some(1280),
            product_id: 42,
            published_at: "2026-11-01T10:00:00Z".parse().unwrap(),
            verified_buyer: true,
            incentivised: false,
        }
    }

    #[test]
    fn each_badge_shows_exactly_where_it_applies_and_the_note_is_escaped() {
        let verified = item(Some(5), "Great");
        let rewarded = PublicTestimonial { incentivised: true, ..item(Some(1), "Meh") };
        let imported = PublicTestimonial { verified_buyer: false, ..item(Some(4), "Fine") };
        let note = "We ask <everyone> {{ shop.name }}";
        let html = render_html(&home("en", Some(note)), &[verified, rewarded, imported]);
        let items: Vec<&str> = html.split("<li ").skip(1).collect();
        assert!(items[0].contains("Verified buyer") && !items[0].contains("reward"), "{}", items[0]);
        assert!(items[1].contains("Verified buyer") && items[1].contains("Received a reward for reviewing"));
        assert!(!items[2].contains("badge"), "an import claims nothing: {}", items[2]);
        assert!(html.contains("How we collect testimonials</summary><p>We ask &lt;everyone&gt; &#123;&#123; shop.name &#125;&#125;</p>"), "{html}");
        assert_eq!(collection_note(Some("  "), "en"), None, "an empty note hides it");
        assert!(collection_note(None, "de").unwrap().starts_with("Nach jeder Bestellung"));
        let german = render_html(&home("de", None), &[item(Some(5), "Gut")]);
        assert!(german.contains("Verifizierter Kauf") && german.contains("Videobericht von Ada L."), "{german}");
    }

    #[test]
    fn names_show_at_most_a_last_initial() {
        assert_eq!(public_name("Ada Lovelace"), "Ada L.");
        assert_eq!(public_name("  ada   king lovelace "), "ada L.");
        assert_eq!(public_name("Ada"), "Ada");
        assert_eq!(public_name("Ada L."), "Ada L.");
        assert_eq!(public_name(""), "A customer");
    }

    #[test]
    fn summaries_count_everything_and_average_the_rated() {
        let s = summarise(&[Some(5), Some(4), None]);
        assert_eq!((s.count, s.rated, s.average_rating), (3, 2, Some(4.5)));
        assert_eq!(summarise(&[None]).average_rating, None);
        assert_eq!(summarise(&[Some(5), Some(4), Some(4)]).average_rating, Some(4.3));
    }

    #[test]
    fn customer_text_can_neither_break_the_html_nor_run_as_liquid() {
        let html = render_html(
            &Markup {
                heading: "Reviews",
                placement: "home",
                json_ld: None,
                summary: None,
                collection_note: None,
                language: "en",
            },
            &[item(Some(5), "<script>alert(1)</script> {{ shop.metafields }} {% render 'x' %}")],
        );
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("{{") && !html.contains("{%"), "{html}");
        assert!(html.contains("preload=\"none\"") && html.contains("aspect-ratio:720/1280"), "{html}");
        assert!(html.contains("src=\"https://x/v.mp4?sig=a&amp;b=c\""), "{html}");
    }

    #[test]
    fn product_markup_is_one_product_with_ratings_reviews_and_videos() {
        let items = [item(Some(5), "Great"), item(Some(4), "</script><script>x()</script>")];
        let s = summarise(&[Some(5), Some(4)]);
        let ld = product_json_ld("Walnut desk", &items, &s, true);
        assert_eq!(ld["@type"], "Product");
        assert_eq!(ld["aggregateRating"]["ratingValue"], 4.5);
        assert_eq!(ld["aggregateRating"]["reviewCount"], 2);
        assert_eq!(ld["review"].as_array().unwrap().len(), 2);
        assert_eq!(ld["subjectOf"][0]["@type"], "VideoObject");
        assert_eq!(ld["subjectOf"][0]["duration"], "PT1M5S");
        assert_eq!(ld["subjectOf"][0]["thumbnailUrl"], "https://x/p.jpg");
        let script = script_json(&ld);
        assert!(!script.contains("</script>"), "{script}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&script).unwrap(), ld, "still the same JSON");

        let without = product_json_ld("Walnut desk", &items, &s, false);
        assert!(without.get("aggregateRating").is_none() && without.get("review").is_none());
        assert_eq!(without["subjectOf"].as_array().unwrap().len(), 2, "videos stay");
        assert_eq!(iso_duration(3_000), "PT3S");
        assert_eq!(iso_duration(120_000), "PT2M");
    }

    #[test]
    fn posters_come_in_sizes_webp_first_lazy_and_low_priority_with_the_box_sized() {
        use crate::domain::media::PosterFormat::{Jpeg, Webp};
        let posters: Vec<PosterImage> = [Webp, Jpeg]
            .into_iter()
            .flat_map(|format| {
                [240u32, 480, 720].map(|width| PosterImage {
                    url: format!("https://x/s/1/2/poster-{width}.{}", format.extension()),
                    width,
                    height: width * 16 / 9,
                    format,
                })
            })
            .collect();
        let html = poster_picture(&posters, 720, 1280).unwrap();
        let (deferred, noscript) = html.split_once("<noscript>").unwrap();
        assert!(deferred.starts_with("<picture class=\"reelproof__poster\" data-rp-deferred><source type=\"image/webp\" data-srcset=\"https://x/s/1/2/poster-240.webp 240w, https://x/s/1/2/poster-480.webp 480w, https://x/s/1/2/poster-720.webp 720w\""), "{html}");
        assert!(
            deferred.contains(
                "<img data-src=\"https://x/s/1/2/poster-480.jpg\" data-srcset=\"https://x/s/1/2/poster-240.jpg 240w,"
            ),
            "{html}"
        );
        assert!(
            !deferred.contains(" src=") && !deferred.contains(" srcset="),
            "nothing loads before the page has: {deferred}"
        );
        assert!(
            noscript.contains("<source type=\"image/webp\" srcset=\"https://x/s/1/2/poster-240.webp 240w"),
            "{noscript}"
        );
        for attr in
            ["width=\"720\" height=\"1280\"", "loading=\"lazy\"", "decoding=\"async\"", "alt=\"\"", POSTER_SIZES]
        {
            assert!(noscript.contains(attr), "{attr} in {noscript}");
        }
        assert_eq!(poster_picture(&[], 720, 1280), None, "no sizes: the video's own poster serves");
        let mut with = item(Some(5), "Great");
        with.posters = posters;
        let page = render_html(&home("en", None), &[with, item(Some(4), "Old")]);
        let items: Vec<&str> = page.split("<li ").skip(1).collect();
        assert!(items[0].contains("<picture") && !items[0].contains(" poster=\""), "one image, not two: {}", items[0]);
        assert!(!items[1].contains("<picture") && items[1].contains(" poster=\"https://x/p.jpg\""), "{}", items[1]);
    }
}
