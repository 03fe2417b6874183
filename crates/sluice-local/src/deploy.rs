//! Deploying a job on the local target: what it creates, the checks before it
//! starts (a name in use, a topic that feeds the job its own output), and its record.

use super::*;

impl Local {
    /// Deploys `spec`: creates what it reads and writes (topics, the generated
    /// tables, the destination table and topic) and starts the job, reading messages
    /// published from now on. Deploying a running job again changes nothing.
    pub fn deploy(&self, spec: &JobSpec) -> Result<LocalJob, LocalError> {
        let prepared = spec.prepare()?;
        let g = spec.generated;
        if g.customers > sluice_datagen::MAX_CUSTOMERS || g.orders > sluice_datagen::MAX_ORDERS {
            return Err(LocalError::Invalid(format!(
                "generated: at most {} customers and {} orders (asked for {} and {})",
                sluice_datagen::MAX_CUSTOMERS,
                sluice_datagen::MAX_ORDERS,
                g.customers,
                g.orders
            )));
        }
        if check_deploy(&lock(&self.inner.writer), spec, &prepared)? {
            return self.status(&spec.name);
        }
        // The generated tables are made off the writer's lock and written in
        // chunks under a name of this deploy's own, so that publishing goes on
        // meanwhile; the deploy's transaction renames them.
        let mut building = Vec::new();
        let mut missing = Vec::new();
        {
            let conn = lock(&self.inner.writer);
            for source in &prepared.bounded {
                if !store::table_exists(&conn, &source.1)? {
                    missing.push(source.clone());
                }
            }
        }
        if !missing.is_empty() {
            let generated =
                sluice_datagen::tables(&prepared.catalog, &batch_params(&spec.generated));
            for (sql_name, table, schema) in &missing {
                let temporary = format!("{table}.building-{}", spec.name);
                let rows: Vec<&[sluice_engine::Value]> = generated
                    .get(sql_name)
                    .map(|table| table.iter().collect())
                    .unwrap_or_default();
                {
                    let conn = lock(&self.inner.writer);
                    conn.execute(
                        &format!("DROP TABLE IF EXISTS {}", store::quoted(&temporary)),
                        [],
                    )?;
                    store::create_table(&conn, &temporary, schema)?;
                }
                for chunk in rows.chunks(GENERATED_CHUNK) {
                    let objects: Vec<Value> = chunk
                        .iter()
                        .map(|row| {
                            Value::Object(
                                schema
                                    .iter()
                                    .zip(row.iter())
                                    .map(|(f, v)| (f.name.clone(), v.to_json(&f.data_type)))
                                    .collect(),
                            )
                        })
                        .collect();
                    let mut conn = lock(&self.inner.writer);
                    let tx = conn.transaction()?;
                    store::insert_rows(&tx, &temporary, schema, objects.iter())?;
                    tx.commit()?;
                }
                building.push((temporary, table.clone()));
            }
        }
        let result = self.record_deploy(spec, &prepared, &building);
        if result.is_err() {
            let conn = lock(&self.inner.writer);
            for (temporary, _) in &building {
                let _ = conn.execute(
                    &format!("DROP TABLE IF EXISTS {}", store::quoted(temporary)),
                    [],
                );
            }
        }
        if let Some(running) = result? {
            return Ok(running);
        }
        let running = job::start(&self.inner, &spec.name);
        let started = running.started.clone();
        lock(&self.inner.jobs).insert(spec.name.clone(), running);
        // The deploy answers once the job has built its bounded side and runs, or
        // with why it could not start (its record then says JOB_STATE_FAILED).
        if let Err(why) = job::wait_started(&started) {
            return Err(LocalError::Invalid(format!(
                "the job {} failed at start-up: {why} (its record stays as JOB_STATE_FAILED; clean it up to deploy it again)",
                spec.name
            )));
        }
        self.status(&spec.name)
    }

