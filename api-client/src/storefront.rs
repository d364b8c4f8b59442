//! The storefront API (`/api/storefront/graphql`, `schema.storefront.graphql`).

use graphql_client::GraphQLQuery;

/// The path under the app's origin (the widget is told the origin by its block).
pub const PATH: &str = "/api/storefront/graphql";

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.storefront.graphql",
    query_path = "queries/storefront/testimonials/Testimonials.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Testimonials;
