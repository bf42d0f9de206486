//! Attachments of reports and messages: plain text, sealed with their names.

use std::ops::DerefMut;

use embargo_core::id::{AttachmentId, MessageId, ReportId};
use embargo_core::private::Private;
use embargo_core::report::ReportAttachment;
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};
use crate::stored::{from_json, to_json};

/// The sealed JSON of one attachment: its name says as much as its text.
#[derive(Serialize, Deserialize)]
struct StoredAttachment {
    filename: String,
    text: String,
}

/// Reading attachments.
#[async_trait::async_trait]
pub trait AttachmentReads {
    /// A report's attachments (its own and its messages'), oldest first.
    async fn attachments(&mut self, report: ReportId) -> Result<Vec<ReportAttachment>, StoreError>;
}

/// Adding attachments.
#[async_trait::async_trait]
pub trait AttachmentWrites {
    /// Adds an attachment.
    async fn insert_attachment(&mut self, attachment: &ReportAttachment) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<H> AttachmentReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn attachments(&mut self, report: ReportId) -> Result<Vec<ReportAttachment>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT id, report_id, message_id, content, created_at FROM report_attachments \
                     WHERE report_id = $1 ORDER BY created_at, id",
                )
                .bind(report),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id = AttachmentId::from_uuid(row.uuid("id")?);
                let row_id = id.to_string();
                let json = self.sealer.open_text(
                    Place { table: "report_attachments", column: "content", row: &row_id },
                    &row.bytes("content")?,
                )?;
                let stored: StoredAttachment = from_json("report_attachments.content", &json)?;
                Ok(ReportAttachment {
                    id,
                    report_id: ReportId::from_uuid(row.uuid("report_id")?),
                    message_id: row.opt_uuid("message_id")?.map(MessageId::from_uuid),
                    filename: stored.filename,
                    text: Private::new(stored.text),
                    created_at: row.time("created_at")?,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl<H> AttachmentWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_attachment(&mut self, attachment: &ReportAttachment) -> Result<(), StoreError> {
        let row_id = attachment.id.to_string();
        let json = to_json(
            "report_attachments.content",
            &StoredAttachment { filename: attachment.filename.clone(), text: attachment.text.expose().clone() },
        )?;
        let sealed =
            self.sealer.seal_text(Place { table: "report_attachments", column: "content", row: &row_id }, &json)?;
        let size = i64::try_from(attachment.text.expose().len()).unwrap_or(i64::MAX);
        self.execute(
            query(
                "INSERT INTO report_attachments (id, report_id, message_id, content, size, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(attachment.id)
            .bind(attachment.report_id)
            .bind(attachment.message_id)
            .bind(sealed)
            .bind(size)
            .bind(attachment.created_at),
        )
        .await
        .map(drop)
    }
}
