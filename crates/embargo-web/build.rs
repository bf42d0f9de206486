//! Minifies `openapi.json` (the API description, see `src/openapi.rs`) into
//! the build's output folder, where the server's `include_str!` finds it.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=openapi.json");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let text = match std::fs::read_to_string(manifest.join("openapi.json")) {
        Ok(text) => text,
        Err(e) => {
            println!("cargo::error=cannot read openapi.json: {e}");
            return;
        }
    };
    if let Err(e) = std::fs::write(out.join("openapi.min.json"), minify(&text)) {
        println!("cargo::error=cannot write the minified openapi.json: {e}");
    }
}

/// JSON without the whitespace between its tokens; strings are kept as they are.
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}
