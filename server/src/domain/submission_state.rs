//! The submission (moderation) state machine of DESIGN.md §4.
//!
//! `pending → approved | rejected | archived`, `approved → archived | rejected`,
//! `rejected | archived → pending` (restore). Publication is orthogonal but may only be true
//! while `approved`: leaving `approved` unpublishes, which [`Moderated::unpublishes`] tells.

use entity::SubmissionStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a submission cannot go from {from} to {to}")]
pub struct InvalidSubmissionTransition {
    pub from: SubmissionStatus,
    pub to: SubmissionStatus,
}

/// The result of an allowed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moderated {
    pub to: SubmissionStatus,
    /// True when the submission leaves `approved`, so any publication must end with it.
    pub unpublishes: bool,
}

pub fn transition(from: SubmissionStatus, to: SubmissionStatus) -> Result<Moderated, InvalidSubmissionTransition> {
    use SubmissionStatus::*;
    let ok = matches!(
        (from, to),
        (Pending, Approved | Rejected | Archived) | (Approved, Archived | Rejected) | (Rejected | Archived, Pending)
    );
    if !ok {
        return Err(InvalidSubmissionTransition { from, to });
    }
    Ok(Moderated { to, unpublishes: from == Approved })
}

/// Publication is allowed only for approved submissions.
pub fn can_publish(status: SubmissionStatus) -> bool {
    status == SubmissionStatus::Approved
}

/// A merchant's moderation action (DESIGN.md §6's mutations). Each is logged by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModerationAction {
    Approve,
    Reject,
    Archive,
    Restore,
    /// Publish in these placements (at least one).
    Publish {
        home: bool,
        product: bool,
    },
    Unpublish,
    BindProduct(i64),
    Feature {
        featured: bool,
        sort_order: i32,
    },
}

impl ModerationAction {
    /// The name in `moderation_log.action`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Archive => "archive",
            Self::Restore => "restore",
            Self::Publish { .. } => "publish",
            Self::Unpublish => "unpublish",
            Self::BindProduct(_) => "bind_product",
            Self::Feature { .. } => "feature",
        }
    }
}

