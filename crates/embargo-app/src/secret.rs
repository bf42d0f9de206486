//! Secret tokens (sessions, API tokens, follow-up links, setup) and passwords.
//!
//! A token is a kind prefix and 256 random bits in URL-safe base64. Only its
//! SHA-256 is stored, so a database dump does not yield working tokens.

use std::fmt;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use embargo_core::private::Private;
use embargo_store::users::TokenHash;
use sha2::{Digest, Sha256};

use crate::AppError;
use crate::entropy::{Entropy, EntropyExt};

/// What a token is for; its prefix tells it apart at a glance and in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A browser session (`embs_`).
    Session,
    /// An API token (`emba_`).
    Api,
    /// A report's follow-up link (`embf_`).
    FollowUp,
    /// The one-time token that creates the first admin (`embi_`).
    Setup,
    /// A report shared with an interested party (`embx_`).
    Share,
    /// The link that confirms a sign-up's address (`embu_`).
    Signup,
    /// An invitation to work on one report (`embc_`).
    Invitation,
}

impl TokenKind {
    const fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "embs_",
            TokenKind::Api => "emba_",
            TokenKind::FollowUp => "embf_",
            TokenKind::Setup => "embi_",
            TokenKind::Share => "embx_",
            TokenKind::Signup => "embu_",
            TokenKind::Invitation => "embc_",
        }
    }
}

/// A secret token as handed to its holder, once.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Private<String>);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    /// A new random token of `kind`.
    pub fn generate(kind: TokenKind, entropy: &dyn Entropy) -> Result<Token, AppError> {
        let bytes: [u8; 32] = entropy.bytes()?;
        Ok(Token(Private::new(format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes)))))
    }

    /// The token text, to give to its holder.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// What is stored.
    pub fn hash(&self) -> TokenHash {
        hash_token(self.expose())
    }
}

