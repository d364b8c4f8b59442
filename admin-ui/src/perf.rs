//! Performance marks the admin benchmark reads (`bench/admin_ui`): when the app is interactive
//! and when a screen first shows its data.

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
