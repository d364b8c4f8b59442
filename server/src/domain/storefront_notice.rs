//! What travels between replicas when a shop's storefront changes (DESIGN.md §9, the
//! storefront cache): the change's notice, `{shop id}:{version}`, sent by the database at the
//! change's commit, and each replica's acknowledgement, `{backend pid} {shop id}:{version}`,
//! sent once the replica has forgotten the shop. A writer waits for the acknowledgements of the
//! replicas listening before it answers the merchant (`services::storefront::tracking`).
//!
//! The notice's format is written by SQL (`store::shops::bump_storefront_version`); this module
//! reads it, and writes and reads acknowledgements.

use entity::ShopId;

/// A shop's storefront at a version: what a notice announces and an acknowledgement confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub shop: ShopId,
    /// `None` in a notice of an earlier release, which sent the bare shop id.
    pub version: Option<i64>,
}

impl Change {
    /// Reads a notice's payload.
    pub fn parse(payload: &str) -> Option<Self> {
        let (shop, version) = match payload.split_once(':') {
            Some((shop, version)) => (shop, Some(version.parse().ok()?)),
            None => (payload, None),
        };
        Some(Self { shop: ShopId(shop.parse().ok()?), version })
    }
}

/// The acknowledgement a replica (named by its `LISTEN` connection's backend pid) sends once it
/// has applied a versioned change.
pub fn ack(pid: i32, shop: ShopId, version: i64) -> String {
    format!("{pid} {shop}:{version}")
}

/// Reads an acknowledgement: who, and which shop at which version.
pub fn parse_ack(payload: &str) -> Option<(i32, ShopId, i64)> {
    let (pid, change) = payload.split_once(' ')?;
    let change = Change::parse(change)?;
    Some((pid.parse().ok()?, change.shop, change.version?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_names_its_shop_and_version_and_an_earlier_releases_notice_still_reads() {
        let shop = ShopId::new_v7();
        assert_eq!(Change::parse(&format!("{shop}:12")), Some(Change { shop, version: Some(12) }));
        assert_eq!(Change::parse(&shop.to_string()), Some(Change { shop, version: None }));
        assert_eq!(Change::parse("not a shop"), None);
        assert_eq!(Change::parse(&format!("{shop}:x")), None);
    }

    #[test]
    fn an_acknowledgement_reads_back_as_written_and_garbage_is_refused() {
        let shop = ShopId::new_v7();
        assert_eq!(parse_ack(&ack(4242, shop, 7)), Some((4242, shop, 7)));
        assert_eq!(parse_ack(&shop.to_string()), None, "a notice is not an acknowledgement");
        assert_eq!(parse_ack(&format!("4242 {shop}")), None, "an acknowledgement names a version");
        assert_eq!(parse_ack(&format!("x {shop}:7")), None);
    }
}
