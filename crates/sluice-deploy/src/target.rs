//! Where a job runs and writes: the project and region, the job's name, and its
//! destinations, with Google's naming rules checked before any request.

/// Where the job runs and writes: the project and region, the job's name, and the
/// two destinations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The Google Cloud project that runs the job and holds the destinations.
    pub project: String,
    /// The Dataflow region, e.g. `us-central1`.
    pub region: String,
    /// The Dataflow job's name (`[a-z]([-a-z0-9]*[a-z0-9])?`).
    pub job_name: String,
    /// The destination table's dataset.
    pub dataset: String,
    /// The destination table.
    pub table: String,
    /// The destination topic.
    pub topic: String,
}

/// A name or id that Google would refuse, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} \"{value}\" is not valid: {why}")]
pub struct InvalidTarget {
    /// Which setting.
    pub field: &'static str,
    /// What was given.
    pub value: String,
    /// The rule it breaks.
    pub why: &'static str,
}

impl Target {
    /// The defaults for `query`: the job is named `sluice-` and a hash of the query
    /// (so deploying the same query again finds the same job), and writes to the
    /// table `sluice.<job name>` and the topic `<job name>-results`.
    pub fn for_query(project: &str, region: &str, query: &str) -> Self {
        let job_name = format!("sluice-{:08x}", fnv1a(query.trim().as_bytes()) as u32);
        Self {
            project: project.to_owned(),
            region: region.to_owned(),
            dataset: "sluice".into(),
            table: job_name.replace('-', "_"),
            topic: format!("{job_name}-results"),
            job_name,
        }
    }