/// The kind of a presented token, from its prefix and shape.
pub fn token_kind(token: &str) -> Option<TokenKind> {
    [
        TokenKind::Session,
        TokenKind::Api,
        TokenKind::FollowUp,
        TokenKind::Setup,
        TokenKind::Share,
        TokenKind::Signup,
        TokenKind::Invitation,
    ]
    .into_iter()
    .find(|kind| {
        token.strip_prefix(kind.prefix()).is_some_and(|rest| {
            rest.len() == 43 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    })
}

/// The stored form of a presented token.
pub fn hash_token(token: &str) -> TokenHash {
    TokenHash(Sha256::digest(token.as_bytes()).into())
}

/// The shortest and longest passwords accepted.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 10..=1024;

/// How many characters of a password the strength estimate reads: beyond
/// this a password is long enough, and the estimate's cost grows quickly.
const ESTIMATED_CHARS: usize = 100;

/// The lowest zxcvbn score accepted (3: about 10^10 guesses, safe against
/// online attacks and slowed offline ones behind Argon2id).
const MIN_SCORE: u8 = 3;

/// Checks a new password (NIST SP 800-63B section 5.1.1.2: length, a list of
/// commonly used and breached passwords, no composition rules). The list is
/// the one bundled with the zxcvbn estimator (the most common passwords of
/// public breach corpora, with English words, names and keyboard patterns);
/// its estimate also refuses what is merely close to them. `context` are the
/// account's own words (address, name), which make a password weaker.
pub fn check_password(password: &str, context: &[&str]) -> Result<(), AppError> {
    if !PASSWORD_CHARS.contains(&password.chars().count()) {
        return Err(AppError::invalid("password", "must be 10 to 1024 characters long"));
    }
    let estimated: String = password.chars().take(ESTIMATED_CHARS).collect();
    let mut words: Vec<&str> = context.iter().flat_map(|c| c.split(|ch: char| !ch.is_alphanumeric())).collect();
    words.retain(|w| w.chars().count() >= 3);
    words.push("embargo");
    let estimate = zxcvbn::zxcvbn(&estimated, &words);
    if u8::from(estimate.score()) >= MIN_SCORE {
        return Ok(());
    }
    let feedback = estimate.feedback();
    let common = feedback.and_then(zxcvbn::feedback::Feedback::warning).is_some_and(|w| {
        use zxcvbn::feedback::Warning as W;
        matches!(
            w,
            W::ThisIsATop10Password
                | W::ThisIsATop100Password
                | W::ThisIsACommonPassword
                | W::ThisIsSimilarToACommonlyUsedPassword
        )
    });
    let mut reason = if common {
        "it is a commonly used password, found in lists of breached passwords".to_owned()
    } else {
        "it is too easy to guess".to_owned()
    };
    if let Some(warning) = feedback.and_then(zxcvbn::feedback::Feedback::warning).filter(|_| !common) {
        reason.push_str(&format!(" ({})", warning.to_string().trim_end_matches('.').to_lowercase()));
    }
    reason
        .push_str(": add a few unrelated words; a longer phrase of uncommon words is both strong and easy to remember");
    Err(AppError::Invalid(embargo_core::text::FieldErrors(vec![embargo_core::text::TextError::Refused {
        field: "password",
        reason,
    }])))
}

/// The memory one Argon2id hash or check takes with the default parameters
/// (RFC 9106 / OWASP: m = 19 MiB, t = 2, p = 1).
pub const ARGON2_MEMORY_BYTES: u64 = 19 * 1024 * 1024;

/// How many password hashes may run at once within `memory_bytes` (an eighth
/// of it is given to hashing) and `cpus` cores: at least 1, at most twice the
/// cores (more would only queue on the CPU).
pub fn hash_slots_for(memory_bytes: u64, cpus: usize) -> usize {
    let by_memory = usize::try_from(memory_bytes / 8 / ARGON2_MEMORY_BYTES).unwrap_or(usize::MAX);
    by_memory.clamp(1, cpus.max(1).saturating_mul(2))
}

/// A job for a hashing thread.
type HashJob = Box<dyn FnOnce() + Send + 'static>;

/// The process-wide password hashing threads: a fixed set, so that a flood of
/// sign-ins waits its turn (or is refused) instead of growing memory. They
/// are dedicated threads rather than the runtime's blocking pool because
/// the allocator keeps freed 19 MiB blocks in per-thread arenas, and the
/// blocking pool starts new threads under load: with the pool (and a
/// semaphore of 4) 64 concurrent wrong sign-ins raised peak memory by about
/// 840 MiB, with these threads by about 250 MiB, which is also what as many
/// sign-ins in a row reach (the allocator's steady state).
struct HashPool {
    queue: std::sync::mpsc::SyncSender<HashJob>,
    size: usize,
}

static HASH_POOL: std::sync::OnceLock<HashPool> = std::sync::OnceLock::new();

/// Attempts allowed to wait per hashing thread; beyond that the service
/// answers "unavailable" (HTTP 503) at once. A waiting attempt holds only its request.
const WAITING_PER_SLOT: usize = 64;

fn start_pool(size: usize) -> HashPool {
    let size = size.max(1);
    let (queue, jobs) = std::sync::mpsc::sync_channel::<HashJob>(size.saturating_mul(WAITING_PER_SLOT));
    let jobs = std::sync::Arc::new(std::sync::Mutex::new(jobs));
    let mut started = 0;
    for n in 0..size {
        let jobs = std::sync::Arc::clone(&jobs);
        let thread = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
            loop {
                // The lock is held only while waiting for the next job, not while running it.
                let next = match jobs.lock() {
                    Ok(receiver) => receiver.recv(),
                    Err(_) => return,
                };
                match next {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            }
        });
        if thread.is_ok() {
            started += 1;
        }
    }
    if started < size {
        tracing::warn!(started, wanted = size, "some password hashing threads could not be started");
    }
    HashPool { queue, size: started }
}

/// Sets the number of hashing threads once per process (the binary sizes it
/// with [`hash_slots_for`]); answers false when hashing already started.
/// Unset, two threads run.
pub fn limit_password_hashing(slots: usize) -> bool {
    HASH_POOL.set(start_pool(slots)).is_ok()
}

/// How many hashes may run at once.
pub fn password_hashing_slots() -> usize {
    pool().size
}

fn pool() -> &'static HashPool {
    HASH_POOL.get_or_init(|| start_pool(2))
}

/// Runs `work` on a hashing thread, waiting for a free one.
async fn in_hash_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        // The caller may have gone away; then nobody needs the answer.
        let _ = answer.send(work());
    });
    match pool().queue.try_send(job) {
        Ok(()) => {}
        Err(std::sync::mpsc::TrySendError::Full(_)) => {
            return Err(AppError::Unavailable("too many password checks are waiting".into()));
        }
        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
            return Err(AppError::Internal("no password hashing thread is running".into()));
        }
    }
    answered.await.map_err(|_| AppError::Internal("a password hashing thread stopped".into()))
}

