//! Keeps the linker's relocations in the admin's WebAssembly (`--emit-relocs`): wasm-split needs
//! them to cut the module into a main part and one chunk per lazy screen (`src/routes.rs`,
//! `.ci/build-ui.mjs`). Only this app is split, so only its link gets the flag; wasm-bindgen
//! and wasm-opt drop the relocations again, and the module we ship carries none.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
