//! The on-disk record of what Sluice created for a job (`Manifest`), kept in a
//! directory of JSON files (`ManifestStore`).

use super::*;

/// What Sluice created for one job: written after every step, so that a crash or
/// a restart can still clean up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The project.
    pub project: String,
    /// The Dataflow region.
    pub region: String,
    /// The job's name.
    pub job_name: String,
    /// The job's id, once launched or found.
    pub job_id: Option<String>,
    /// The resources Sluice created, in creation order (never one that already existed).
    pub created: Vec<Resource>,
    /// The pipeline the job runs.
    pub pipeline_yaml: String,
    /// The job states seen so far, with Google's time for each.
    #[serde(default)]
    pub history: Vec<StateChange>,
}

impl Manifest {
    /// An empty record for `plan`.
    pub fn for_plan(plan: &DeployPlan) -> Self {
        Self {
            project: plan.project.clone(),
            region: plan.region.clone(),
            job_name: plan.job_name.clone(),
            job_id: None,
            created: vec![],
            pipeline_yaml: plan.pipeline_yaml.clone(),
            history: vec![],
        }
    }

    /// The job's page in the Cloud console.
    pub fn console_url(&self) -> Option<String> {
        self.job_id.as_ref().map(|id| {
            format!(
                "https://console.cloud.google.com/dataflow/jobs/{}/{id}?project={}",
                self.region, self.project
            )
        })
    }
}

/// Whether `name` can name a record's project or job: lowercase letters, digits and
/// hyphens (nothing that could leave the store's folder).
pub fn is_record_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 1024
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Manifests on disk: `DIR/<project>/<job name>.json`, written atomically.
#[derive(Debug, Clone)]
pub struct ManifestStore {
    dir: PathBuf,
}

/// A manifest that could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StoreError {
    /// The file.
    pub path: String,
    /// Why.
    pub message: String,
}

impl ManifestStore {
    /// A store under `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The manifest's file; names that could leave the store's folder are refused.
    fn path(&self, project: &str, job_name: &str) -> Result<PathBuf, StoreError> {
        if !is_record_name(project) || !is_record_name(job_name) {
            return Err(StoreError {
                path: format!("{project}/{job_name}"),
                message: "not a project id and job name (lowercase letters, digits and hyphens)"
                    .into(),
            });
        }
        Ok(self.dir.join(project).join(format!("{job_name}.json")))
    }

    /// Writes `m` (temp file, then rename: a crash leaves the old or the new one).
    pub fn save(&self, m: &Manifest) -> Result<(), StoreError> {
        let path = self.path(&m.project, &m.job_name)?;
        let err = |e: &dyn std::fmt::Display| StoreError {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| err(&e))?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(m).map_err(|e| err(&e))?;
        std::fs::write(&tmp, text).map_err(|e| err(&e))?;
        std::fs::rename(&tmp, &path).map_err(|e| err(&e))
    }

    /// The manifest of `job_name` in `project`, if there is one.
    pub fn load(&self, project: &str, job_name: &str) -> Result<Option<Manifest>, StoreError> {
        Self::read(&self.path(project, job_name)?)
    }

    fn read(path: &Path) -> Result<Option<Manifest>, StoreError> {
        let err = |e: &dyn std::fmt::Display| StoreError {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| err(&e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err(&e)),
        }
    }

    /// Every manifest, sorted by project and job name.
    pub fn list(&self) -> Result<Vec<Manifest>, StoreError> {
        let mut out = Vec::new();
        let Ok(projects) = std::fs::read_dir(&self.dir) else {
            return Ok(out);
        };
        for project in projects.flatten() {
            let Ok(files) = std::fs::read_dir(project.path()) else {
                continue;
            };
            for file in files.flatten() {
                let path = file.path();
                if path.extension().is_some_and(|x| x == "json")
                    && let Some(m) = Self::read(&path)?
                {
                    out.push(m);
                }
            }
        }
        out.sort_by(|a, b| (&a.project, &a.job_name).cmp(&(&b.project, &b.job_name)));
        Ok(out)
    }

    /// Forgets `m` (after a complete clean-up).
    pub fn remove(&self, m: &Manifest) -> Result<(), StoreError> {
        let path = self.path(&m.project, &m.job_name)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        }
    }
}
