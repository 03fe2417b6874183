//! The local target as a project: the topics and tables its jobs made, with the
//! schemas they were deployed with, a topic's newest messages and a table's rows,
//! for the catalog panel to load and sample as it does a Google Cloud project's.

use super::*;
use sluice_sql::catalog::{EVENT_TIMESTAMP, Payload, Source};
use sluice_sql::types::{DataType, Mode};

/// What the local target holds, as catalog sources.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LocalProject {
    /// Its topics and tables, under the project id asked for.
    pub sources: Vec<Source>,
    /// What was left out, and why.
    pub notes: Vec<String>,
}

/// A local table as a catalog source's dataset and name: `ecommerce.orders`.
fn split_table(table: &str) -> (String, String) {
    match table.split_once('.') {
        Some((dataset, name)) => (dataset.to_string(), name.to_string()),
        None => ("default".to_string(), table.to_string()),
    }
}

fn topic(project: &str, name: &str, payload: &[Field]) -> Source {
    let mut schema =
        vec![Field::new(EVENT_TIMESTAMP, DataType::Timestamp).with_mode(Mode::Required)];
    schema.extend(
        payload
            .iter()
            .filter(|f| !f.name.eq_ignore_ascii_case(EVENT_TIMESTAMP))
            .cloned(),
    );
    Source {
        kind: SourceKind::PubsubTopic,
        project: project.to_string(),
        dataset: None,
        name: name.to_string(),
        schema,
        payload: Payload::Json,
    }
}

fn table(project: &str, local: &str, schema: &[Field]) -> Source {
    let (dataset, name) = split_table(local);
    Source {
        kind: SourceKind::BigQueryTable,
        project: project.to_string(),
        dataset: Some(dataset),
        name,
        schema: schema.to_vec(),
        payload: Payload::Json,
    }
}

impl Local {
    /// Every topic and table the local jobs made that still exists, under
    /// `project`: a topic with the fields the first job that reads it was given
    /// (an output topic with its job's output columns), a table with its schema.
    /// The same name with another schema in another job is a note.
    pub fn project(&self, project: &str) -> Result<LocalProject, LocalError> {
        let conn = store::connect(&self.inner.path)?;
        let specs: Vec<(String, String)> = {
            let mut stmt = conn.prepare("SELECT name, spec FROM sluice_jobs ORDER BY name")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut out = LocalProject::default();
        let add = |source: Source, job: &str, out: &mut LocalProject| {
            let name = source.sql_name();
            match out.sources.iter().find(|s| s.sql_name() == name) {
                Some(known) if known.schema != source.schema => out.notes.push(format!(
                    "{}: job {job} reads it with other fields; the first job's are kept",
                    source.name
                )),
                Some(_) => {}
                None => out.sources.push(source),
            }
        };
        for (job, spec) in specs {
            let prepared = serde_json::from_str::<JobSpec>(&spec)
                .map_err(|e| LocalError::Invalid(e.to_string()))
                .and_then(|spec| spec.prepare());
            let prepared = match prepared {
                Ok(p) => p,
                Err(e) => {
                    out.notes.push(format!("job {job}: left out, {e}"));
                    continue;
                }
            };
            for (_, name, schema) in &prepared.streams {
                if store::topic_exists(&conn, name)? {
                    add(topic(project, name, schema), &job, &mut out);
                }
            }
            if store::topic_exists(&conn, &prepared.topic)? {
                let output = prepared.plan.output_schema();
                add(topic(project, &prepared.topic, &output), &job, &mut out);
            }
            for (_, name, schema) in &prepared.bounded {
                if store::table_exists(&conn, name)? {
                    add(table(project, name, schema), &job, &mut out);
                }
            }
            if store::table_exists(&conn, &prepared.table)? {
                let output = prepared.plan.output_schema();
                add(table(project, &prepared.table, &output), &job, &mut out);
            }
        }
        Ok(out)
    }

    /// The newest `max` messages of `topic`, oldest first.
    pub fn newest_messages(&self, topic: &str, max: usize) -> Result<Vec<Message>, LocalError> {
        let conn = store::connect(&self.inner.path)?;
        if !store::topic_exists(&conn, topic)? {
            return Err(LocalError::NoTopic(topic.to_owned()));
        }
        let after: i64 = conn.query_row(
            "SELECT COALESCE(MIN(seq), 0) - 1 FROM (SELECT seq FROM sluice_messages WHERE topic = ?1 ORDER BY seq DESC LIMIT ?2)",
            rusqlite::params![topic, max as i64],
            |r| r.get(0),
        )?;
        store::messages_after(&conn, &[topic.to_owned()], after.max(0), max)
    }

    /// At most `max` rows of local table `name` from row `offset` on (in the
    /// order they were written), as JSON objects of `schema`, and how many rows
    /// the table holds.
    pub fn table_rows(
        &self,
        name: &str,
        schema: &[Field],
        offset: u64,
        max: usize,
    ) -> Result<(Vec<Value>, u64), LocalError> {
        let conn = store::connect(&self.inner.path)?;
        if !store::table_exists(&conn, name)? {
            return Err(LocalError::Invalid(format!("no local table {name}")));
        }
        let total: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM {}", store::quoted(name)),
            [],
            |r| r.get(0),
        )?;
        let columns: Vec<String> = schema.iter().map(|f| store::quoted(&f.name)).collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT {} FROM {} ORDER BY rowid LIMIT ?1 OFFSET ?2",
            columns.join(", "),
            store::quoted(name)
        ))?;
        let mut rows = stmt.query(rusqlite::params![max as i64, offset as i64])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut object = serde_json::Map::with_capacity(schema.len());
            for (i, f) in schema.iter().enumerate() {
                object.insert(
                    f.name.clone(),
                    store::from_sql(row.get_ref(i)?, Some(&f.data_type)),
                );
            }
            out.push(Value::Object(object));
        }
        Ok((out, u64::try_from(total).unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_table_names_split_into_dataset_and_table() {
        assert_eq!(
            split_table("ecommerce.orders"),
            ("ecommerce".into(), "orders".into())
        );
        assert_eq!(split_table("solo"), ("default".into(), "solo".into()));
        let t = topic(
            "p",
            "orders",
            &[Field::new(EVENT_TIMESTAMP, DataType::Timestamp)],
        );
        assert_eq!(t.schema.len(), 1, "one event_timestamp");
        assert_eq!(t.schema[0].mode, Mode::Required);
    }
}
