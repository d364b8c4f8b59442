//! The storefront visibility rule (DESIGN.md §5), in one place.
//!
//! A testimonial is shown on the storefront only when it is approved, published, its video
//! asset is ready, and the requested placement matches (home page, or the product page of the
//! product it is bound to). Every storefront query builds its SQL filter from [`Placement`] and
//! is tested against [`is_visible`], so the SQL and this rule cannot drift apart.

use entity::{AssetStatus, SubmissionStatus};

/// Where the storefront wants to show testimonials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Home,
    Product(i64),
}

/// The facts about one submission that the rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub status: SubmissionStatus,
    pub published: bool,
    /// `None` when the submission has no media asset.
    pub asset_status: Option<AssetStatus>,
    pub placement_home: bool,
    pub placement_product: bool,
    pub product_id: i64,
}

/// The one visibility rule. The design requires a ready asset, so a submission without video
/// is never shown (the widget is a video widget).
pub fn is_visible(c: &Candidate, placement: Placement) -> bool {
    let placed = match placement {
        Placement::Home => c.placement_home,
        Placement::Product(pid) => c.placement_product && c.product_id == pid,
    };
    c.status == SubmissionStatus::Approved && c.published && c.asset_status == Some(AssetStatus::Ready) && placed
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    fn visible() -> Candidate {
        Candidate {
            status: SubmissionStatus::Approved,
            published: true,
            asset_status: Some(AssetStatus::Ready),
            placement_home: true,
            placement_product: true,
            product_id: 42,
        }
    }

    #[test]
    fn approved_published_ready_and_placed_is_visible_everywhere_it_is_placed() {
        assert!(is_visible(&visible(), Placement::Home));
        assert!(is_visible(&visible(), Placement::Product(42)));
    }

    #[test]
    fn every_other_moderation_status_is_hidden() {
        for s in SubmissionStatus::iter().filter(|s| *s != SubmissionStatus::Approved) {
            let c = Candidate { status: s, ..visible() };
            assert!(!is_visible(&c, Placement::Home), "{s}");
            assert!(!is_visible(&c, Placement::Product(42)), "{s}");
        }
    }

    #[test]
    fn unpublished_or_unready_media_is_hidden() {
        let unpublished = Candidate { published: false, ..visible() };
        assert!(!is_visible(&unpublished, Placement::Home));
        for a in AssetStatus::iter().filter(|a| *a != AssetStatus::Ready).map(Some).chain([None]) {
            let c = Candidate { asset_status: a, ..visible() };
            assert!(!is_visible(&c, Placement::Home), "{a:?}");
            assert!(!is_visible(&c, Placement::Product(42)), "{a:?}");
        }
    }

    #[test]
    fn placement_must_match() {
        let home_only = Candidate { placement_product: false, ..visible() };
        assert!(is_visible(&home_only, Placement::Home));
        assert!(!is_visible(&home_only, Placement::Product(42)));
        let product_only = Candidate { placement_home: false, ..visible() };
        assert!(!is_visible(&product_only, Placement::Home));
        assert!(is_visible(&product_only, Placement::Product(42)));
        assert!(!is_visible(&visible(), Placement::Product(43)), "other product");
    }
}
