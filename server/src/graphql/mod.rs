//! GraphQL schemas: admin (`/api/graphql`) and public capture (`/api/public/graphql`); the
//! storefront schema follows.
//!
//! Resolvers are thin: read the principal from the context, call one service function, map the
//! result or error. No SQL and no business rule lives here.

pub mod admin;
pub mod error;
pub mod public;
pub mod rate_limit;
pub mod storefront;
