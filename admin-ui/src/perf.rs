//! Performance marks the admin benchmark reads (`bench/admin_ui`): when the app is interactive
//! and when a screen first shows its data (which also starts preloading the other screens).

/// A screen shows its data: marks it (`reelproof:ready:<screen>`) and, the first time, lets the
/// lazy screens' chunks load in the background — not earlier, or their many small downloads
/// would queue ahead of the data the merchant is waiting for.
pub fn screen_ready(screen: &str) {
    mark(&format!("reelproof:ready:{screen}"));
    crate::routes::preload_once();
}

/// `performance.mark(name)`, if the browser has it.
pub fn mark(name: &str) {
    let Some(window) = web_sys::window() else { return };
    let Ok(performance) = js_sys::Reflect::get(&window, &"performance".into()) else { return };
    if let Ok(f) = js_sys::Reflect::get(&performance, &"mark".into())
        && let Ok(f) = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f)
    {
        let _ = f.call1(&performance, &name.into());
    }
}
