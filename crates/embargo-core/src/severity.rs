//! Severity: CVSS 3.x and 4.0 vectors, their base scores and ratings.
//!
//! Scores are computed by the RustSec `cvss` crate, which implements the
//! CVSS v3.1 specification (section 7.1, base equations) and CVSS v4.0
//! (section 8, macro vectors and interpolation).

use std::fmt;
use std::str::FromStr;

/// A qualitative severity rating (CVSS v3.1 section 5, v4.0 section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeverityLevel {
    /// 0.0
    None,
    /// 0.1 – 3.9
    Low,
    /// 4.0 – 6.9
    Medium,
    /// 7.0 – 8.9
    High,
    /// 9.0 – 10.0
    Critical,
}

impl SeverityLevel {
    /// Every level, from none to critical.
    pub const ALL: [SeverityLevel; 5] =
        [SeverityLevel::None, SeverityLevel::Low, SeverityLevel::Medium, SeverityLevel::High, SeverityLevel::Critical];

    /// The level's name in requests and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            SeverityLevel::None => "none",
            SeverityLevel::Low => "low",
            SeverityLevel::Medium => "medium",
            SeverityLevel::High => "high",
            SeverityLevel::Critical => "critical",
        }
    }

    fn from_cvss(severity: cvss::Severity) -> Self {
        match severity {
            cvss::Severity::None => SeverityLevel::None,
            cvss::Severity::Low => SeverityLevel::Low,
            cvss::Severity::Medium => SeverityLevel::Medium,
            cvss::Severity::High => SeverityLevel::High,
            cvss::Severity::Critical => SeverityLevel::Critical,
        }
    }
}

impl fmt::Display for SeverityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SeverityLevel {
    type Err = SeverityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SeverityLevel::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| SeverityError::UnknownLevel(s.chars().take(40).collect()))
    }
}

/// The CVSS versions Embargo scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvssVersion {
    /// CVSS 3.0 or 3.1 (`CVSS:3.x/`).
    V3,
    /// CVSS 4.0 (`CVSS:4.0/`).
    V4,
}

/// Why a CVSS vector was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeverityError {
    /// The vector does not start with a known `CVSS:x.y/` prefix.
    #[error("{vector:?} is not a CVSS 3.0, 3.1 or 4.0 vector: it must start with CVSS:3.1/ or CVSS:4.0/")]
    UnknownVersion {
        /// The rejected vector, cut to a safe length.
        vector: String,
    },
    /// The vector has the wrong version for the field it was given in.
    #[error("expected a CVSS {expected} vector")]
    WrongVersion {
        /// `3.x` or `4.0`.
        expected: &'static str,
    },
    /// A metric is missing, unknown, repeated or has an invalid value.
    #[error("invalid CVSS vector: {reason}")]
    Invalid {
        /// What the parser found wrong, naming the metric.
        reason: String,
    },
    /// A base metric the specification requires is absent.
    #[error("invalid CVSS vector: the base metric {metric} is missing")]
    MissingMetric {
        /// The metric's abbreviation.
        metric: &'static str,
    },
    /// A metric appears twice.
    #[error("invalid CVSS vector: the metric {metric} appears more than once")]
    DuplicateMetric {
        /// The metric's abbreviation, cut to a safe length.
        metric: String,
    },
    /// A severity level name that does not exist.
    #[error("unknown severity {0:?}: expected none, low, medium, high or critical")]
    UnknownLevel(String),
}

/// Which metric groups a CVSS v4.0 score covers (CVSS v4.0 specification,
/// section 1.3 "CVSS Nomenclature"): base only, or base with threat and/or
/// environmental metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nomenclature {
    /// `CVSS-B`: base metrics.
    Base,
    /// `CVSS-BT`: base and threat metrics.
    BaseThreat,
    /// `CVSS-BE`: base and environmental metrics.
    BaseEnvironmental,
    /// `CVSS-BTE`: base, threat and environmental metrics.
    BaseThreatEnvironmental,
}