/// Hashes a password with Argon2id (off the async threads: it is slow on purpose),
/// under the process-wide cap on concurrent hashing.
pub async fn hash_password(password: Private<String>) -> Result<String, AppError> {
    in_hash_slot(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::Internal(format!("cannot hash a password: {e}")))
    })
    .await?
}

/// A hash of a password nobody knows, made once per process, so that a
/// sign-in for an unknown address costs as much time as for a known one.
static DECOY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn decoy_hash() -> &'static str {
    DECOY_HASH.get_or_init(|| {
        Argon2::default()
            .hash_password(b"no password matches a decoy; it only costs time")
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Checks a password against a stored hash, or against a decoy when there is
/// none, under the process-wide cap on concurrent hashing.
pub async fn verify_password(password: Private<String>, hash: Option<Private<String>>) -> Result<bool, AppError> {
    in_hash_slot(move || {
        let real = hash.is_some();
        let stored = hash.map_or_else(|| decoy_hash().to_owned(), Private::into_inner);
        let matches = Argon2::default().verify_password(password.expose().as_bytes(), stored.as_str()).is_ok();
        real && matches
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::OsEntropy;

    #[test]
    fn tokens_carry_their_kind() {
        for kind in [
            TokenKind::Session,
            TokenKind::Api,
            TokenKind::FollowUp,
            TokenKind::Setup,
            TokenKind::Share,
            TokenKind::Invitation,
        ] {
            let token = Token::generate(kind, &OsEntropy).unwrap();
            assert_eq!(token_kind(token.expose()), Some(kind));
            assert_eq!(token.hash(), hash_token(token.expose()));
        }
        assert_eq!(token_kind("emba_short"), None);
        assert_eq!(token_kind("nope_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), None);
        assert_eq!(format!("{:?}", Token::generate(TokenKind::Api, &OsEntropy).unwrap()), "Token(<redacted>)");
    }

    #[test]
    fn hash_slots_follow_memory_and_cores() {
        const GIB: u64 = 1024 * 1024 * 1024;
        assert_eq!(hash_slots_for(0, 2), 1, "always one");
        assert_eq!(hash_slots_for(GIB, 2), 4, "1 GiB / 8 / 19 MiB = 6, capped at twice the cores");
        assert_eq!(hash_slots_for(GIB / 2, 16), 3);
        assert_eq!(hash_slots_for(64 * GIB, 8), 16);
    }

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let hash = hash_password(Private::new("correct horse battery".into())).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let check = |pw: &str, hash: Option<&str>| {
            verify_password(Private::new(pw.into()), hash.map(|h| Private::new(h.to_owned())))
        };
        assert!(check("correct horse battery", Some(&hash)).await.unwrap());
        assert!(!check("wrong horse battery", Some(&hash)).await.unwrap());
        assert!(!check("correct horse battery", None).await.unwrap(), "no hash never matches");
        assert!(check_password("short", &[]).is_err());
        assert!(check_password("correct horse battery staple", &[]).is_ok());
    }

    #[test]
    fn common_guessable_and_personal_passwords_are_refused_with_a_reason() {
        let refused = |pw: &str, context: &[&str]| match check_password(pw, context) {
            Err(AppError::Invalid(errors)) => errors.0.iter().map(ToString::to_string).collect::<String>(),
            other => panic!("{pw:?} was not refused: {other:?}"),
        };
        // The example, and passwords from breach lists.
        for pw in ["aaaaaaaaaa", "password123", "1234567890", "qwertyuiop", "iloveyou12", "trustno1trustno1"] {
            let reason = refused(pw, &[]);
            assert!(reason.contains("add a few unrelated words"), "{pw}: {reason}");
        }
        assert!(refused("password1234", &[]).contains("commonly used password"));
        // Built from the account's own address.
        assert!(check_password("alicealice2026", &["alice@example.org", "Alice"]).is_err());
        for pw in ["tulip orbit gravel mosaic", "Vx9#qL2!mZ7@pR4", "long enough to pass the estimate"] {
            assert!(check_password(pw, &[]).is_ok(), "{pw} should pass");
        }
        let long = "a".repeat(2000);
        assert!(check_password(&long, &[]).is_err(), "too long");
    }
}
