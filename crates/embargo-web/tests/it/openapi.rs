//! The OpenAPI document describes exactly the routes the API serves.

use std::collections::BTreeSet;

use embargo_testkit::{Auth, TestApp};
use http::StatusCode;

use crate::authorization::{documented as in_api_document, matrix};

#[tokio::test]
async fn the_document_lists_every_route_and_no_other() {
    let t = TestApp::new().await;
    let doc = t.get("/api/v1/openapi.json", &Auth::None).await.expect(StatusCode::OK).json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "Embargo");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                documented.insert(format!("{} {path}", method.to_uppercase()));
                assert!(operation["responses"].is_object(), "{method} {path} has no responses");
            }
        }
    }
    let served: BTreeSet<String> = matrix("r", "a", "u")
        .iter()
        .filter(|row| in_api_document(row.template))
        .map(|row| format!("{} {}", row.method, row.template))
        .collect();
    assert_eq!(documented, served);
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("bearer") && schemes.contains_key("session"));
    t.finish().await;
}