impl Nomenclature {
    /// The name the specification gives it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Nomenclature::Base => "CVSS-B",
            Nomenclature::BaseThreat => "CVSS-BT",
            Nomenclature::BaseEnvironmental => "CVSS-BE",
            Nomenclature::BaseThreatEnvironmental => "CVSS-BTE",
        }
    }

    /// From the metrics present in a normalised v4.0 vector: the threat
    /// metric `E` and the environmental metrics (`CR`, `IR`, `AR`, `M*`)
    /// count when set to anything but `X` (not defined).
    fn of_v4(vector: &str) -> Self {
        let set = |name: &str| name != "X";
        let mut threat = false;
        let mut environmental = false;
        for (metric, value) in vector.split('/').skip(1).filter_map(|part| part.split_once(':')) {
            if metric == "E" && set(value) {
                threat = true;
            }
            if (matches!(metric, "CR" | "IR" | "AR") || metric.starts_with('M')) && set(value) {
                environmental = true;
            }
        }
        match (threat, environmental) {
            (false, false) => Nomenclature::Base,
            (true, false) => Nomenclature::BaseThreat,
            (false, true) => Nomenclature::BaseEnvironmental,
            (true, true) => Nomenclature::BaseThreatEnvironmental,
        }
    }
}

impl fmt::Display for Nomenclature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed CVSS vector with its computed score: for 3.x the base score
/// (CVSS v3.1 section 7.1); for 4.0 the score of every metric given
/// (section 8), named by [`Cvss::nomenclature`].
#[derive(Clone, PartialEq)]
pub struct Cvss {
    version: CvssVersion,
    vector: String,
    score: f64,
    level: SeverityLevel,
}

impl Cvss {
    /// Which CVSS version the vector uses.
    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// The vector in canonical metric order.
    pub fn vector(&self) -> &str {
        &self.vector
    }

    /// The score (0.0 to 10.0, one decimal).
    pub fn score(&self) -> f64 {
        self.score
    }

    /// The qualitative rating of the score.
    pub fn level(&self) -> SeverityLevel {
        self.level
    }

    /// The same vector cut to its base metrics, scored: the CVSS-B score of a
    /// 4.0 vector that also has threat or environmental metrics (for formats
    /// whose `baseScore` must be the base score). A 3.x vector is its own base.
    pub fn base(&self) -> Cvss {
        let required: &[&str] = match self.version {
            CvssVersion::V3 => &V3_BASE,
            CvssVersion::V4 => &V4_BASE,
        };
        let mut parts = self.vector.split('/');
        let prefix = parts.next().unwrap_or_default();
        let base: Vec<&str> =
            parts.filter(|part| part.split_once(':').is_some_and(|(metric, _)| required.contains(&metric))).collect();
        format!("{prefix}/{}", base.join("/")).parse().unwrap_or_else(|_| self.clone())
    }

    /// For a 4.0 vector, which metric groups the score covers; `None` for 3.x,
    /// whose score is always the base score.
    pub fn nomenclature(&self) -> Option<Nomenclature> {
        match self.version {
            CvssVersion::V3 => None,
            CvssVersion::V4 => Some(Nomenclature::of_v4(&self.vector)),
        }
    }
}

impl fmt::Debug for Cvss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:.1} {})", self.vector, self.score, self.level)
    }
}

/// Base metrics that every vector must carry: CVSS v3.1 section 6, CVSS v4.0 section 7.
const V3_BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
const V4_BASE: [&str; 11] = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"];

/// Checks that each required metric appears once and no metric appears twice.
fn check_metrics(vector: &str, required: &[&'static str]) -> Result<(), SeverityError> {
    let mut seen: Vec<&str> = Vec::new();
    for part in vector.split('/').skip(1) {
        let name = part.split_once(':').map_or(part, |(name, _)| name);
        if seen.contains(&name) {
            return Err(SeverityError::DuplicateMetric { metric: name.chars().take(10).collect() });
        }
        seen.push(name);
    }
    match required.iter().find(|metric| !seen.contains(metric)) {
        Some(metric) => Err(SeverityError::MissingMetric { metric }),
        None => Ok(()),
    }
}

impl FromStr for Cvss {
    type Err = SeverityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let invalid = |e: cvss::Error| SeverityError::Invalid { reason: e.to_string() };
        if s.starts_with("CVSS:3.0/") || s.starts_with("CVSS:3.1/") {
            check_metrics(s, &V3_BASE)?;
            let vector: cvss::v3::Vector = s.parse().map_err(invalid)?;
            let score = vector.base_score();
            Ok(Cvss {
                version: CvssVersion::V3,
                vector: vector.to_string(),
                score: score.value(),
                level: SeverityLevel::from_cvss(score.severity()),
            })
        } else if s.starts_with("CVSS:4.0/") {
            check_metrics(s, &V4_BASE)?;
            let vector: cvss::v4::Vector = s.parse().map_err(invalid)?;
            let score = vector.score();
            Ok(Cvss {
                version: CvssVersion::V4,
                vector: vector.to_string(),
                score: score.clone().value(),
                level: SeverityLevel::from_cvss(score.severity()),
            })
        } else {
            Err(SeverityError::UnknownVersion { vector: s.chars().take(120).collect() })
        }
    }
}

