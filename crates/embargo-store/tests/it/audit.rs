//! The audit chain: appends commit with their transaction; tampering is found.

use embargo_store::StoreError;
use embargo_store::audit::{AuditEntry, AuditProblem};

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(
    an_untouched_chain_verifies,
    a_rolled_back_write_leaves_no_event,
    a_modified_event_is_found,
    a_deleted_event_is_found,
    a_cut_tail_is_found,
    an_appended_event_is_found,
    an_event_inserted_mid_chain_is_found,
    a_deletion_hidden_by_renumbering_is_found,
    the_last_event_modified_is_found
);

async fn append(db: &Db, n: usize) {
    for i in 0..n {
        db.write(move |tx| {
            Box::pin(async move {
                tx.append_audit(AuditEntry {
                    at: at(i64::try_from(i).unwrap()),
                    actor: "user:1".into(),
                    action: "report.transitioned".into(),
                    subject: format!("report:{i}"),
                    details: serde_json::json!({"to": "acknowledged"}),
                })
                .await
            })
        })
        .await
        .unwrap();
    }
}

async fn verify(db: &Db) -> (u64, Option<AuditProblem>) {
    let outcome = embargo_store::audit::verify(db.store()).await.unwrap();
    (outcome.checked, outcome.problem)
}

async fn an_untouched_chain_verifies(db: &Db) {
    assert_eq!(verify(db).await, (0, None), "an empty log is fine");
    append(db, 5).await;
    assert_eq!(verify(db).await, (5, None));
    let mut r = db.read().await;
    let events = r.audit_events_for("report:3").await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].seq, 4);
    assert_eq!(events[0].details, r#"{"to":"acknowledged"}"#);
}

async fn a_rolled_back_write_leaves_no_event(db: &Db) {
    append(db, 1).await;
    let result: Result<(), StoreError> = db
        .write(|tx| {
            Box::pin(async move {
                tx.append_audit(AuditEntry {
                    at: at(9),
                    actor: "system".into(),
                    action: "x.y".into(),
                    subject: "x:1".into(),
                    details: serde_json::json!({}),
                })
                .await?;
                Err(StoreError::NotFound)
            })
        })
        .await;
    assert!(result.is_err());
    assert_eq!(verify(db).await, (1, None));
    append(db, 1).await;
    assert_eq!(verify(db).await, (2, None), "the chain continues after a rollback");
}

async fn a_modified_event_is_found(db: &Db) {
    append(db, 4).await;
    db.tamper(r#"UPDATE audit_events SET details = '{"to":"spam"}' WHERE seq = 3"#).await;
    assert_eq!(verify(db).await.1, Some(AuditProblem::Modified { seq: 3 }));
}

async fn a_deleted_event_is_found(db: &Db) {
    append(db, 4).await;
    db.tamper("DELETE FROM audit_events WHERE seq = 2").await;
    assert_eq!(verify(db).await.1, Some(AuditProblem::Deleted { seq: 2 }));
}

async fn a_cut_tail_is_found(db: &Db) {
    append(db, 4).await;
    db.tamper("DELETE FROM audit_events WHERE seq = 4").await;
    assert_eq!(verify(db).await.1, Some(AuditProblem::Deleted { seq: 4 }));
}

/// The hex of an event's stored hash.
async fn stored_hash(db: &Db, seq: u64) -> String {
    let rows = db.raw_column(&format!("SELECT hash FROM audit_events WHERE seq = {seq}")).await;
    rows[0].iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds a forged event behind the store's back.
async fn forge(db: &Db, seq: u64, prev_hex: &str) {
    db.tamper(&format!(
        "INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash) VALUES \
         ({seq}, '2026-03-01T13:00:00.000000Z', 'user:1', 'advisory.published', 'advisory:X', '{{}}', {}, {})",
        hex_literal(db, prev_hex),
        hex_literal(db, &"ab".repeat(32))
    ))
    .await;
}

/// Moves events from `from` on by `by` positions (two steps, to dodge the key).
async fn renumber(db: &Db, from: u64, by: i64) {
    db.tamper(&format!("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= {from}")).await;
    db.tamper(&format!("UPDATE audit_events SET seq = seq - 1000 + ({by}) WHERE seq >= 1000")).await;
}

async fn an_appended_event_is_found(db: &Db) {
    append(db, 3).await;
    let prev = stored_hash(db, 3).await;
    forge(db, 4, &prev).await;
    assert_eq!(verify(db).await.1, Some(AuditProblem::Inserted { seq: 4 }));
}

async fn an_event_inserted_mid_chain_is_found(db: &Db) {
    append(db, 4).await;
    let prev = stored_hash(db, 1).await;
    renumber(db, 2, 1).await;
    forge(db, 2, &prev).await;
    assert_eq!(verify(db).await.1, Some(AuditProblem::Inserted { seq: 2 }));
}

async fn a_deletion_hidden_by_renumbering_is_found(db: &Db) {
    append(db, 4).await;
    db.tamper("DELETE FROM audit_events WHERE seq = 2").await;
    renumber(db, 3, -1).await;
    db.tamper("UPDATE audit_head SET seq = 3 WHERE id = 1").await;
    assert_eq!(verify(db).await.1, Some(AuditProblem::Deleted { seq: 2 }));
}

async fn the_last_event_modified_is_found(db: &Db) {
    append(db, 3).await;
    db.tamper("UPDATE audit_events SET actor = 'user:2' WHERE seq = 3").await;
    assert_eq!(verify(db).await.1, Some(AuditProblem::Modified { seq: 3 }));
}

/// A bytes literal in the database's own syntax.
fn hex_literal(db: &Db, hex: &str) -> String {
    if db.is_postgres() { format!("'\\x{hex}'::bytea") } else { format!("X'{hex}'") }
}
