//! GraphQL schemas: admin (`/api/graphql`) and public capture (`/api/public/graphql`); the
//! storefront schema follows.
//!
//! Resolvers are thin: read the principal from the context, call one service function, map the
//! result or error. No SQL and no business rule lives here.

pub mod admin;
pub mod error;
pub mod limits;
pub mod public;
pub mod spans;
pub mod storefront;

#[cfg(test)]
mod schema_files {
    /// Integrators and the browser apps' typed client read the checked-in SDLs; each must say
    /// what the server serves. Run with `UPDATE_SCHEMA=1` to rewrite them after a deliberate
    /// change.
    fn check(file: &str, current: String) {
        let path = format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &current).expect("write the schema file");
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == current,
            "{file} is stale: run `UPDATE_SCHEMA=1 cargo nextest run -p server schema_files` and commit it"
        );
    }

    #[test]
    fn the_checked_in_admin_schema_is_current() {
        check("schema.graphql", super::admin::sdl());
    }

    #[test]
    fn the_checked_in_capture_schema_is_current() {
        check("schema.capture.graphql", super::public::sdl());
    }

    #[test]
    fn the_checked_in_storefront_schema_is_current() {
        check("schema.storefront.graphql", super::storefront::sdl());
    }
}
