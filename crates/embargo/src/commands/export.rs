//! `embargo export osv|cve|csaf --out DIR`: every published advisory, one
//! file per advisory named by its id, for projects that keep an advisory
//! repository in git; for csaf, the whole CSAF provider tree the instance
//! serves under `/.well-known/csaf/` (the app's `csaf_tree`), for a static
//! web server. Each file is written to a temporary name and renamed, so a
//! reader never sees half a file.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use embargo_app::App;
use embargo_formats::{cve, osv};

use crate::cli::ExportArgs;
use crate::config::Config;
use crate::output::note;

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.tmp"));
    std::fs::write(&temporary, text).with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, &path).with_context(|| format!("cannot write {}", path.display()))
}

/// The CNA the records name: `--cna-org-id` and `--cna-short-name`, else
/// the CNA identity `--org` stored with its CVE Services credentials.
async fn cna(app: &App, args: &ExportArgs) -> anyhow::Result<cve::Cna> {
    if args.cna_org_id.is_none()
        && args.cna_short_name.is_none()
        && let Some(org) = &args.org
    {
        let org = app.organisation(org).await?;
        return app.cna_of(org.id).await?.with_context(|| {
            format!(
                "{} has no CVE Services credentials (embargo admin org cve-services): \
                 give --cna-org-id and --cna-short-name",
                org.slug
            )
        });
    }
    let (Some(org_id), Some(short_name)) = (&args.cna_org_id, &args.cna_short_name) else {
        anyhow::bail!(
            "export cve needs --org ORG (an organisation with CVE Services credentials), or --cna-org-id and \
             --cna-short-name (the CNA's UUID and short name in CVE Services)"
        );
    };
    let org_id: uuid::Uuid = org_id.trim().parse().with_context(|| format!("--cna-org-id {org_id:?} is not a UUID"))?;
    anyhow::ensure!(org_id.get_version_num() == 4, "--cna-org-id {org_id} is not a version 4 UUID, as CVE org ids are");
    let short_name = short_name.trim().to_owned();
    anyhow::ensure!((2..=32).contains(&short_name.chars().count()), "--cna-short-name must have 2 to 32 characters");
    Ok(cve::Cna { org_id, short_name })
}

/// Runs `export`.
pub async fn run(app: &App, config: &Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let cna = if args.format == "cve" { Some(cna(app, &args).await?) } else { None };
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    if args.format == "csaf" {
        return csaf_provider(app, &args).await;
    }
    let mut documents = app.published_documents(false).await?;
    if let Some(org) = &args.org {
        documents.retain(|d| &d.org.slug == org);
        if documents.is_empty() {
            note(&format!("the organisation {org:?} has no published advisories"));
        }
    }
    let base = config.public_url.trim_end_matches('/');
    let mut written = 0;
    let mut cve_ids = std::collections::HashMap::new();
    let (total, step) = (documents.len(), (documents.len() / 10).max(1));
    note(&format!("exporting {total} published advisories as {}", args.format));
    for (done, document) in documents.iter().enumerate() {
        if done > 0 && done % step == 0 {
            note(&format!("{done}/{total}"));
        }
        let page = format!("{base}/advisories/{}", document.advisory.id);
        let doc = document.document(&page);
        match args.format.as_str() {
            "osv" => {
                let text = osv::to_json(doc.osv()).context("cannot encode an OSV record")?;
                write(&args.out, &format!("{}.json", doc.id), &text)?;
            }
            "cve" => {
                let Some(cna) = &cna else { continue };
                match cve::record(&doc, cna) {
                    Ok((id, record)) => {
                        // Two advisories may name one CVE (real data does); its record is written once.
                        if let Some(first) = cve_ids.insert(id.clone(), doc.id.clone()) {
                            note(&format!("skipped: {} names {id}, whose record was written for {first}", doc.id));
                            cve_ids.insert(id, first);
                            continue;
                        }
                        let text = serde_json::to_string_pretty(&record).context("cannot encode a CVE record")?;
                        write(&args.out, &format!("{id}.json"), &text)?;
                    }
                    Err(e) => {
                        note(&format!("skipped: {e}"));
                        continue;
                    }
                }
            }
            _ => continue,
        }
        written += 1;
    }
    println!("wrote {written} {} file(s) to {}", args.format, args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// `export csaf`: the provider tree, folders made as needed.
async fn csaf_provider(app: &App, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.org.is_none(),
        "export csaf writes the instance's whole CSAF provider (every organisation): leave out --org"
    );
    let files = app.csaf_tree().await?;
    let in_white = |path: &str| path.starts_with(&format!("{}/", embargo_formats::csaf::WHITE_DIR));
    let documents = files
        .iter()
        .filter(|(path, _)| in_white(path) && path.ends_with(".json") && path.matches('/').count() == 2)
        .count();
    let signed = files.iter().filter(|(path, _)| in_white(path) && path.ends_with(".json.asc")).count();
    for (path, file) in &files {
        let target = args.out.join(path);
        let (dir, name) = match target.parent().zip(target.file_name()) {
            Some((dir, name)) => (dir.to_path_buf(), name.to_string_lossy().into_owned()),
            None => anyhow::bail!("cannot write {path}"),
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write(&dir, &name, &file.body)?;
    }
    if signed < documents {
        note(&format!(
            "{} of {documents} documents have no OpenPGP signature: their organisation holds no key pair \
             (embargo mail key generate --org ORG --user-id ...)",
            documents - signed
        ));
    }
    println!("wrote a CSAF provider with {documents} document(s), {signed} signed, to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
