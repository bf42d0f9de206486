//! The `[performance]` section of the configuration (issue 15, items 4 and
//! 7): the public cache's budget and how stale it may be, and what the
//! SQLite store keeps in memory. Each key can also be set as
//! `EMBARGO_PERFORMANCE_<KEY>`.

use anyhow::bail;
use embargo_store::Tuning;
use embargo_web::PublicCacheConfig;
use serde::{Deserialize, Serialize};

/// `[performance]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PerformanceSettings {
    /// The most bytes of public answers kept in memory (0: no cache).
    pub public_cache_bytes: usize,
    /// Milliseconds a kept answer is served before the publication marker
    /// is read again: how long another replica's publication may go unseen.
    pub public_cache_recheck_ms: u32,
    /// SQLite: connections that read at once.
    pub sqlite_readers: u32,
    /// SQLite: the page cache of each connection, in KiB.
    pub sqlite_cache_kib: u32,
}

impl Default for PerformanceSettings {
    fn default() -> Self {
        let tuning = Tuning::default();
        PerformanceSettings {
            public_cache_bytes: PublicCacheConfig::default().budget_bytes,
            public_cache_recheck_ms: 1000,
            sqlite_readers: tuning.sqlite_readers,
            sqlite_cache_kib: tuning.sqlite_cache_kib,
        }
    }
}

/// The `[performance]` keys that `EMBARGO_PERFORMANCE_<KEY>` may set.
pub const ENV_KEYS: [&str; 4] = ["public_cache_bytes", "public_cache_recheck_ms", "sqlite_readers", "sqlite_cache_kib"];

/// The commented `[performance]` section `embargo init` writes.
pub const TEMPLATE: &str = r#"
[performance]
# Published advisories do not change, so their public page, OSV vulns/{id}
# and query, and the Atom feed are answered from memory (with ETag and
# Last-Modified, so clients revalidate with a 304). At most this many bytes
# are kept; the least recently read go first. 0 turns the cache off.
# public_cache_bytes = 8388608

# How long, in milliseconds, a kept answer is served before the cache asks
# the database whether anything was published, revised or withdrawn (one
# small read). A publication on this replica shows at once; one on another
# replica (PostgreSQL) within this bound. Between 10 and 60000.
# public_cache_recheck_ms = 1000

# SQLite only: connections reading at once, and each one's page cache in
# KiB. Memory grows with both (readers x cache); more readers help only with
# more cores. Between 1 and 64; between 64 and 1048576.
# sqlite_readers = 8
# sqlite_cache_kib = 4000
"#;

impl PerformanceSettings {
    /// Checks the values, naming the setting.
    pub fn check(&self) -> anyhow::Result<()> {
        if !(10..=60_000).contains(&self.public_cache_recheck_ms) {
            bail!(
                "setting performance.public_cache_recheck_ms: {} must be between 10 and 60000",
                self.public_cache_recheck_ms
            );
        }
        if !(1..=64).contains(&self.sqlite_readers) {
            bail!("setting performance.sqlite_readers: {} must be between 1 and 64", self.sqlite_readers);
        }
        if !(64..=1_048_576).contains(&self.sqlite_cache_kib) {
            bail!("setting performance.sqlite_cache_kib: {} must be between 64 and 1048576", self.sqlite_cache_kib);
        }
        Ok(())
    }

    /// The web layer's cache settings.
    pub fn public_cache(&self) -> PublicCacheConfig {
        PublicCacheConfig {
            budget_bytes: self.public_cache_bytes,
            recheck: time::Duration::milliseconds(i64::from(self.public_cache_recheck_ms)),
        }
    }

    /// The store's memory settings.
    pub fn tuning(&self) -> Tuning {
        Tuning { sqlite_readers: self.sqlite_readers, sqlite_cache_kib: self.sqlite_cache_kib }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Figment;
    use figment::providers::{Format, Toml};

    #[derive(Deserialize)]
    struct File {
        performance: PerformanceSettings,
    }

    #[test]
    fn the_template_shows_every_default() {
        let uncommented: Vec<&str> = TEMPLATE
            .lines()
            .filter_map(|line| match line.strip_prefix("# ") {
                Some(rest) if ENV_KEYS.iter().any(|key| rest.starts_with(&format!("{key} ="))) => Some(rest),
                Some(_) => None,
                None => Some(line),
            })
            .collect();
        for key in ENV_KEYS {
            assert!(uncommented.iter().any(|l| l.starts_with(&format!("{key} ="))), "the template documents {key}");
        }
        let file: File = Figment::from(Toml::string(&uncommented.join("\n"))).extract().unwrap();
        assert_eq!(file.performance, PerformanceSettings::default());
        file.performance.check().unwrap();
    }

    #[test]
    fn unsafe_values_are_refused_by_name() {
        let check = |change: fn(&mut PerformanceSettings), setting: &str| {
            let mut settings = PerformanceSettings::default();
            change(&mut settings);
            let error = settings.check().unwrap_err().to_string();
            assert!(error.contains(setting), "{setting}: {error}");
        };
        check(|s| s.public_cache_recheck_ms = 0, "performance.public_cache_recheck_ms");
        check(|s| s.sqlite_readers = 0, "performance.sqlite_readers");
        check(|s| s.sqlite_cache_kib = 1, "performance.sqlite_cache_kib");
        let mut off = PerformanceSettings { public_cache_bytes: 0, ..PerformanceSettings::default() };
        off.check().unwrap();
        off.public_cache_recheck_ms = 250;
        assert_eq!(off.public_cache().recheck, time::Duration::milliseconds(250));
    }
}