/// The fields of a submission moderation can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationFields {
    pub status: SubmissionStatus,
    pub published: bool,
    pub placement_home: bool,
    pub placement_product: bool,
    pub product_id: i64,
    pub featured: bool,
    pub sort_order: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModerationError {
    #[error(transparent)]
    Transition(#[from] InvalidSubmissionTransition),
    #[error("only an approved submission can be published (this one is {0})")]
    NotApproved(SubmissionStatus),
    #[error("choose at least one placement (home or product page)")]
    NoPlacement,
    #[error("a product id is a positive number")]
    BadProduct,
}

/// What `action` makes of `current`: the one rule for every moderation change.
pub fn moderate(current: &ModerationFields, action: &ModerationAction) -> Result<ModerationFields, ModerationError> {
    use ModerationAction::*;
    let mut next = current.clone();
    let to = match action {
        Approve => Some(SubmissionStatus::Approved),
        Reject => Some(SubmissionStatus::Rejected),
        Archive => Some(SubmissionStatus::Archived),
        Restore => Some(SubmissionStatus::Pending),
        Publish { home, product } => {
            if !can_publish(current.status) {
                return Err(ModerationError::NotApproved(current.status));
            }
            if !home && !product {
                return Err(ModerationError::NoPlacement);
            }
            next.published = true;
            next.placement_home = *home;
            next.placement_product = *product;
            None
        }
        Unpublish => {
            next.published = false;
            None
        }
        BindProduct(id) => {
            if *id <= 0 {
                return Err(ModerationError::BadProduct);
            }
            next.product_id = *id;
            None
        }
        Feature { featured, sort_order } => {
            next.featured = *featured;
            next.sort_order = *sort_order;
            None
        }
    };
    if let Some(to) = to {
        let m = transition(current.status, to)?;
        next.status = m.to;
        if m.unpublishes {
            next.published = false;
        }
    }
    Ok(next)
}

/// DESIGN.md's 14-day rule: a submission still pending this long is approved (unless the
/// merchant rejected it at some point).
pub const AUTO_APPROVE_AFTER: chrono::Duration = chrono::Duration::days(14);

/// The shop's auto-publish rule: on, a rating at least the minimum, clean text, and the video
/// (if any) ready.
pub fn auto_publishes(
    rule: &crate::domain::settings::AutoPublish,
    rating: Option<i16>,
    flagged: bool,
    media_ready: bool,
) -> bool {
    rule.enabled && rating.is_some_and(|r| r >= rule.min_rating) && !flagged && media_ready
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubmissionStatus::*;

    #[test]
    fn auto_publish_needs_every_condition() {
        use crate::domain::settings::AutoPublish;
        let on = AutoPublish { enabled: true, min_rating: 4 };
        assert!(auto_publishes(&on, Some(4), false, true));
        assert!(!auto_publishes(&AutoPublish { enabled: false, ..on.clone() }, Some(5), false, true), "off by default");
        assert!(!auto_publishes(&on, Some(3), false, true), "rating too low");
        assert!(!auto_publishes(&on, None, false, true), "no rating");
        assert!(!auto_publishes(&on, Some(5), true, true), "flagged text");
        assert!(!auto_publishes(&on, Some(5), false, false), "video not ready");
    }

    fn fields(status: SubmissionStatus, published: bool) -> ModerationFields {
        ModerationFields {
            status,
            published,
            placement_home: false,
            placement_product: false,
            product_id: 7,
            featured: false,
            sort_order: 0,
        }
    }

    #[test]
    fn moderation_actions_follow_the_state_machine_and_publication_needs_approval() {
        use ModerationAction::*;
        let approved = moderate(&fields(Pending, false), &Approve).unwrap();
        assert_eq!(approved.status, Approved);
        let published = moderate(&approved, &Publish { home: true, product: false }).unwrap();
        assert!(published.published && published.placement_home && !published.placement_product);
        let rejected = moderate(&published, &Reject).unwrap();
        assert_eq!((rejected.status, rejected.published), (Rejected, false), "leaving approved unpublishes");
        assert_eq!(
            moderate(&fields(Pending, false), &Publish { home: true, product: true }),
            Err(ModerationError::NotApproved(Pending))
        );
        assert_eq!(moderate(&approved, &Publish { home: false, product: false }), Err(ModerationError::NoPlacement));
        assert!(matches!(moderate(&fields(Pending, false), &Restore), Err(ModerationError::Transition(_))));
        assert_eq!(moderate(&rejected, &Restore).unwrap().status, Pending);
        assert_eq!(moderate(&approved, &BindProduct(99)).unwrap().product_id, 99);
        assert_eq!(moderate(&approved, &BindProduct(0)), Err(ModerationError::BadProduct));
        let featured = moderate(&approved, &Feature { featured: true, sort_order: 3 }).unwrap();
        assert_eq!((featured.featured, featured.sort_order, featured.status), (true, 3, Approved));
    }
    use sea_orm::Iterable;

    const ALLOWED: &[(SubmissionStatus, SubmissionStatus)] = &[
        (Pending, Approved),
        (Pending, Rejected),
        (Pending, Archived),
        (Approved, Archived),
        (Approved, Rejected),
        (Rejected, Pending),
        (Archived, Pending),
    ];

    #[test]
    fn every_pair_matches_the_design_table_exactly() {
        for from in SubmissionStatus::iter() {
            for to in SubmissionStatus::iter() {
                let allowed = ALLOWED.contains(&(from, to));
                let got = transition(from, to);
                assert_eq!(got.is_ok(), allowed, "{from} -> {to}");
                if let Ok(m) = got {
                    assert_eq!(m.to, to);
                    assert_eq!(m.unpublishes, from == Approved, "{from} -> {to}");
                }
            }
        }
    }

    #[test]
    fn only_approved_can_be_published() {
        for s in SubmissionStatus::iter() {
            assert_eq!(can_publish(s), s == Approved);
        }
    }
}
