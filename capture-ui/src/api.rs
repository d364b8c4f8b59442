//! The public capture API (`/api/public/graphql`) through the shared typed client. Errors come
//! back with a code the page acts on and a message written for customers.

use api_client::capture::{self, CreateUpload, SubmitTestimonial, create_upload, submit_testimonial};
use api_client::transport::post;
pub use api_client::{ApiError, ErrorCode};

pub type Capture = capture::capture::CaptureCapture;
pub type UploadTarget = create_upload::CreateUploadCreateUpload;
pub type UploadPart = create_upload::CreateUploadCreateUploadParts;

pub struct Submission {
    pub upload_key: Option<String>,
    pub display_name: String,
    pub rating: Option<u8>,
    pub quote: String,
    pub consent_version: i64,
}

pub async fn capture(token: &str) -> Result<Capture, ApiError> {
    let vars = capture::capture::Variables { token: token.to_owned() };
    Ok(post::<capture::Capture>(capture::ENDPOINT, None, vars).await?.capture)
}

pub async fn create_upload(token: &str, content_type: &str, size: f64) -> Result<UploadTarget, ApiError> {
    let vars = create_upload::Variables {
        token: token.to_owned(),
        content_type: content_type.to_owned(),
        size_bytes: size as i64,
    };
    Ok(post::<CreateUpload>(capture::ENDPOINT, None, vars).await?.create_upload)
}

/// The campaign's thank-you, when it has one: the code now, or "on its way by email".
#[derive(Debug, Clone, PartialEq)]
pub enum Reward {
    None,
    /// The code, and whether it was emailed too.
    Code(String, bool),
    Pending,
}

pub async fn submit(token: &str, s: Submission) -> Result<Reward, ApiError> {
    let input = submit_testimonial::SubmitTestimonialInput {
        upload_key: s.upload_key,
        display_name: s.display_name,
        rating: s.rating.map(i64::from),
        quote: if s.quote.trim().is_empty() { None } else { Some(s.quote) },
        consent_publish: true,
        consent_version: s.consent_version,
    };
    let vars = submit_testimonial::Variables { token: token.to_owned(), input };
    let done = post::<SubmitTestimonial>(capture::ENDPOINT, None, vars).await?.submit_testimonial;
    Ok(match (done.reward_code, done.reward_pending) {
        (Some(code), _) => Reward::Code(code, done.reward_emailed),
        (None, true) => Reward::Pending,
        (None, false) => Reward::None,
    })
}
