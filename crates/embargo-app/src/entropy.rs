//! The random source: ids and secrets are made here and nowhere else.

use embargo_core::id::{
    AttachmentId, CollaboratorId, CveOperationId, DeliveryId, JobId, MessageId, OrgId, ProjectId, ReportId, SessionId,
    ShareId, SignupId, TokenId, UserId, WebhookId,
};
use uuid::Uuid;

use crate::AppError;

/// Fills buffers with random bytes. Injected, so tests can control it.
pub trait Entropy: Send + Sync + std::fmt::Debug {
    /// Fills `buf` with cryptographically secure random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), AppError>;
}

/// The operating system's random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), AppError> {
        getrandom::fill(buf).map_err(|e| AppError::Internal(format!("no randomness: {e}")))
    }
}

/// Makes ids and secrets from an [`Entropy`].
pub(crate) trait EntropyExt {
    fn bytes<const N: usize>(&self) -> Result<[u8; N], AppError>;
    fn uuid(&self) -> Result<Uuid, AppError>;
}

impl<E: Entropy + ?Sized> EntropyExt for E {
    fn bytes<const N: usize>(&self) -> Result<[u8; N], AppError> {
        let mut buf = [0u8; N];
        self.fill(&mut buf)?;
        Ok(buf)
    }

    /// A version-4 UUID: 122 random bits, unguessable.
    fn uuid(&self) -> Result<Uuid, AppError> {
        Ok(uuid::Builder::from_random_bytes(self.bytes()?).into_uuid())
    }
}

macro_rules! new_ids {
    ($($name:ident => $id:ty),*) => {
        /// New ids of every kind.
        pub(crate) trait NewIds {
            $(
                #[doc = concat!("A new [`", stringify!($id), "`].")]
                fn $name(&self) -> Result<$id, AppError>;
            )*
        }

        impl<E: Entropy + ?Sized> NewIds for E {
            $(fn $name(&self) -> Result<$id, AppError> {
                Ok(<$id>::from_uuid(self.uuid()?))
            })*
        }
    };
}

new_ids!(
    user_id => UserId,
    org_id => OrgId,
    project_id => ProjectId,
    report_id => ReportId,
    message_id => MessageId,
    token_id => TokenId,
    job_id => JobId,
    attachment_id => AttachmentId,
    share_id => ShareId,
    collaborator_id => CollaboratorId,
    session_id => SessionId,
    signup_id => SignupId,
    webhook_id => WebhookId,
    delivery_id => DeliveryId,
    cve_operation_id => CveOperationId
);
