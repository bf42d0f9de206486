//! Embargo's use cases. Each change is one transaction that also appends an
//! audit event and emits its domain events into the outbox, from which the
//! registered subscribers (`subscribers.rs`) act. Every use case asks
//! `embargo_core::permission::decide` first.
//!
//! The web layer and the command line call these methods and nothing below.

mod accounts;
mod advisories;
mod audit;
mod auth;
mod clocks;
mod conduct;
mod cra;
mod credits;
mod csaf_provider;
mod cve_services;
mod embargo;
mod error;
mod events;
mod factors;
mod forge;
mod imports;
mod jobs;
mod lab;
mod mail_admin;
mod mail_intake;
mod mail_notices;
mod operations;
mod organisations;
mod osv;
mod policies;
mod public_issues;
mod publication;
mod reports;
mod response_times;
mod rotation;
mod sessions;
mod signing;
mod signup;
mod subscribers;
mod throttle;
mod timers;
mod webauthn;
mod webhooks;
mod zones;

pub mod clock;
pub mod entropy;
pub mod outbound;
pub mod secret;
pub mod sso;

use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_store::Store;

pub use accounts::{InstanceSettings, Me, NewAccount, Registered, SignedIn};
pub use advisories::{AdvisoryPatch, AdvisoryQuery, AdvisoryView, AffectedInput, NotAffectedInput, RangeInput};
pub use audit::{AuditCheckpoint, AuditQuery, CheckpointMail, CheckpointVerification};
pub use auth::Credential;
pub use conduct::{ConductEntry, ConductExport};
pub use cra::{CraContent, CraDetailsInput, CraDue, CraFixClock, CraStageView, CraView, FixSource};
pub use credits::{CreditInput, FinderCredit};
pub use csaf_provider::ProviderFile;
pub use cve_services::{CveServicesInput, CveServicesStatus, CveServicesSync, MAX_POOL as CVE_MAX_POOL};
pub use error::{AppError, BanRefusal};
pub use events::Event;
pub use factors::{FactorProof, FactorStatus, RECENT_FACTOR, RecoveryCodes, TotpEnrolment};
pub use forge::{
    BranchCommit, FixMerged, FixPollView, FixView, ForgeDelivery, ForgeHookView, ForgeSecretSet, GitError, GitLog,
    HookAnswer, HookRefusal, NoGit, POLL_COMMITS, POLL_EVERY, parse_forge,
};
pub use imports::{ImportFile, ImportOutcome, ImportProgress, ImportedFile};
pub use jobs::{Deadline, DeliveryError, JobsRun, LogNotifier, Notice, Notifier};
pub use lab::{
    LabActions, LabFilter, LabRecord, LabRequest, LabRunView, LabTask, LabView, LineVerdict, MAX_ATTEMPTS,
    MAX_PENDING_PER_PROJECT, flagged as lab_flagged,
};
pub use mail_admin::{KeyFor, KeyView, MailKeys, NewKey, RouteView};
pub use mail_intake::{INTERNAL_SUFFIX, InboundMail, MailOutcome};
pub use mail_notices::{Details, FloodMail, News, NoticeMail, Recipient, Side};
pub use operations::OperationsSnapshot;
pub use organisations::{NewOrganisation, NewProject, OrganisationPatch, ProjectPatch, ReleaseLineInput, TeamRef};
pub use osv::{MAX_BATCH, OsvError, OsvQuery, OsvQueryError};
pub use policies::{EffectivePolicy, PolicyEditor, PolicyPreview, PolicyTarget};
pub use public_issues::PublicIssueView;
pub use publication::PublishedDocument;
pub use reports::{
    Envelope, INDEX_BATCH, Invitation, NewCollaborator, QueueChoices, Receipt, ReportActions, ReportPage, ReportQuery,
    ReportSummary, ReportView, TeamPatch, TeamView, TransitionInput, Upload, ViewerRole,
};
pub use response_times::ResponseTimes;
pub use rotation::{RotationInput, RotationView};
pub use sessions::SessionView;
pub use signing::{ClearSigner, SignError};
pub use signup::{SIGNUP_LINK_TTL, SIGNUP_MAILS_PER_ADDRESS, SignupMail, SignupMailKind};
pub use subscribers::{LabIntake, MailNotices, Subscriber, Subscribers};
pub use webauthn::{SecurityKeyView, WebauthnOptions};
pub use webhooks::{CreatedWebhook, EVENT_TYPES, NewWebhook, RETRY_AFTER, WebhookView, Webhooks};

