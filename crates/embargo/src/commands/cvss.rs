//! `embargo cvss VECTOR`: one line with the score, the severity and the
//! normalised vector (for 4.0 also which metric groups the score covers).

use std::process::ExitCode;

use embargo_core::severity::Cvss;

use crate::cli::CvssArgs;
use crate::output;

/// Scores the vector; exit 1 with the reason when it is not valid.
pub fn run(args: &CvssArgs) -> ExitCode {
    match args.vector.parse::<Cvss>() {
        Ok(cvss) => {
            let level = cvss.level().as_str().to_ascii_uppercase();
            match cvss.nomenclature() {
                Some(n) => println!("{:.1} {level} {} ({n})", cvss.score(), cvss.vector()),
                None => println!("{:.1} {level} {}", cvss.score(), cvss.vector()),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            output::error(&e.to_string());
            ExitCode::FAILURE
        }
    }
}
