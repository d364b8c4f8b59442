//! `ui-build`: the two WebAssembly steps of `.ci/build-ui.mjs` that come from Rust crates, as one
//! small program built from this workspace's lock file.
//!
//! ```text
//! ui-build split   INPUT.wasm OUT_DIR NAME    # OUT_DIR/NAME.wasm and its chunks, loader ./NAME.js
//! ui-build bindgen INPUT.wasm OUT_DIR NAME [--split]
//! ```
//!
//! Why not the crates' own commands (`cargo install wasm-bindgen-cli wasm_split_cli_support`):
//! those installs compile a test runner, an HTTP server and client, brotli and two argument
//! parsers we never run, each its own dependency tree, and took five minutes of a first run on a
//! machine without them. The libraries behind them are the same code; this calls them with the
//! options the commands passed (`wasm-bindgen --target=web --no-typescript`, plus
//! `--keep-lld-exports --no-demangle` for a split module; `wasm-split-cli --target=web
//! --out-name=NAME`), and its output is byte for byte theirs.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasm_bindgen_cli_support::{Bindgen, EncodeInto};

const USAGE: &str =
    "usage: ui-build split INPUT.wasm OUT_DIR NAME | ui-build bindgen INPUT.wasm OUT_DIR NAME [--split]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let done = match args.as_slice() {
        ["split", input, out_dir, name] => split(Path::new(input), Path::new(out_dir), name),
        ["bindgen", input, out_dir, name] => bindgen(Path::new(input), Path::new(out_dir), name, false),
        ["bindgen", input, out_dir, name, "--split"] => bindgen(Path::new(input), Path::new(out_dir), name, true),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ui-build: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Cuts a module at its split points (Leptos's `#[lazy]`) into `OUT_DIR/NAME.wasm`, one module
/// per split point and the chunks of code they share, and `__wasm_split.js`, which loads them
/// through the main module's loader `./NAME.js`.
fn split(input: &Path, out_dir: &Path, name: &str) -> Result<()> {
    let wasm = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let main_out: PathBuf = out_dir.join(format!("{name}.wasm"));
    let main_module = format!("./{name}.js");
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = out_dir;
    options.main_out_path = &main_out;
    options.main_module = &main_module;
    options.target.web();
    // The library's error type is eyre's; its report reads the same through anyhow.
    wasm_split_cli_support::transform(options)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .with_context(|| format!("splitting {}", input.display()))?;
    Ok(())
}

/// Writes `OUT_DIR/NAME.js` and `OUT_DIR/NAME_bg.wasm` for `--target web`. A split module keeps
/// the linker's exports its chunks import, under their mangled names.
fn bindgen(input: &Path, out_dir: &Path, name: &str, split: bool) -> Result<()> {
    let mut b = Bindgen::new();
    // Every setting the command sets, at the command's default where we pass no flag: the
    // library's own defaults differ in places (it omits the default module path).
    // `reference_types` is deprecated (the features are read from the module) but the command
    // still sets it from its flag, overriding an environment variable the library reads.
    #[allow(deprecated)]
    b.web(true)?
        .input_path(input)
        .out_name(name)
        .debug(false)
        .demangle(!split)
        .keep_lld_exports(split)
        .keep_debug(false)
        .split_debug_info(false)
        .remove_name_section(false)
        .remove_producers_section(false)
        .typescript(false)
        .omit_imports(false)
        .omit_default_module_path(false)
        .split_linked_modules(false)
        .js_string_builtins(false)
        .ts_typed_array_buffers(false)
        .reference_types(false)
        .reset_state_function(false)
        .force_enable_abort_handler(false)
        .encode_into(EncodeInto::Test);
    b.generate(out_dir).with_context(|| format!("wasm-bindgen {}", input.display()))
}
