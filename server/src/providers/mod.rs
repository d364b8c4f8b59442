//! Outside systems behind small interfaces: object storage now; email, SMS and ffmpeg as
//! their issues land.

pub mod email;
pub mod sms;
pub mod storage;