    /// In one transaction: checks again, renames the tables built for this deploy,
    /// creates the rest and records the job as running.
    fn record_deploy(
        &self,
        spec: &JobSpec,
        prepared: &Prepared,
        building: &[(String, String)],
    ) -> Result<Option<LocalJob>, LocalError> {
        let mut conn = lock(&self.inner.writer);
        // Another deploy may have come in while the tables were generated.
        if check_deploy(&conn, spec, prepared)? {
            drop(conn);
            return self.status(&spec.name).map(Some);
        }
        let tx = conn.transaction()?;
        let mut created = Vec::new();
        for (_, topic, _) in &prepared.streams {
            if store::create_topic(&tx, topic, Some(&spec.name))? {
                created.push(Resource::Topic {
                    name: topic.clone(),
                });
            }
        }
        for (temporary, table) in building {
            if store::table_exists(&tx, table)? {
                // Another job made it meanwhile: theirs stays, ours goes.
                tx.execute(&format!("DROP TABLE {}", store::quoted(temporary)), [])?;
                continue;
            }
            tx.execute(
                &format!(
                    "ALTER TABLE {} RENAME TO {}",
                    store::quoted(temporary),
                    store::quoted(table)
                ),
                [],
            )?;
            created.push(Resource::Table {
                name: table.clone(),
            });
        }
        store::create_table(&tx, &prepared.table, &prepared.plan.output_schema())?;
        created.push(Resource::Table {
            name: prepared.table.clone(),
        });
        if store::create_topic(&tx, &prepared.topic, Some(&spec.name))? {
            created.push(Resource::Topic {
                name: prepared.topic.clone(),
            });
        }
        let position = store::last_seq(&tx)?;
        let now = rfc3339(now_micros());
        tx.execute(
            "INSERT INTO sluice_jobs (name, spec, state, position, start, history, created, log)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)",
            params![
                spec.name,
                serde_json::to_string(spec).map_err(|e| LocalError::Invalid(e.to_string()))?,
                JobState::Running.as_str(),
                position,
                json!([
                    StateChange {
                        state: JobState::Pending,
                        time: now.clone()
                    },
                    StateChange {
                        state: JobState::Running,
                        time: now.clone()
                    },
                ])
                .to_string(),
                serde_json::to_string(&created).map_err(|e| LocalError::Invalid(e.to_string()))?,
                json!([[now, format!("deployed; reading messages after {position}")]]).to_string(),
            ],
        )?;
        tx.commit()?;
        Ok(None)
    }
}

/// Refuses a deploy that cannot go ahead; true when the job runs already (a
/// deploy of a running job changes nothing).
fn check_deploy(
    conn: &Connection,
    spec: &JobSpec,
    prepared: &Prepared,
) -> Result<bool, LocalError> {
    let state: Option<String> = conn
        .query_row(
            "SELECT state FROM sluice_jobs WHERE name = ?1",
            [&spec.name],
            |r| r.get(0),
        )
        .ok();
    match state.as_deref().map(JobState::parse) {
        Some(JobState::Running | JobState::Draining) => return Ok(true),
        Some(_) => return Err(LocalError::JobExists(spec.name.clone())),
        None => {}
    }
    if store::table_exists(conn, &prepared.table)? {
        return Err(LocalError::Invalid(format!(
            "the table {} exists already: clean up the job that made it",
            prepared.table
        )));
    }
    let others = running_jobs(conn, &spec.name)?;
    if let Some(cycle) = feedback_cycle(&spec.name, prepared, &others) {
        return Err(LocalError::Invalid(format!(
            "the job would read its own output, so one message would become endless messages: {cycle}"
        )));
    }
    Ok(false)
}

/// Each running job other than `except`: (name, topics it reads, topic it writes).
fn running_jobs(
    conn: &rusqlite::Connection,
    except: &str,
) -> Result<Vec<(String, Vec<String>, String)>, LocalError> {
    let mut stmt =
        conn.prepare("SELECT name, spec FROM sluice_jobs WHERE state IN (?2, ?3) AND name <> ?1")?;
    let rows: Vec<(String, String)> = stmt
        .query_map(
            params![
                except,
                JobState::Running.as_str(),
                JobState::Draining.as_str()
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut jobs = Vec::new();
    for (name, spec) in rows {
        // A record that no longer prepares cannot run, so it feeds nothing.
        let Ok(spec) = serde_json::from_str::<JobSpec>(&spec) else {
            continue;
        };
        let Ok(p) = spec.prepare() else {
            continue;
        };
        let sources = p.streams.into_iter().map(|(_, t, _)| t).collect();
        jobs.push((name, sources, p.topic));
    }
    Ok(jobs)
}

/// The loop, if deploying `name` (reading `prepared`'s topics, writing its
/// destination topic) next to the running `others` would feed a job its own
/// output: `orders → job a → a-results → job b → orders`.
fn feedback_cycle(
    name: &str,
    prepared: &Prepared,
    others: &[(String, Vec<String>, String)],
) -> Option<String> {
    let sources: Vec<String> = prepared.streams.iter().map(|(_, t, _)| t.clone()).collect();
    // Breadth first over topics from the new job's output; each reached topic
    // remembers the job and topic it was reached from.
    let mut reached: Vec<(String, Option<(String, usize)>)> = vec![(prepared.topic.clone(), None)];
    let mut next = 0;
    while next < reached.len() {
        let topic = reached[next].0.clone();
        if sources.contains(&topic) {
            let mut chain = vec![topic.clone()];
            let mut at = next;
            while let Some((job, from)) = reached[at].1.clone() {
                chain.push(format!("job {job}"));
                chain.push(reached[from].0.clone());
                at = from;
            }
            chain.push(format!("job {name}"));
            chain.push(topic);
            chain.reverse();
            return Some(chain.join(" → "));
        }
        for (job, reads, writes) in others {
            if reads.contains(&topic) && !reached.iter().any(|(t, _)| t == writes) {
                reached.push((writes.clone(), Some((job.clone(), next))));
            }
        }
        next += 1;
    }
    None
}
