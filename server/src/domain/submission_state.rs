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

#[cfg(test)]
mod tests {
    use super::*;
    use SubmissionStatus::*;
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