/// The team's severity assessment: up to one vector per CVSS version.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Severity {
    /// A CVSS 3.x vector.
    pub cvss_v3: Option<Cvss>,
    /// A CVSS 4.0 vector.
    pub cvss_v4: Option<Cvss>,
}

impl Severity {
    /// Parses the two optional vectors, each checked for its version.
    pub fn parse(cvss_v3: Option<&str>, cvss_v4: Option<&str>) -> Result<Self, SeverityError> {
        let parse = |vector: Option<&str>, version: CvssVersion, expected: &'static str| match vector
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => Ok(None),
            Some(v) => {
                let cvss: Cvss = v.parse()?;
                if cvss.version == version { Ok(Some(cvss)) } else { Err(SeverityError::WrongVersion { expected }) }
            }
        };
        Ok(Severity {
            cvss_v3: parse(cvss_v3, CvssVersion::V3, "3.x")?,
            cvss_v4: parse(cvss_v4, CvssVersion::V4, "4.0")?,
        })
    }

    /// The rating to show: from the 4.0 vector if present, else from 3.x.
    pub fn level(&self) -> Option<SeverityLevel> {
        self.cvss_v4.as_ref().or(self.cvss_v3.as_ref()).map(Cvss::level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(vector: &str, expected: Result<(f64, SeverityLevel), ()>) {
        let got = vector.parse::<Cvss>().map(|c| (c.score(), c.level())).map_err(|_| ());
        assert_eq!(got, expected, "vector {vector}");
    }

    #[test]
    fn reference_scores() {
        check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Ok((9.8, SeverityLevel::Critical)));
        check("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", Ok((6.1, SeverityLevel::Medium)));
        check("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", Ok((0.0, SeverityLevel::None)));
        check("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", Ok((9.3, SeverityLevel::Critical)));
    }

    #[test]
    fn bad_vectors_are_refused() {
        check("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Err(()));
        check("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Err(()));
        check("CVSS:3.1/AV:N", Err(()));
        check("CVSS:2.0/AV:N", Err(()));
        check("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", Err(()));
        check("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Err(()));
        assert_eq!(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H".parse::<Cvss>(),
            Err(SeverityError::MissingMetric { metric: "S" })
        );
    }

    #[test]
    fn v4_scores_cover_every_metric_given() {
        let nomenclature = |v: &str| v.parse::<Cvss>().unwrap().nomenclature();
        let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        assert_eq!(nomenclature(base), Some(Nomenclature::Base));
        assert_eq!(nomenclature(&format!("{base}/E:U")), Some(Nomenclature::BaseThreat));
        assert_eq!(nomenclature(&format!("{base}/CR:H")), Some(Nomenclature::BaseEnvironmental));
        assert_eq!(nomenclature(&format!("{base}/E:U/MAV:L")), Some(Nomenclature::BaseThreatEnvironmental));
        assert_eq!(nomenclature(&format!("{base}/E:X/MAV:X")), Some(Nomenclature::Base));
        assert_eq!(nomenclature("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), None);
        // FIRST's calculator: the threat metric E:U lowers 9.3 to 8.1 (CVSS-BT).
        check(&format!("{base}/E:U"), Ok((8.1, SeverityLevel::High)));
        let with_threat: Cvss = format!("{base}/E:U").parse().unwrap();
        assert_eq!((with_threat.base().score(), with_threat.base().vector()), (9.3, base));
    }

    #[test]
    fn errors_name_the_bad_metric() {
        let message = |v: &str| v.parse::<Cvss>().unwrap_err().to_string();
        assert!(message("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Z").contains("A (Availability Impact)"));
        assert!(message("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q").contains("E (Exploit"));
        assert!(message("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/FOO:1").contains("FOO"));
        assert!(message("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N").contains("SA"));
    }

    #[test]
    fn each_field_takes_its_own_version() {
        let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        assert_eq!(Severity::parse(Some(v4), None), Err(SeverityError::WrongVersion { expected: "3.x" }));
        let both = Severity::parse(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"), Some(v4)).unwrap();
        assert_eq!(both.level(), Some(SeverityLevel::Critical));
        assert_eq!(Severity::parse(Some(" "), None).unwrap(), Severity::default());
    }
}
