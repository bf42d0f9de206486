//! Reports shared with parties interested in an unsupported platform.

use std::ops::DerefMut;

use embargo_core::id::{ReportId, ShareId};
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
}

/// Adding shares.
#[async_trait::async_trait]
pub trait ShareWrites {
    /// Records a share with the hash of its token.
    async fn insert_share(&mut self, share: &Share, hash: &TokenHash) -> Result<(), StoreError>;
}

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
                query("SELECT id, report_id, party, platform, created_at FROM report_shares WHERE token_hash = $1")
                    .bind(hash.0.as_slice()),
            )
            .await?;
        row.map(|r| self.share_from(&r)).transpose()
    }

    async fn shares(&mut self, report: ReportId) -> Result<Vec<Share>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT id, report_id, party, platform, created_at FROM report_shares WHERE report_id = $1 \
                     ORDER BY created_at, id",
                )
                .bind(report),
            )
            .await?;
        rows.iter().map(|r| self.share_from(r)).collect()
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
}
