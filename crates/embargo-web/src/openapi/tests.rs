use std::path::PathBuf;

use utoipa::OpenApi as _;

use super::document::{ApiDoc, complete};

/// The document the annotations describe, as `openapi.json` holds it.
fn described() -> serde_json::Value {
    let (_, mut document) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::api::documented())
        .split_for_parts();
    complete(&mut document);
    serde_json::to_value(&document).unwrap()
}

fn file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

/// `openapi.json`, which the server serves, is what the handlers'
/// annotations describe: a change to an annotation, a handler's types or the
/// route list must come with the regenerated file (and shows in review as a
/// change of the API description).
#[test]
fn the_served_document_is_the_one_the_annotations_describe() {
    let described = described();
    if std::env::var_os("EMBARGO_WRITE_OPENAPI").is_some() {
        let text = serde_json::to_string_pretty(&described).unwrap() + "\n";
        std::fs::write(file(), text).unwrap();
    }
    let kept: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file()).unwrap()).unwrap();
    assert!(
        kept == described,
        "crates/embargo-web/openapi.json is not what the annotations describe; rewrite it with\n  \
         EMBARGO_WRITE_OPENAPI=1 cargo test --workspace --locked -- openapi::tests\nand commit it"
    );
}

/// What the build serves is the file, minified, with nothing lost.
#[test]
fn the_minified_document_is_the_file() {
    let kept: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file()).unwrap()).unwrap();
    let served: serde_json::Value = serde_json::from_str(super::DOCUMENT).unwrap();
    assert_eq!(served, kept);
    assert!(!super::DOCUMENT.contains("\n"), "the served document is minified");
}

/// The handlers listed together in `api/mod.rs` share one path, as the
/// router registers each group at one path.
#[test]
fn each_group_of_handlers_is_one_path() {
    let groups = crate::api::path_groups();
    assert!(groups.len() > 50, "{} groups", groups.len());
    for group in groups {
        assert!(group.iter().all(|path| *path == group[0]), "handlers of different paths listed together: {group:?}");
    }
}
