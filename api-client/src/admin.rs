//! The admin API (`/api/graphql`, `schema.graphql`): one generated module per operation, the
//! documents under `queries/admin/<screen>/<Operation>.graphql`, one operation per
//! document: that document is what goes over the wire. (Written out rather than by a
//! `macro_rules!`: the derive reads its paths only from plain literals.)

use graphql_client::GraphQLQuery;

pub const ENDPOINT: &str = "/api/graphql";
/// Subscriptions: the same path, upgraded to a WebSocket (`graphql-transport-ws`).
pub const WS_PATH: &str = "/api/graphql";

// The admin schema's custom scalars, as they travel: RFC 3339 times, `YYYY-MM-DD` dates,
// UUIDs as text, JSON as JSON.
pub type DateTime = String;
pub type NaiveDate = String;
#[allow(clippy::upper_case_acronyms)]
pub type UUID = String;
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/home/Home.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Home;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/home/MarkAlertsRead.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct MarkAlertsRead;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/Inbox.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Inbox;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/SubmissionDetail.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct SubmissionDetail;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/ModerationQueue.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ModerationQueue;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/ApproveSubmission.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ApproveSubmission;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/RejectSubmission.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct RejectSubmission;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/ArchiveSubmission.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ArchiveSubmission;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/RestoreSubmission.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct RestoreSubmission;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/PublishSubmission.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct PublishSubmission;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/UnpublishSubmission.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct UnpublishSubmission;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/FeatureSubmission.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct FeatureSubmission;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/BindSubmissionProduct.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct BindSubmissionProduct;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/ReprocessAsset.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ReprocessAsset;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/inbox/Published.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Published;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/requests/Requests.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Requests;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/requests/RequestDetail.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct RequestDetail;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/requests/SendRequestNow.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct SendRequestNow;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/requests/PostponeRequest.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct PostponeRequest;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/requests/CancelRequest.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct CancelRequest;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/requests/ResendRequest.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ResendRequest;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/Campaigns.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Campaigns;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/CampaignFunnel.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct CampaignFunnel;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/CampaignEditor.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct CampaignEditor;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/CampaignTemplates.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct CampaignTemplates;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/CreateCampaign.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct CreateCampaign;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/UpdateCampaign.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct UpdateCampaign;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/ActivateCampaign.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ActivateCampaign;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/PauseCampaign.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct PauseCampaign;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/campaigns/ArchiveCampaign.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ArchiveCampaign;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/templates/Templates.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Templates;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/templates/PreviewTemplate.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct PreviewTemplate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/templates/CreateTemplate.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct CreateTemplate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/templates/UpdateTemplate.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct UpdateTemplate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/templates/DeleteTemplate.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct DeleteTemplate;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/analytics/Analytics.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Analytics;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/Settings.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct Settings;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/UpdateModerationSettings.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct UpdateModerationSettings;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/UpdateAlertSettings.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct UpdateAlertSettings;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/ApiTokens.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ApiTokens;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/CreateApiToken.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct CreateApiToken;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/RevokeApiToken.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct RevokeApiToken;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/ImportTestimonials.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct ImportTestimonials;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/PrivacyExports.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct PrivacyExports;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/LookBackOrders.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct LookBackOrders;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "queries/admin/settings/UpdateShopSettings.graphql",
    response_derives = "Clone",
    variables_derives = "Clone"
)]
pub struct UpdateShopSettings;
