//! Sign-up requests (issue 12): found by their token's hash until they
//! expire, the sealed token readable until its mail went out, removed once used.

use embargo_core::id::SignupId;
use embargo_core::private::Private;
use embargo_store::signups::SignupRequest;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid, token_hash};

conformance!(a_request_is_found_by_its_token_until_it_expires_issue_12);

async fn a_request_is_found_by_its_token_until_it_expires_issue_12(db: &Db) {
    let request = SignupRequest {
        id: SignupId::from_uuid(new_uuid()),
        email: "carol@researcher.example".parse().unwrap(),
        name: "Carol".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: at(0),
        expires_at: at(60 * 24),
    };
    let hash = token_hash();
    let stored = request.clone();
    db.write(move |tx| {
        Box::pin(
            async move { tx.insert_signup_request(&stored, &Private::new("embu_secret-token".into()), &hash).await },
        )
    })
    .await
    .unwrap();
    let (found, token) = db.read().await.signup_request(request.id).await.unwrap().unwrap();
    assert_eq!(found, request);
    assert_eq!(token.unwrap().expose(), "embu_secret-token");
    let raw = db.raw_column("SELECT token FROM signup_requests").await;
    assert!(!raw[0].windows(10).any(|w| w == b"embu_secre"), "the token is sealed at rest");

    assert_eq!(db.read().await.signup_by_token(&hash, at(60)).await.unwrap(), Some(request.clone()));
    assert_eq!(db.read().await.signup_by_token(&token_hash(), at(60)).await.unwrap(), None, "another token");
    assert_eq!(db.read().await.signup_by_token(&hash, at(60 * 24)).await.unwrap(), None, "expired");

    let id = request.id;
    db.write(move |tx| Box::pin(async move { tx.clear_signup_token(id).await })).await.unwrap();
    let (_, token) = db.read().await.signup_request(id).await.unwrap().unwrap();
    assert_eq!(token, None, "the token is forgotten once its mail went out");
    let pruned = db.write(|tx| Box::pin(async move { tx.prune_signup_requests(at(60 * 24)).await })).await.unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(db.read().await.signup_request(id).await.unwrap(), None);
}
