//! The public capture API (`/api/public/graphql`, `schema.capture.graphql`).

use graphql_client::GraphQLQuery;

pub const ENDPOINT: &str = "/api/public/graphql";

#[allow(clippy::upper_case_acronyms)]
pub type UUID = String;
pub type DateTime = String;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.capture.graphql",
    query_path = "queries/capture/capture/Capture.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Capture;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.capture.graphql",
    query_path = "queries/capture/capture/CreateUpload.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct CreateUpload;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.capture.graphql",
    query_path = "queries/capture/capture/SubmitTestimonial.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct SubmitTestimonial;
