//! `sluice check`: analyze a query file and print diagnostics like a compiler.

use std::io::Read as _;
use std::path::Path;

use sluice_sql::{Catalog, analyze, diagnostics::render_human};

/// Output format of `sluice check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style text.
    Human,
    /// One JSON object.
    Json,
}

/// Why `sluice check` could not analyze anything (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The query or catalog file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The catalog file is not a valid catalog.
    #[error("{path}: {source}")]
    Catalog {
        /// The file.
        path: String,
        /// Where and why.
        source: sluice_sql::catalog::CatalogError,
    },
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<String, CheckError> {
    let shown = path.display().to_string();
    if shown == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| CheckError::Read {
                path: "<stdin>".into(),
                source,
            })?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|source| CheckError::Read {
        path: shown,
        source,
    })
}

/// Loads the catalog from a file, or the reference scenario's when none is given.
pub fn load_catalog(path: Option<&Path>) -> Result<Catalog, CheckError> {
    match path {
        None => Ok(Catalog::reference()),
        Some(p) => {
            let text = read_input(p)?;
            Catalog::from_json(&text).map_err(|source| CheckError::Catalog {
                path: p.display().to_string(),
                source,
            })
        }
    }
}

/// Runs the check; returns the text to print and whether the query has errors.
pub fn check(
    query_path: &Path,
    catalog_path: Option<&Path>,
    format: Format,
) -> Result<(String, bool), CheckError> {
    let sql = read_input(query_path)?;
    let catalog = load_catalog(catalog_path)?;
    let mut analysis = analyze(&sql, &catalog);
    // Whether Dataflow can run it: a warning, since the simulation still can.
    if let Some(plan) = analysis.plan.as_ref().filter(|_| !analysis.has_errors())
        && let Some(warning) = sluice_deploy::pipeline::deploy_warning(plan)
    {
        analysis.diagnostics.push(warning);
    }
    let name = if query_path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        query_path.display().to_string()
    };
    let text = match format {
        Format::Json => format!("{:#}\n", analysis.to_json()),
        Format::Human => {
            let mut out = render_human(&name, &sql, &analysis.diagnostics);
            if let Some(plan) = &analysis.plan {
                out.push_str("\noutput schema:\n");
                for field in plan.output_schema() {
                    out.push_str(&format!(
                        "  {} {} {}\n",
                        field.name,
                        field.schema_type_name(),
                        field.mode.as_str()
                    ));
                }
                out.push_str("\nplan:\n");
                for line in plan.explain().lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            out
        }
    };
    Ok((text, analysis.has_errors()))
}
