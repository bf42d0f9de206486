//! `embargo cvss`: one line per vector, exit 1 with the reason when invalid,
//! and every score equal to the reference Python `cvss` package's
//! (`../shared/tools/cvss-score`) over thousands of random vectors.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::tools::{conformance, missing};

fn cvss(vector: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_embargo")).args(["cvss", vector]).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_command_prints_score_severity_and_vector() {
    let (code, out, _) = cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!((code, out.as_str()), (Some(0), "9.8 CRITICAL CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n"));
    let (code, out, _) = cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U");
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "8.1 HIGH CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U (CVSS-BT)\n")
    );
    let (code, out, err) = cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q");
    assert_eq!((code, out.as_str()), (Some(1), ""));
    assert!(err.contains("A (Availability Impact)") && err.contains('Q'), "{err}");
    let (code, _, err) = cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N");
    assert_eq!(code, Some(1));
    assert!(err.contains("SA is missing"), "{err}");
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Random(u64);

impl Random {
    fn pick<'a>(&mut self, values: &'a [&'a str]) -> &'a str {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let n = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33;
        values[usize::try_from(n).unwrap() % values.len()]
    }
}

const V3: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
];
const V4_BASE: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
];
/// Threat and environmental metrics; each appears in about half the vectors.
const V4_MORE: &[(&str, &[&str])] = &[
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
];

fn vectors(count: usize) -> Vec<String> {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(count * 3);
    for i in 0..count {
        let metrics: Vec<String> = V3.iter().map(|(m, values)| format!("{m}:{}", random.pick(values))).collect();
        let version = if i % 4 == 0 { "3.0" } else { "3.1" };
        out.push(format!("CVSS:{version}/{}", metrics.join("/")));
        for with_more in [false, true] {
            let mut metrics: Vec<String> =
                V4_BASE.iter().map(|(m, values)| format!("{m}:{}", random.pick(values))).collect();
            if with_more {
                for (m, values) in V4_MORE {
                    if random.pick(&["", "x"]) == "x" {
                        metrics.push(format!("{m}:{}", random.pick(values)));
                    }
                }
            }
            out.push(format!("CVSS:4.0/{}", metrics.join("/")));
        }
    }
    out
}

#[test]
fn scores_match_the_reference_implementation() {
    let Some(tool) = conformance().map(|c| c.join("../tools/cvss-score")).filter(|t| t.exists()) else {
        return missing("scores_match_the_reference_implementation", "../shared/tools/cvss-score");
    };
    let vectors = vectors(1500);
    let mut reference = Command::new(&tool)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = vectors.join("\n");
    reference.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let reference = reference.wait_with_output().unwrap();
    if reference.status.code() == Some(2) {
        return missing("scores_match_the_reference_implementation", "the Python cvss package (pip install cvss==3.6)");
    }
    assert!(reference.status.success(), "{}", String::from_utf8_lossy(&reference.stderr));
    let expected: Vec<String> = String::from_utf8(reference.stdout).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(expected.len(), vectors.len());
    let mut mismatches = Vec::new();
    for (vector, want) in vectors.iter().zip(&expected) {
        let ours = vector
            .parse::<embargo_core::severity::Cvss>()
            .map(|c| format!("{:.1} {}", c.score(), c.level().as_str().to_ascii_uppercase()));
        match ours {
            Ok(got) if got == *want => {}
            Ok(got) => mismatches.push(format!("{vector}: ours {got}, reference {want}")),
            Err(e) => mismatches.push(format!("{vector}: ours refused it ({e}), reference {want}")),
        }
    }
    assert!(mismatches.is_empty(), "{} of {} differ:\n{}", mismatches.len(), vectors.len(), mismatches.join("\n"));
    eprintln!("{} vectors scored as the reference does", vectors.len());
}