use crate::clock::Clock;
use crate::entropy::Entropy;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// How long a browser session lasts.
    pub session_ttl: time::Duration,
    /// The most items one listing returns.
    pub max_page: u32,
    /// The address people reach the instance at, for links (no trailing slash).
    pub public_url: String,
    /// How long a claimed job stays leased without a heartbeat: a worker
    /// renews its lease every third of this while the job runs, and another
    /// replica takes the job over this long after its worker died.
    pub job_lease: time::Duration,
    /// How many jobs one runner runs at once (issue 15): it claims them in
    /// batches and keeps this many going, so mail waiting on a relay or a
    /// webhook waiting on its receiver does not hold the others back.
    pub job_concurrency: usize,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_ttl: time::Duration::days(14),
            max_page: 500,
            public_url: "http://127.0.0.1:8080".into(),
            job_lease: DEFAULT_JOB_LEASE,
            job_concurrency: DEFAULT_JOB_CONCURRENCY,
        }
    }
}

/// The job lease when none is configured (see [`AppConfig::job_lease`]).
pub const DEFAULT_JOB_LEASE: time::Duration = time::Duration::seconds(15);

/// Jobs run at once when none is configured (see [`AppConfig::job_concurrency`]):
/// jobs mostly wait on the database, a relay or a receiver, so a few per core.
pub const DEFAULT_JOB_CONCURRENCY: usize = 8;

/// The application: the store, the clock and the random source, and every use case.
#[derive(Clone, Debug)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    /// Shared, so that cloning an `App` (per request, per job) allocates nothing.
    config: Arc<AppConfig>,
    osv: Arc<osv::OsvCache>,
    /// What intake read per project, while no setting changed (issue 15).
    targets: Arc<reports::TargetCache>,
    signer: Option<Arc<dyn ClearSigner>>,
    signed: Arc<signing::SignedCache>,
    outbound: Arc<dyn outbound::Outbound>,
    git: Arc<dyn forge::GitLog>,
    sso: Option<Arc<sso::Sso>>,
}

impl App {
    /// 16 fresh random bytes from the injected entropy: a key a process
    /// draws once (the web layer's request ids are made from it).
    pub fn random_key(&self) -> Result<[u8; 16], AppError> {
        let mut key = [0u8; 16];
        self.entropy.fill(&mut key)?;
        Ok(key)
    }

    /// Wires an application; it signs nothing until [`App::with_signer`] and
    /// calls nothing outside until [`App::with_outbound`].
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, entropy: Arc<dyn Entropy>, config: AppConfig) -> Self {
        App {
            store,
            clock,
            entropy,
            config: Arc::new(config),
            osv: Arc::default(),
            targets: Arc::default(),
            signer: None,
            signed: Arc::default(),
            outbound: Arc::new(outbound::NoOutbound),
            git: Arc::new(forge::NoGit),
            sso: None,
        }
    }

    /// The same application, calling the outside world (webhook receivers)
    /// through `client`; without one those calls fail and are retried.
    pub fn with_outbound(mut self, client: Arc<dyn outbound::Outbound>) -> Self {
        self.outbound = client;
        self
    }

    /// The same application, reading polled repositories (issue 11's fix
    /// polling) through `git`; without one, polls fail and say so.
    pub fn with_git(mut self, git: Arc<dyn forge::GitLog>) -> Self {
        self.git = git;
        self
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Checks that the database answers.
    pub async fn ready(&self) -> Result<&'static str, AppError> {
        self.store.ping().await?;
        Ok(self.store.backend())
    }

    /// Finishes pending writes and closes the database.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// Asks the permission function; hidden things are "not found", and an
/// anonymous caller refused something is asked to sign in, and a banned
/// one refused a report or a reply is told why.
pub(crate) fn require(actor: &Actor, action: Action) -> Result<(), AppError> {
    match decide(actor, action) {
        Decision::Allow => Ok(()),
        Decision::Forbidden if *actor == Actor::Anonymous => Err(AppError::Unauthenticated),
        Decision::Forbidden
            if embargo_core::permission::banned(actor) && matches!(action, Action::SubmitReport | Action::Reply(_)) =>
        {
            Err(AppError::Banned(BanRefusal::default()))
        }
        Decision::Forbidden => Err(AppError::Forbidden),
        Decision::Hidden => Err(AppError::NotFound),
    }
}
