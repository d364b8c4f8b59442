//! The resumable upload. Local store: the file goes in ranges to one signed URL
//! (`Content-Range`); after a dropped connection a `HEAD` says how much arrived and the upload
//! goes on from there. Bucket store: each presigned part is `PUT` on its own; a part that fails
//! is sent again, the others stay in the bucket. Either way progress is reported byte by byte
//! (XMLHttpRequest, because `fetch` reports no upload progress) and short outages are waited out.

use crate::api;
use crate::copy::{t, tf};
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ProgressEvent, XmlHttpRequest};

/// One request's worth of a local upload: small enough that a phone on a weak network makes
/// steady progress, big enough that the request overhead does not matter.
const CHUNK: f64 = 4.0 * 1024.0 * 1024.0;
/// Retries of one range or part before giving up (about two minutes of waiting in all).
const MAX_ATTEMPTS: u32 = 8;

struct Answer {
    status: u16,
    offset: Option<f64>,
    body: String,
}

/// Uploads `blob`; returns the upload key for the submission. `progress` gets bytes sent,
/// `retrying` the attempt number while the connection is being waited for.
pub async fn upload(
    token: &str,
    blob: &Blob,
    content_type: &str,
    progress: Rc<dyn Fn(f64)>,
    retrying: Rc<dyn Fn(u32)>,
) -> Result<String, String> {
    let size = blob.size();
    let target = api::create_upload(token, content_type, size).await.map_err(|e| e.message)?;
    if target.parts.is_empty() {
        ranges(&target.url, blob, content_type, size, progress, retrying).await?;
    } else {
        for part in &target.parts {
            one_part(part, blob, progress.clone(), retrying.clone()).await?;
        }
    }
    Ok(target.upload_key)
}

async fn ranges(
    url: &str,
    blob: &Blob,
    content_type: &str,
    size: f64,
    progress: Rc<dyn Fn(f64)>,
    retrying: Rc<dyn Fn(u32)>,
) -> Result<(), String> {
    let mut offset = 0.0;
    let mut attempts = 0;
    while offset < size {
        let end = (offset + CHUNK).min(size);
        let chunk = blob.slice_with_f64_and_f64(offset, end).map_err(|_| "the file cannot be read".to_owned())?;
        let headers = [
            ("Content-Type", content_type.to_owned()),
            ("Content-Range", format!("bytes {}-{}/{}", offset as u64, end as u64 - 1, size as u64)),
        ];
        let base = offset;
        let p = progress.clone();
        let on_progress: Rc<dyn Fn(f64)> = Rc::new(move |sent| p(base + sent));
        match send("PUT", url, &headers, Some(&chunk), Some(on_progress)).await {
            Ok(a) if a.status == 200 || a.status == 201 || a.status == 409 => {
                // The server says where it stands (a 409 is "resume from here").
                offset = a.offset.unwrap_or(end);
                attempts = 0;
                progress(offset);
            }
            Ok(a) if a.status < 500 && a.status != 0 => return Err(server_message(&a)),
            _ => {
                attempts += 1;
                if attempts > MAX_ATTEMPTS {
                    return Err(t("error.upload_dropping"));
                }
                retrying(attempts);
                wait(backoff(attempts)).await;
                if let Ok(a) = send("HEAD", url, &[], None, None).await
                    && let Some(at) = a.offset
                {
                    offset = at;
                    progress(offset);
                }
            }
        }
    }
    Ok(())
}

async fn one_part(
    part: &api::UploadPart,
    blob: &Blob,
    progress: Rc<dyn Fn(f64)>,
    retrying: Rc<dyn Fn(u32)>,
) -> Result<(), String> {
    let chunk = blob
        .slice_with_f64_and_f64(part.offset as f64, (part.offset + part.size) as f64)
        .map_err(|_| "the file cannot be read".to_owned())?;
    let mut attempts = 0;
    loop {
        let (base, p) = (part.offset as f64, progress.clone());
        let on_progress: Rc<dyn Fn(f64)> = Rc::new(move |sent| p(base + sent));
        match send("PUT", &part.url, &[], Some(&chunk), Some(on_progress)).await {
            Ok(a) if (200..300).contains(&a.status) => {
                progress((part.offset + part.size) as f64);
                return Ok(());
            }
            Ok(a) if a.status == 403 => return Err(t("error.upload_expired")),
            _ => {
                attempts += 1;
                if attempts > MAX_ATTEMPTS {
                    return Err(t("error.upload_dropping"));
                }
                retrying(attempts);
                wait(backoff(attempts)).await;
            }
        }
    }
}

fn backoff(attempt: u32) -> i32 {
    (1000 * 2i32.pow(attempt.min(5))).min(30_000)
}

fn server_message(a: &Answer) -> String {
    serde_json::from_str::<serde_json::Value>(&a.body)
        .ok()
        .and_then(|v| v["errors"][0]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| tf("error.upload_refused", &[("status", &a.status.to_string())]))
}

async fn wait(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// One XMLHttpRequest. `Err` is a network failure (no HTTP answer at all).
async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<&Blob>,
    on_progress: Option<Rc<dyn Fn(f64)>>,
) -> Result<Answer, ()> {
    let xhr = XmlHttpRequest::new().map_err(|_| ())?;
    xhr.open_with_async(method, url, true).map_err(|_| ())?;
    for (k, v) in headers {
        xhr.set_request_header(k, v).map_err(|_| ())?;
    }
    // Kept alive until the request ends (dropping it would detach the handler).
    let _progress = on_progress.map(|f| {
        let cb = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| f(e.loaded()));
        if let Ok(up) = xhr.upload() {
            up.set_onprogress(Some(cb.as_ref().unchecked_ref()));
        }
        cb
    });
    let finished = Promise::new(&mut |resolve, _| {
        let (ok, failed) = (resolve.clone(), resolve);
        let on_load = Closure::once_into_js(move || {
            let _ = ok.call1(&JsValue::NULL, &JsValue::TRUE);
        });
        let on_fail = Closure::once_into_js(move || {
            let _ = failed.call1(&JsValue::NULL, &JsValue::FALSE);
        });
        xhr.set_onload(Some(on_load.unchecked_ref()));
        xhr.set_onerror(Some(on_fail.unchecked_ref()));
        xhr.set_onabort(Some(on_fail.unchecked_ref()));
        xhr.set_ontimeout(Some(on_fail.unchecked_ref()));
    });
    xhr.send_with_opt_blob(body).map_err(|_| ())?;
    let loaded = JsFuture::from(finished).await.map_err(|_| ())?;
    if loaded != JsValue::TRUE {
        return Err(());
    }
    let offset = xhr.get_response_header("upload-offset").ok().flatten().and_then(|v| v.parse().ok());
    Ok(Answer {
        status: xhr.status().unwrap_or(0),
        offset,
        body: xhr.response_text().ok().flatten().unwrap_or_default(),
    })
}
