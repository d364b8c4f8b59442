//! The camera: getUserMedia for the live preview, MediaRecorder for the recording. Browser
//! errors become sentences a customer can act on.

use crate::copy::t;
use js_sys::Array;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobEvent, BlobPropertyBag, MediaRecorder, MediaRecorderOptions, MediaStream};

/// Asks for the front camera and the microphone.
pub async fn open() -> Result<MediaStream, String> {
    let devices =
        web_sys::window().and_then(|w| w.navigator().media_devices().ok()).ok_or_else(|| t("error.no_recording"))?;
    let constraints = web_sys::MediaStreamConstraints::new();
    let video = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&video, &"facingMode".into(), &"user".into());
    constraints.set_video(&video);
    constraints.set_audio(&JsValue::TRUE);
    let promise = devices.get_user_media_with_constraints(&constraints).map_err(|_| t("error.no_recording"))?;
    match JsFuture::from(promise).await {
        Ok(stream) => stream.dyn_into::<MediaStream>().map_err(|_| t("error.camera_failed")),
        Err(e) => Err(camera_error(&e)),
    }
}

fn camera_error(e: &JsValue) -> String {
    let name = e.dyn_ref::<web_sys::DomException>().map(|d| d.name()).unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => t("error.camera_denied"),
        "NotFoundError" | "OverconstrainedError" => t("error.no_camera"),
        "NotReadableError" => t("error.camera_busy"),
        _ => t("error.camera_failed"),
    }
}

/// The first recording format this browser supports (Chrome and Firefox: WebM; Safari: MP4).
pub fn format() -> Option<String> {
    ["video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm", "video/mp4"]
        .into_iter()
        .find(|t| MediaRecorder::is_type_supported(t))
        .map(str::to_owned)
}

/// Starts recording `stream`; `done` gets the whole video once the recorder stops.
pub fn start(stream: &MediaStream, mime: &str, done: impl FnOnce(Blob) + 'static) -> Result<MediaRecorder, String> {
    let opts = MediaRecorderOptions::new();
    opts.set_mime_type(mime);
    let recorder = MediaRecorder::new_with_media_stream_and_media_recorder_options(stream, &opts)
        .map_err(|_| t("error.no_recording"))?;
    let chunks = Rc::new(RefCell::new(Vec::<Blob>::new()));
    let sink = chunks.clone();
    let on_data = Closure::<dyn FnMut(BlobEvent)>::new(move |e: BlobEvent| {
        if let Some(b) = e.data().filter(|b| b.size() > 0.0) {
            sink.borrow_mut().push(b);
        }
    });
    recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
    on_data.forget();
    let base = mime.split(';').next().unwrap_or(mime).to_owned();
    let on_stop = Closure::once_into_js(move || {
        let parts = Array::new();
        for b in chunks.borrow().iter() {
            parts.push(b);
        }
        let bag = BlobPropertyBag::new();
        bag.set_type(&base);
        if let Ok(blob) = Blob::new_with_blob_sequence_and_options(&parts, &bag) {
            done(blob);
        }
    });
    recorder.set_onstop(Some(on_stop.unchecked_ref()));
    recorder.start_with_time_slice(1000).map_err(|_| t("error.camera_failed"))?;
    Ok(recorder)
}

/// Turns the camera off (the light goes out).
pub fn close(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        if let Ok(track) = t.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}
