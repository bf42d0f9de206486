//! Reports shared with parties interested in an unsupported platform.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{ReportId, ShareId};
use embargo_core::private::Private;
use embargo_core::report::Share;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};
use crate::users::TokenHash;

/// Reading shares.
#[async_trait::async_trait]
pub trait ShareReads {
    /// The share a token opens.
    async fn share_by_token(&mut self, hash: &TokenHash) -> Result<Option<Share>, StoreError>;
    /// A report's shares, oldest first.
    async fn shares(&mut self, report: ReportId) -> Result<Vec<Share>, StoreError>;
    /// One share.
    async fn share(&mut self, id: ShareId) -> Result<Option<Share>, StoreError>;
    /// The link token kept for a share's mail, until the mail went out.
    async fn share_link(&mut self, id: ShareId) -> Result<Option<Private<String>>, StoreError>;
}

/// Adding shares.
#[async_trait::async_trait]
pub trait ShareWrites {
    /// Records a share with the hash of its token.
    async fn insert_share(&mut self, share: &Share, hash: &TokenHash) -> Result<(), StoreError>;
    /// Keeps a share's link token, sealed, for its mail.
    async fn keep_share_link(&mut self, id: ShareId, link: &Private<String>) -> Result<(), StoreError>;
    /// Notes that the share's mail went out, and forgets the link token.
    async fn share_mailed(&mut self, id: ShareId, now: Timestamp) -> Result<(), StoreError>;
    /// Notes that the share the token opens was used now (first and last time).
    async fn share_opened(&mut self, hash: &TokenHash, now: Timestamp) -> Result<(), StoreError>;
}

const SHARE_COLUMNS: &str = "id, report_id, party, platform, created_at, mailed_at, first_opened_at, last_opened_at";

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    fn share_from(&self, row: &impl RowRead) -> Result<Share, StoreError> {
        let id = ShareId::from_uuid(row.uuid("id")?);
        let row_id = id.to_string();
        let party = self
            .sealer
            .open_text(Place { table: "report_shares", column: "party", row: &row_id }, &row.bytes("party")?)?;
        Ok(Share {
            id,
            report_id: ReportId::from_uuid(row.uuid("report_id")?),
            party: party.parse().map_err(|e| StoreError::corrupt("report_shares.party", e))?,
            platform: row.text("platform")?,
            created_at: row.time("created_at")?,
            mailed_at: row.opt_time("mailed_at")?,
            first_opened_at: row.opt_time("first_opened_at")?,
            last_opened_at: row.opt_time("last_opened_at")?,
        })
    }
}

#[async_trait::async_trait]
impl<H> ShareReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn share_by_token(&mut self, hash: &TokenHash) -> Result<Option<Share>, StoreError> {
        let row = self
            .fetch_optional(
                query(const_format::concatcp!("SELECT ", SHARE_COLUMNS, " FROM report_shares WHERE token_hash = $1"))
                    .bind(hash.0.as_slice()),
            )
            .await?;
        row.map(|r| self.share_from(&r)).transpose()
    }

    async fn shares(&mut self, report: ReportId) -> Result<Vec<Share>, StoreError> {
        let rows = self
            .fetch_all(
                query(const_format::concatcp!(
                    "SELECT ",
                    SHARE_COLUMNS,
                    " FROM report_shares WHERE report_id = $1 ORDER BY created_at, id"
                ))
                .bind(report),
            )
            .await?;
        rows.iter().map(|r| self.share_from(r)).collect()
    }

    async fn share(&mut self, id: ShareId) -> Result<Option<Share>, StoreError> {
        let row = self
            .fetch_optional(
                query(const_format::concatcp!("SELECT ", SHARE_COLUMNS, " FROM report_shares WHERE id = $1")).bind(id),
            )
            .await?;
        row.map(|r| self.share_from(&r)).transpose()
    }

    async fn share_link(&mut self, id: ShareId) -> Result<Option<Private<String>>, StoreError> {
        let row = self.fetch_optional(query("SELECT link FROM report_shares WHERE id = $1").bind(id)).await?;
        let Some(sealed) = row.map(|r| r.opt_bytes("link")).transpose()?.flatten() else { return Ok(None) };
        let row_id = id.to_string();
        let link = self.sealer.open_text(Place { table: "report_shares", column: "link", row: &row_id }, &sealed)?;
        Ok(Some(Private::new(link)))
    }
}

#[async_trait::async_trait]
impl<H> ShareWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_share(&mut self, share: &Share, hash: &TokenHash) -> Result<(), StoreError> {
        let row_id = share.id.to_string();
        let party = self
            .sealer
            .seal_text(Place { table: "report_shares", column: "party", row: &row_id }, share.party.as_str())?;
        self.execute(
            query(
                "INSERT INTO report_shares (id, token_hash, report_id, party, platform, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(share.id)
            .bind(hash.0.as_slice())
            .bind(share.report_id)
            .bind(party)
            .bind(share.platform.as_str())
            .bind(share.created_at),
        )
        .await
        .map(drop)
    }

    async fn keep_share_link(&mut self, id: ShareId, link: &Private<String>) -> Result<(), StoreError> {
        let row_id = id.to_string();
        let sealed =
            self.sealer.seal_text(Place { table: "report_shares", column: "link", row: &row_id }, link.expose())?;
        self.execute(query("UPDATE report_shares SET link = $2 WHERE id = $1").bind(id).bind(sealed)).await.map(drop)
    }

    async fn share_mailed(&mut self, id: ShareId, now: Timestamp) -> Result<(), StoreError> {
        self.execute(
            query("UPDATE report_shares SET link = NULL, mailed_at = COALESCE(mailed_at, $2) WHERE id = $1")
                .bind(id)
                .bind(now),
        )
        .await
        .map(drop)
    }

    async fn share_opened(&mut self, hash: &TokenHash, now: Timestamp) -> Result<(), StoreError> {
        self.execute(
            query(
                "UPDATE report_shares SET first_opened_at = COALESCE(first_opened_at, $2), last_opened_at = $2 \
                 WHERE token_hash = $1",
            )
            .bind(hash.0.as_slice())
            .bind(now),
        )
        .await
        .map(drop)
    }
}