    /// Checks every name against Google's rules, so that no request is sent with one
    /// that Google would refuse (or that would change a URL's meaning).
    pub fn validate(&self) -> Result<(), InvalidTarget> {
        let bad = |field, value: &str, why| {
            Err(InvalidTarget {
                field,
                value: value.to_owned(),
                why,
            })
        };
        let lower_digits_dash = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        check_project(&self.project)?;
        let r = &self.region;
        if r.is_empty() || r.len() > 63 || !lower_digits_dash(r) {
            return bad("region", r, "a region such as us-central1");
        }
        let j = &self.job_name;
        if j.is_empty()
            || j.len() > 1024
            || !j.starts_with(|c: char| c.is_ascii_lowercase())
            || j.ends_with('-')
            || !lower_digits_dash(j)
        {
            return bad(
                "job name",
                j,
                "lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen",
            );
        }
        let bq = |s: &str| {
            !s.is_empty()
                && s.len() <= 1024
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !bq(&self.dataset) {
            return bad("dataset", &self.dataset, "letters, digits and underscores");
        }
        if !bq(&self.table) || !bq(&self.dead_letter_table()) {
            return bad("table", &self.table, "letters, digits and underscores");
        }
        check_topic(&self.topic)
    }

    /// The destination topic's resource name.
    pub fn topic_path(&self) -> String {
        format!("projects/{}/topics/{}", self.project, self.topic)
    }

    /// The destination table as `project:dataset.table`, Beam's table spec.
    pub fn table_spec(&self) -> String {
        format!("{}:{}.{}", self.project, self.dataset, self.table)
    }

    /// The dead-letter table, beside the destination table: the messages and rows
    /// the pipeline could not read, convert or write, with the step and the error.
    pub fn dead_letter_table(&self) -> String {
        format!("{}_dead_letter", self.table)
    }

    /// The dead-letter table as Beam's table spec.
    pub fn dead_letter_table_spec(&self) -> String {
        format!(
            "{}:{}.{}",
            self.project,
            self.dataset,
            self.dead_letter_table()
        )
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Checks a project id against Google's rule (6 to 30 lowercase letters, digits
/// or hyphens, starting with a letter, not ending with a hyphen), so that it can
/// go into a URL as it is.
pub fn check_project(project: &str) -> Result<(), InvalidTarget> {
    let p = project;
    if !(6..=30).contains(&p.len())
        || !p.starts_with(|c: char| c.is_ascii_lowercase())
        || p.ends_with('-')
        || !p
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(InvalidTarget {
            field: "project",
            value: p.to_owned(),
            why: "6 to 30 lowercase letters, digits or hyphens, starting with a letter",
        });
    }
    Ok(())
}

/// Checks a Pub/Sub topic id against Google's rule (3 to 255 letters, digits or
/// `- _ . ~ + %`, starting with a letter, not with `goog`).
pub fn check_topic(topic: &str) -> Result<(), InvalidTarget> {
    let t = topic;
    if !(3..=255).contains(&t.len())
        || !t.starts_with(|c: char| c.is_ascii_alphabetic())
        || t.starts_with("goog")
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~+%".contains(c))
    {
        return Err(InvalidTarget {
            field: "topic",
            value: t.to_owned(),
            why: "3 to 255 letters, digits or - _ . ~ + %, starting with a letter, not with goog",
        });
    }
    Ok(())
}

/// Checks a BigQuery dataset id (letters, digits and underscores, at most 1,024),
/// so that it can go into a URL as it is.
pub fn check_dataset(dataset: &str) -> Result<(), InvalidTarget> {
    if dataset.is_empty()
        || dataset.len() > 1024
        || !dataset
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(InvalidTarget {
            field: "dataset",
            value: dataset.to_owned(),
            why: "1 to 1,024 letters, digits and underscores",
        });
    }
    Ok(())
}

/// Checks a BigQuery table id for a URL path: letters, digits, underscores and
/// hyphens, at most 1,024. (BigQuery allows more, such as spaces; Sluice does not
/// read such tables yet.)
pub fn check_table(table: &str) -> Result<(), InvalidTarget> {
    if table.is_empty()
        || table.len() > 1024
        || !table
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(InvalidTarget {
            field: "table",
            value: table.to_owned(),
            why: "1 to 1,024 letters, digits, underscores and hyphens",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_sql::reference::{PROJECT, QUERY};

    fn target() -> Target {
        Target::for_query(PROJECT, "us-central1", QUERY)
    }

    #[test]
    fn the_default_target_is_named_after_the_query() {
        let t = target();
        assert!(t.job_name.starts_with("sluice-"), "{}", t.job_name);
        assert_eq!(
            t,
            Target::for_query(PROJECT, "us-central1", &format!("\n{QUERY}  \n"))
        );
        assert_ne!(
            t.job_name,
            Target::for_query(PROJECT, "us-central1", "SELECT 1").job_name
        );
        assert_eq!(t.table, t.job_name.replace('-', "_"));
        assert_eq!(
            t.topic_path(),
            format!("projects/{PROJECT}/topics/{}-results", t.job_name)
        );
        assert_eq!(t.validate(), Ok(()));
    }

    #[test]
    fn names_google_would_refuse_are_refused_before_any_request() {
        let with = |f: fn(&mut Target)| {
            let mut t = target();
            f(&mut t);
            t.validate().map_err(|e| e.field)
        };
        assert_eq!(with(|t| t.project = "Demo".into()), Err("project"));
        assert_eq!(with(|t| t.project = "demo/../x".into()), Err("project"));
        assert_eq!(with(|t| t.region = "us central".into()), Err("region"));
        assert_eq!(with(|t| t.job_name = "Job".into()), Err("job name"));
        assert_eq!(with(|t| t.job_name = "job-".into()), Err("job name"));
        assert_eq!(with(|t| t.dataset = "a-b".into()), Err("dataset"));
        assert_eq!(with(|t| t.table = "a.b".into()), Err("table"));
        assert_eq!(with(|t| t.topic = "google-x".into()), Err("topic"));
        assert_eq!(with(|t| t.topic = "a/b".into()), Err("topic"));
        assert!(check_dataset("sales_2024").is_ok());
        assert!(check_dataset("sales/../x").is_err());
        assert!(check_table("daily-orders_1").is_ok());
        assert!(check_table("a?b").is_err());
        assert!(check_table("").is_err());
    }
}
