//! Finders' credit choices (issue 10, item 4, migration 1001): declined, or
//! the name to show (sealed), per finder.

use std::ops::DerefMut;

use embargo_core::credit::{CreditChoice, Finder};
use embargo_core::id::ReportId;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};

/// Reading credit choices.
#[async_trait::async_trait]
pub trait CreditReads {
    /// What one finder chose, if anything.
    async fn credit_choice(&mut self, finder: Finder) -> Result<Option<CreditChoice>, StoreError>;
    /// The choices made on these reports (a report and its duplicates).
    async fn credit_choices(&mut self, reports: &[ReportId]) -> Result<Vec<CreditChoice>, StoreError>;
}

/// Recording credit choices.
#[async_trait::async_trait]
pub trait CreditWrites {
    /// Records (or replaces) a finder's choice.
    async fn put_credit_choice(&mut self, choice: &CreditChoice) -> Result<(), StoreError>;
}

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    fn credit_from(&self, row: &impl RowRead) -> Result<CreditChoice, StoreError> {
        let finder_text = row.text("finder")?;
        let finder: Finder = finder_text.parse().map_err(|e| StoreError::corrupt("credit_choices.finder", e))?;
        let name = match row.opt_bytes("name")? {
            Some(sealed) => Some(
                self.sealer.open_text(Place { table: "credit_choices", column: "name", row: &finder_text }, &sealed)?,
            ),
            None => None,
        };
        Ok(CreditChoice {
            finder,
            report: ReportId::from_uuid(row.uuid("report_id")?),
            declined: row.bool("declined")?,
            name,
            updated_at: row.time("updated_at")?,
        })
    }
}

#[async_trait::async_trait]
impl<H> CreditReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn credit_choice(&mut self, finder: Finder) -> Result<Option<CreditChoice>, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT finder, report_id, declined, name, updated_at FROM credit_choices WHERE finder = $1")
                    .bind(finder.to_string()),
            )
            .await?;
        row.map(|r| self.credit_from(&r)).transpose()
    }

    async fn credit_choices(&mut self, reports: &[ReportId]) -> Result<Vec<CreditChoice>, StoreError> {
        let mut found = Vec::new();
        for report in reports {
            let rows = self
                .fetch_all(
                    query(
                        "SELECT finder, report_id, declined, name, updated_at FROM credit_choices \
                         WHERE report_id = $1 ORDER BY finder",
                    )
                    .bind(*report),
                )
                .await?;
            for row in rows {
                found.push(self.credit_from(&row)?);
            }
        }
        Ok(found)
    }
}

#[async_trait::async_trait]
impl<H> CreditWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn put_credit_choice(&mut self, choice: &CreditChoice) -> Result<(), StoreError> {
        let finder = choice.finder.to_string();
        let name = match &choice.name {
            Some(name) => {
                Some(self.sealer.seal_text(Place { table: "credit_choices", column: "name", row: &finder }, name)?)
            }
            None => None,
        };
        self.execute(query("DELETE FROM credit_choices WHERE finder = $1").bind(finder.clone())).await?;
        self.execute(
            query(
                "INSERT INTO credit_choices (finder, report_id, declined, name, updated_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(finder)
            .bind(choice.report)
            .bind(choice.declined)
            .bind(name)
            .bind(choice.updated_at),
        )
        .await
        .map(drop)
    }
}
