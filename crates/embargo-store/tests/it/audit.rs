//! The audit chain: appends commit with their transaction; tampering is found.

use embargo_store::StoreError;
use embargo_store::audit::{AuditEntry, AuditFilter, AuditProblem};
use embargo_store::checkpoint::{CheckpointError, CheckpointProblem};

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
    the_last_event_modified_is_found,
    a_malformed_event_is_named_issue_12,
    a_checkpoint_finds_a_cut_tail_issue_12,
    a_checkpoint_finds_a_wiped_log_issue_12,
    a_checkpoint_finds_rewritten_history_issue_12,
    a_checkpoint_of_another_instance_is_refused_issue_12,
    events_are_found_by_subject_actor_and_time_issue_12
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

async fn a_malformed_event_is_named_issue_12(db: &Db) {
    append(db, 4).await;
    let short = hex_literal(db, "00");
    db.tamper(&format!("UPDATE audit_events SET hash = {short} WHERE seq = 3")).await;
    let (checked, problem) = verify(db).await;
    let Some(AuditProblem::Malformed { seq, cause }) = problem else { panic!("{problem:?}") };
    assert_eq!((seq, checked), (3, 3));
    assert!(cause.contains("hash"), "the cause names the column: {cause}");
    let text = AuditProblem::Malformed { seq, cause }.to_string();
    assert!(text.starts_with("event 3 is malformed: "), "{text}");
}

/// Checks `db` against a checkpoint text.
async fn against(db: &Db, text: &str) -> (Option<AuditProblem>, Option<CheckpointProblem>) {
    let checkpoint = db.store().audit_check().read_checkpoint(text).unwrap();
    let chain = verify(db).await.1;
    (chain, embargo_store::audit::compare_checkpoint(db.store(), &checkpoint).await.unwrap())
}

async fn a_checkpoint_finds_a_cut_tail_issue_12(db: &Db) {
    append(db, 5).await;
    let (checkpoint, text) = embargo_store::audit::checkpoint(db.store(), at(99)).await.unwrap();
    assert_eq!(checkpoint.events, 5);
    assert_eq!(against(db, &text).await, (None, None), "the log extends its own checkpoint");
    append(db, 2).await;
    assert_eq!(against(db, &text).await, (None, None), "and still does after more events");
    // The tail is cut and the head row moved back: the chain alone looks intact.
    db.tamper("DELETE FROM audit_events WHERE seq > 3").await;
    let hash = stored_hash(db, 3).await;
    db.tamper(&format!("UPDATE audit_head SET seq = 3, hash = {} WHERE id = 1", hex_literal(db, &hash))).await;
    assert_eq!(against(db, &text).await, (None, Some(CheckpointProblem::Shorter { checkpoint: 5, now: 3 })));
}

async fn a_checkpoint_finds_a_wiped_log_issue_12(db: &Db) {
    append(db, 3).await;
    let (_, text) = embargo_store::audit::checkpoint(db.store(), at(99)).await.unwrap();
    db.tamper("DELETE FROM audit_events").await;
    db.tamper("DELETE FROM audit_head").await;
    assert_eq!(against(db, &text).await, (None, Some(CheckpointProblem::Shorter { checkpoint: 3, now: 0 })));
    let (empty, text) = embargo_store::audit::checkpoint(db.store(), at(99)).await.unwrap();
    assert_eq!((empty.events, empty.head), (0, [0; 32]));
    assert_eq!(against(db, &text).await, (None, None), "an empty log extends an empty checkpoint");
}

async fn a_checkpoint_finds_rewritten_history_issue_12(db: &Db) {
    append(db, 3).await;
    let (_, text) = embargo_store::audit::checkpoint(db.store(), at(99)).await.unwrap();
    // Wiped and written again through the store: a consistent chain, but another history.
    db.tamper("DELETE FROM audit_events").await;
    db.tamper("DELETE FROM audit_head").await;
    for _ in 0..4 {
        db.write(|tx| {
            Box::pin(async move {
                tx.append_audit(AuditEntry {
                    at: at(50),
                    actor: "system".into(),
                    action: "x.y".into(),
                    subject: "x:1".into(),
                    details: serde_json::json!({}),
                })
                .await
            })
        })
        .await
        .unwrap();
    }
    assert_eq!(against(db, &text).await, (None, Some(CheckpointProblem::Rewritten { seq: 3 })));
}

async fn a_checkpoint_of_another_instance_is_refused_issue_12(db: &Db) {
    append(db, 1).await;
    let (_, text) = embargo_store::audit::checkpoint(db.store(), at(99)).await.unwrap();
    let other = crate::fixture::Db::sqlite().await;
    assert_eq!(other.store().audit_check().read_checkpoint(&text), Err(CheckpointError::BadSignature));
    other.finish().await;
    let altered = text.replace("events: 1", "events: 2");
    assert_eq!(db.store().audit_check().read_checkpoint(&altered), Err(CheckpointError::BadSignature));
}

async fn events_are_found_by_subject_actor_and_time_issue_12(db: &Db) {
    append(db, 6).await;
    db.tamper("UPDATE audit_events SET actor = 'user:2' WHERE seq IN (2, 5)").await;
    let search = |filter: AuditFilter| async move {
        let mut r = db.read().await;
        r.audit_search(&AuditFilter { limit: 100, ..filter }).await.unwrap().iter().map(|e| e.seq).collect::<Vec<_>>()
    };
    assert_eq!(search(AuditFilter::default()).await, vec![6, 5, 4, 3, 2, 1], "newest first");
    assert_eq!(search(AuditFilter { subject: Some("report:3".into()), ..Default::default() }).await, vec![4]);
    assert_eq!(search(AuditFilter { actor: Some("user:2".into()), ..Default::default() }).await, vec![5, 2]);
    assert_eq!(search(AuditFilter { since: Some(at(2)), until: Some(at(4)), ..Default::default() }).await, vec![4, 3]);
    assert_eq!(search(AuditFilter { before: Some(3), ..Default::default() }).await, vec![2, 1]);
    let mut r = db.read().await;
    let two = r.audit_search(&AuditFilter { limit: 2, ..Default::default() }).await.unwrap();
    assert_eq!(two.len(), 2);
}
