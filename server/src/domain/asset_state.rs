//! The media asset state machine of DESIGN.md §4.
//!
//! `uploaded → processing → ready | failed`; `failed → processing` only through an explicit
//! reprocess; a `processing` row whose lease ran out may be claimed again (`processing →
//! processing`, only when the lease expired) — by a worker, or by the merchant's reprocess of
//! an asset stuck there after its worker died.

use entity::AssetStatus;

/// Why an asset changes state; some moves are only allowed for one cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetCause {
    /// The media worker claims the asset (a fresh one or one whose lease ran out).
    WorkerClaim { lease_expired: bool },
    /// Probe + transcode finished.
    ProcessingSucceeded,
    /// Probe or transcode failed, or the input broke a limit.
    ProcessingFailed,
    /// The merchant asked to try again (`reprocessAsset`); `lease_expired` for an asset stuck in
    /// processing whose worker's lease ran out.
    Reprocess { lease_expired: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a media asset cannot go from {from} to {to} ({cause:?})")]
pub struct InvalidAssetTransition {
    pub from: AssetStatus,
    pub to: AssetStatus,
    pub cause: AssetCause,
}

/// Checks one asset status change; returns `to` when allowed.
pub fn transition(
    from: AssetStatus,
    to: AssetStatus,
    cause: AssetCause,
) -> Result<AssetStatus, InvalidAssetTransition> {
    use AssetCause::*;
    use AssetStatus::*;
    let ok = match (from, to, cause) {
        (Uploaded, Processing, WorkerClaim { .. }) => true,
        (Processing, Processing, WorkerClaim { lease_expired }) => lease_expired,
        (Processing, Ready, ProcessingSucceeded) => true,
        (Processing, Failed, ProcessingFailed) => true,
        (Failed, Processing, Reprocess { .. }) => true,
        (Processing, Processing, Reprocess { lease_expired }) => lease_expired,
        _ => false,
    };
    if ok { Ok(to) } else { Err(InvalidAssetTransition { from, to, cause }) }
}

/// Only ready assets may be played on the storefront.
pub fn is_playable(status: AssetStatus) -> bool {
    status == AssetStatus::Ready
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetStatus::*;
    use sea_orm::Iterable;

    fn causes() -> Vec<AssetCause> {
        vec![
            AssetCause::WorkerClaim { lease_expired: false },
            AssetCause::WorkerClaim { lease_expired: true },
            AssetCause::ProcessingSucceeded,
            AssetCause::ProcessingFailed,
            AssetCause::Reprocess { lease_expired: false },
            AssetCause::Reprocess { lease_expired: true },
        ]
    }

    #[test]
    fn every_pair_and_cause_matches_the_design() {
        let allowed = |from, to, cause| -> bool {
            matches!(
                (from, to, cause),
                (Uploaded, Processing, AssetCause::WorkerClaim { .. })
                    | (Processing, Processing, AssetCause::WorkerClaim { lease_expired: true })
                    | (Processing, Ready, AssetCause::ProcessingSucceeded)
                    | (Processing, Failed, AssetCause::ProcessingFailed)
                    | (Failed, Processing, AssetCause::Reprocess { .. })
                    | (Processing, Processing, AssetCause::Reprocess { lease_expired: true })
            )
        };
        let mut allowed_count = 0;
        for from in AssetStatus::iter() {
            for to in AssetStatus::iter() {
                for cause in causes() {
                    let got = transition(from, to, cause);
                    assert_eq!(got.is_ok(), allowed(from, to, cause), "{from} -> {to} by {cause:?}");
                    allowed_count += usize::from(got.is_ok());
                }
            }
        }
        // uploaded→processing (2 claim kinds), lease takeover, success, failure, reprocess of a
        // failed asset (2), reprocess of a stuck one.
        assert_eq!(allowed_count, 8);
    }

    #[test]
    fn a_live_lease_cannot_be_stolen_and_failed_needs_reprocess() {
        assert!(transition(Processing, Processing, AssetCause::WorkerClaim { lease_expired: false }).is_err());
        assert!(transition(Failed, Processing, AssetCause::WorkerClaim { lease_expired: true }).is_err());
        assert!(transition(Ready, Processing, AssetCause::Reprocess { lease_expired: true }).is_err());
        assert!(
            transition(Processing, Processing, AssetCause::Reprocess { lease_expired: false }).is_err(),
            "a live worker's asset is not taken from it"
        );
        assert!(is_playable(Ready) && !is_playable(Processing) && !is_playable(Failed) && !is_playable(Uploaded));
    }
}
