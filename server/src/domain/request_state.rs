//! The request state machine of DESIGN.md §4, as one transition function.
//!
//! Every change of `testimonial_requests.status` goes through [`transition`]; the store layer
//! applies it and appends the returned event in the same transaction, so the status and the
//! timeline can never disagree.

use entity::{RequestEventType, RequestStatus};

/// A refused status change, with both ends for the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request cannot go from {from} to {to}")]
pub struct InvalidRequestTransition {
    pub from: RequestStatus,
    pub to: RequestStatus,
}

/// Checks `from → to` against the table and returns the event the change appends.
///
/// `queued → queued` is the transient-failure retry (event `retrying`); `failed → scheduled`
/// is the merchant's explicit resend.
pub fn transition(from: RequestStatus, to: RequestStatus) -> Result<RequestEventType, InvalidRequestTransition> {
    use RequestStatus::*;
    let event = match (from, to) {
        (Scheduled, Queued) => RequestEventType::Queued,
        (Scheduled | Queued | Sent | Clicked, Expired) => RequestEventType::Expired,
        (Queued, Sent) => RequestEventType::Sent,
        (Queued, Queued) => RequestEventType::Retrying,
        (Queued | Sent, Failed) => RequestEventType::Failed,
        (Sent, Clicked) => RequestEventType::Clicked,
        (Sent | Clicked, Submitted) => RequestEventType::Submitted,
        (Failed, Scheduled) => RequestEventType::Scheduled,
        _ => return Err(InvalidRequestTransition { from, to }),
    };
    Ok(event)
}

/// Statuses from which nothing more will be sent (no sends, no reminders).
pub fn is_terminal(status: RequestStatus) -> bool {
    matches!(status, RequestStatus::Submitted | RequestStatus::Expired | RequestStatus::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestStatus::*;
    use sea_orm::Iterable;

    /// DESIGN.md §4, written out pair by pair, independently of the `match` above.
    const ALLOWED: &[(RequestStatus, RequestStatus, RequestEventType)] = &[
        (Scheduled, Queued, RequestEventType::Queued),
        (Scheduled, Expired, RequestEventType::Expired),
        (Queued, Expired, RequestEventType::Expired),
        (Sent, Expired, RequestEventType::Expired),
        (Clicked, Expired, RequestEventType::Expired),
        (Queued, Sent, RequestEventType::Sent),
        (Queued, Queued, RequestEventType::Retrying),
        (Queued, Failed, RequestEventType::Failed),
        (Sent, Failed, RequestEventType::Failed),
        (Sent, Clicked, RequestEventType::Clicked),
        (Sent, Submitted, RequestEventType::Submitted),
        (Clicked, Submitted, RequestEventType::Submitted),
        (Failed, Scheduled, RequestEventType::Scheduled),
    ];

    #[test]
    fn every_pair_matches_the_design_table_exactly() {
        let mut checked = 0;
        for from in RequestStatus::iter() {
            for to in RequestStatus::iter() {
                let expected = ALLOWED.iter().find(|(f, t, _)| *f == from && *t == to).map(|(_, _, e)| *e);
                match (transition(from, to), expected) {
                    (Ok(event), Some(want)) => assert_eq!(event, want, "{from} -> {to}"),
                    (Err(e), None) => assert_eq!(e, InvalidRequestTransition { from, to }),
                    (got, want) => panic!("{from} -> {to}: got {got:?}, table says {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 49, "7 statuses squared");
    }

    #[test]
    fn submitted_and_expired_are_dead_ends() {
        for to in RequestStatus::iter() {
            assert!(transition(Submitted, to).is_err());
            assert!(transition(Expired, to).is_err());
        }
        assert!(is_terminal(Submitted) && is_terminal(Expired) && is_terminal(Failed));
        assert!(!is_terminal(Sent) && !is_terminal(Clicked) && !is_terminal(Scheduled) && !is_terminal(Queued));
    }

    #[test]
    fn refusal_names_both_states() {
        let err = transition(Scheduled, Submitted).unwrap_err();
        assert_eq!(err.to_string(), "a request cannot go from scheduled to submitted");
    }
}
