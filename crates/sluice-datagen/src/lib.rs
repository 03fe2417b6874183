//! Seeded generators of the reference scenario's data: customers, batch orders
//! and the order stream (`shared/seed/generator.md` describes the originals).
//!
//! Boundary: pure functions of a seed and parameters, no I/O and no clock, so the
//! same seed gives the same data on native and in the browser (`wasm32`): the
//! random numbers come from ChaCha8 and every draw uses 64-bit integer ranges.
//!
//! The original's off-by-one is kept on purpose and made a parameter: Python's
//! `randrange(1, N)` never draws the top customer id `N`, so by default neither do
//! we ([`CustomerDraw::SeedCompatible`]); [`CustomerDraw::Inclusive`] draws `1..=N`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value as J, json};
use sluice_engine::value::{Row, Value};
use sluice_sql::literal::format_timestamp;
use sluice_sql::types::Field;

/// The fixed "now" the batch orders' times end at: 2026-11-24 00:00:00 UTC.
pub const DEFAULT_NOW_MICROS: i64 = 1_795_478_400_000_000;

/// The batch orders' earliest time: 2021-01-01 00:00:00 UTC.
pub const ORDERS_SINCE_MICROS: i64 = 1_609_459_200_000_000;

/// How customer ids are drawn for orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerDraw {
    /// `[1, N)`, as the reference generator's `randrange(1, N)`: id `N` never orders.
    #[default]
    SeedCompatible,
    /// `[1, N]`.
    Inclusive,
}

impl CustomerDraw {
    fn draw(self, rng: &mut ChaCha8Rng, n: u64) -> i64 {
        let top = match self {
            Self::SeedCompatible => n.saturating_sub(1).max(1),
            Self::Inclusive => n.max(1),
        };
        rng.random_range(1..=top) as i64
    }
}

/// Percentages of `Open`, `Closed` and `Cancelled` orders (they need not sum to 100;
/// they are weights).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusMix {
    /// Weight of `Open`.
    pub open: u32,
    /// Weight of `Closed`.
    pub closed: u32,
    /// Weight of `Cancelled`.
    pub cancelled: u32,
}

impl From<[u32; 3]> for StatusMix {
    /// Weights in the order Open, Closed, Cancelled.
    fn from([open, closed, cancelled]: [u32; 3]) -> Self {
        Self {
            open,
            closed,
            cancelled,
        }
    }
}

impl StatusMix {
    /// The batch orders' default: 20% Open, 75% Closed, 5% Cancelled.
    pub const BATCH: Self = Self {
        open: 20,
        closed: 75,
        cancelled: 5,
    };

    /// The stream's default: always Open.
    pub const STREAM: Self = Self {
        open: 100,
        closed: 0,
        cancelled: 0,
    };

    /// Parses `OPEN,CLOSED,CANCELLED` percentages, e.g. `20,75,5`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let [o, c, x] = parts.as_slice() else {
            return Err(format!(
                "expected three comma-separated percentages OPEN,CLOSED,CANCELLED (e.g. 20,75,5), got \"{text}\""
            ));
        };
        let n = |s: &str, what: &str| {
            s.parse::<u32>()
                .map_err(|_| format!("{what} percentage \"{s}\" is not a whole number"))
        };
        let mix = Self {
            open: n(o, "the Open")?,
            closed: n(c, "the Closed")?,
            cancelled: n(x, "the Cancelled")?,
        };
        if mix.open + mix.closed + mix.cancelled == 0 {
            return Err("the status mix must not be all zero".into());
        }
        Ok(mix)
    }

    fn draw(self, rng: &mut ChaCha8Rng) -> &'static str {
        let total = u64::from(self.open + self.closed + self.cancelled).max(1);
        let x = rng.random_range(0..total);
        if x < u64::from(self.open) {
            "Open"
        } else if x < u64::from(self.open + self.closed) {
            "Closed"
        } else {
            "Cancelled"
        }
    }
}

/// Parameters of `generate batch`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchParams {
    /// Customers `1..=customer_count`.
    pub customer_count: u64,
    /// How many orders.
    pub order_count: u64,
    /// The seed.
    pub seed: u64,
    /// Orders' times are uniform in `[2021-01-01, now)`.
    pub now_micros: i64,
    /// Order status weights.
    pub status_mix: StatusMix,
    /// Amounts in cents, inclusive range (default 1 to 99,999: $0.01 to $999.99).
    pub amount_cents: (u64, u64),
    /// How customer ids are drawn.
    pub customer_draw: CustomerDraw,
}

/// The most customers generated for one run (the page, the local target).
pub const MAX_CUSTOMERS: u64 = 100_000;
/// The most batch orders generated for one run (the page, the local target).
pub const MAX_ORDERS: u64 = 1_000_000;

impl Default for BatchParams {
    fn default() -> Self {
        Self {
            customer_count: 100,
            order_count: 1000,
            seed: 42,
            now_micros: DEFAULT_NOW_MICROS,
            status_mix: StatusMix::BATCH,
            amount_cents: (1, 99_999),
            customer_draw: CustomerDraw::SeedCompatible,
        }
    }
}

/// Parameters of `generate stream`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamParams {
    /// Customer ids are drawn from `[1, customer_range)` (see [`CustomerDraw`]).
    pub customer_range: u64,
    /// The seed.
    pub seed: u64,
    /// The first event's time.
    pub start_micros: i64,
    /// Status weights (default: always Open).
    pub status_mix: StatusMix,
    /// Amounts in cents, inclusive (default 50,000 to 69,999: $500.00 to $699.99).
    pub amount_cents: (u64, u64),
    /// Milliseconds between events, inclusive (default 1,000 to 4,000). When both
    /// bounds are whole seconds the gap is drawn in whole seconds, as the seed's
    /// `time.sleep(random.randint(1, 4))` does, so the default stream is the seed's.
    pub gap_millis: (u64, u64),
    /// How customer ids are drawn.
    pub customer_draw: CustomerDraw,
}

/// Parses the gap between stream events, `MIN,MAX` in milliseconds, e.g. `1000,4000`.
pub fn parse_gap_millis(text: &str) -> Result<(u64, u64), String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [lo, hi] = parts.as_slice() else {
        return Err(format!(
            "expected MIN,MAX milliseconds between events (e.g. 1000,4000), got \"{text}\""
        ));
    };
    let n = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("\"{s}\" is not a whole number of milliseconds"))
    };
    let (lo, hi) = (n(lo)?, n(hi)?);
    if lo > hi {
        return Err(format!(
            "the minimum gap {lo} ms is above the maximum {hi} ms"
        ));
    }
    if hi == 0 {
        return Err("the gap between events must not be zero".into());
    }
    Ok((lo, hi))
}

impl Default for StreamParams {
    fn default() -> Self {
        Self {
            customer_range: 100,
            seed: 42,
            start_micros: DEFAULT_NOW_MICROS,
            status_mix: StatusMix::STREAM,
            amount_cents: (50_000, 69_999),
            gap_millis: (1_000, 4_000),
            customer_draw: CustomerDraw::SeedCompatible,
        }
    }
}

/// A customer, as the `ecommerce.customers` table holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// `1..=N`.
    pub customer_id: i64,
    /// Full name.
    pub name: String,
    /// Login name.
    pub username: String,
    /// `M` or `F`.
    pub sex: String,
    /// Postal address.
    pub address: String,
    /// E-mail address.
    pub mail: String,
    /// Days since 1970-01-01.
    pub birthdate: i32,
    /// Job title.
    pub job: String,
    /// Employer.
    pub company: String,
    /// e.g. `A+`.
    pub blood_group: String,
    /// Web sites.
    pub website: Vec<String>,
    /// Home address.
    pub residence: String,
    /// (latitude, longitude).
    pub current_location: (f64, f64),
    /// Social security number.
    pub ssn: String,
}

/// A batch order, as the `ecommerce.orders` table holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Who ordered.
    pub customer_id: i64,
    /// Dollars with two decimals.
    pub amount: f64,
    /// `Open`, `Closed` or `Cancelled`.
    pub order_status: &'static str,
    /// When, in microseconds since the epoch.
    pub order_datetime: i64,
}

/// A stream event: the Pub/Sub payload plus the publish time.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOrder {
    /// Publish time (Dataflow SQL's `event_timestamp`), microseconds.
    pub event_timestamp: i64,
    /// Who ordered.
    pub customer_id: i64,
    /// Dollars with two decimals.
    pub amount: f64,
    /// `Open` by default.
    pub order_status: &'static str,
    /// `YYYY-MM-DD HH:MM:SS`, the publishing time as text.
    pub order_datetime: String,
}

const FIRST: [&str; 24] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Aiko",
    "Mohammed",
    "Priya",
    "Lars",
    "Amara",
];
const LAST: [&str; 20] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Nakamura",
    "Okafor",
];
const JOBS: [&str; 12] = [
    "Data analyst",
    "Nurse",
    "Civil engineer",
    "Teacher",
    "Accountant",
    "Chef",
    "Architect",
    "Pharmacist",
    "Software developer",
    "Journalist",
    "Electrician",
    "Veterinarian",
];
const COMPANIES: [&str; 10] = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Ltd",
    "Hooli",
    "Stark Industries",
    "Wayne & Sons",
    "Soylent Inc",
    "Vandelay Imports",
    "Cyberdyne PLC",
];
const STREETS: [&str; 10] = [
    "Oak Street",
    "Maple Avenue",
    "Cedar Lane",
    "Pine Road",
    "Elm Drive",
    "Lake View",
    "Hill Crest",
    "Park Place",
    "River Walk",
    "Sunset Boulevard",
];
const CITIES: [&str; 10] = [
    "Springfield",
    "Riverton",
    "Fairview",
    "Georgetown",
    "Salem",
    "Madison",
    "Franklin",
    "Clinton",
    "Arlington",
    "Ashland",
];
const DOMAINS: [&str; 4] = ["example.com", "example.org", "example.net", "mail.example"];
const BLOOD: [&str; 8] = ["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"];

fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len() as u64) as usize]
}

/// Mixes a purpose into the seed so that, e.g., changing the order count leaves the
/// customers unchanged.
fn rng_for(seed: u64, purpose: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn address(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{} {}, {} {:05}",
        rng.random_range(1..=9999u64),
        pick(rng, &STREETS),
        pick(rng, &CITIES),
        rng.random_range(10_000..=99_999u64)
    )
}

/// Customers `1..=params.customer_count`.
pub fn customers(params: &BatchParams) -> Vec<Customer> {
    let mut rng = rng_for(params.seed, 1);
    (1..=params.customer_count as i64)
        .map(|customer_id| {
            let first = pick(&mut rng, &FIRST);
            let last = pick(&mut rng, &LAST);
            let username = format!(
                "{}{}{}",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase(),
                rng.random_range(1..=99u64)
            );
            let born = rng.random_range(-10_957..=12_784i64); // 1940-01-01 ..= 2004-12-31
            let sites = rng.random_range(1..=3u64);
            Customer {
                customer_id,
                name: format!("{first} {last}"),
                mail: format!("{username}@{}", pick(&mut rng, &DOMAINS)),
                sex: if rng.random_range(0..2u64) == 0 {
                    "F"
                } else {
                    "M"
                }
                .into(),
                address: address(&mut rng),
                birthdate: born as i32,
                job: pick(&mut rng, &JOBS).into(),
                company: pick(&mut rng, &COMPANIES).into(),
                blood_group: pick(&mut rng, &BLOOD).into(),
                website: (0..sites)
                    .map(|i| format!("https://{username}{i}.{}/", pick(&mut rng, &DOMAINS)))
                    .collect(),
                residence: address(&mut rng),
                current_location: (
                    rng.random_range(-90_000_000..=90_000_000i64) as f64 / 1e6,
                    rng.random_range(-180_000_000..=180_000_000i64) as f64 / 1e6,
                ),
                ssn: format!(
                    "{:03}-{:02}-{:04}",
                    rng.random_range(1..=899u64),
                    rng.random_range(1..=99u64),
                    rng.random_range(1..=9999u64)
                ),
                username,
            }
        })
        .collect()
}

fn cents(rng: &mut ChaCha8Rng, (lo, hi): (u64, u64)) -> f64 {
    rng.random_range(lo.min(hi)..=hi.max(lo)) as f64 / 100.0
}

/// The batch orders.
pub fn orders(params: &BatchParams) -> Vec<Order> {
    let mut rng = rng_for(params.seed, 2);
    let span = (params.now_micros - ORDERS_SINCE_MICROS).max(1) as u64;
    (0..params.order_count)
        .map(|_| Order {
            customer_id: params.customer_draw.draw(&mut rng, params.customer_count),
            amount: cents(&mut rng, params.amount_cents),
            order_status: params.status_mix.draw(&mut rng),
            // Whole seconds, as the original's datetime values.
            order_datetime: ORDERS_SINCE_MICROS
                + (rng.random_range(0..span) / 1_000_000 * 1_000_000) as i64,
        })
        .collect()
}

/// An endless, seeded order stream: one event every `gap_millis`.
#[derive(Debug, Clone)]
pub struct Stream {
    params: StreamParams,
    rng: ChaCha8Rng,
    next_time: i64,
}

impl Stream {
    /// A stream starting at `params.start_micros`.
    pub fn new(params: StreamParams) -> Self {
        Self {
            rng: rng_for(params.seed, 3),
            next_time: params.start_micros,
            params,
        }
    }
}

/// A stream with the wait before each event: see [`Stream::paced`].
#[derive(Debug, Clone)]
pub struct Paced {
    stream: Stream,
    speed: f64,
    previous: Option<i64>,
}

impl Stream {
    /// The events with the wait before each, so that publishing them keeps the
    /// stream's own pace (event times apart) `speed` times over: none before the
    /// first, none for an event that is not later than the one before. The caller
    /// sleeps; nothing here reads a clock. A `speed` that is not a positive number is
    /// taken as 1.
    pub fn paced(self, speed: f64) -> Paced {
        Paced {
            stream: self,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
            previous: None,
        }
    }
}

impl Iterator for Paced {
    type Item = (std::time::Duration, StreamOrder);

    fn next(&mut self) -> Option<Self::Item> {
        let event = self.stream.next()?;
        let gap = match self.previous {
            Some(previous) => (event.event_timestamp - previous).max(0) as f64 / self.speed,
            None => 0.0,
        };
        self.previous = Some(event.event_timestamp);
        Some((std::time::Duration::from_micros(gap as u64), event))
    }
}

impl Iterator for Stream {
    type Item = StreamOrder;

    fn next(&mut self) -> Option<StreamOrder> {
        let p = &self.params;
        let t = self.next_time;
        let event = StreamOrder {
            event_timestamp: t,
            customer_id: p.customer_draw.draw(&mut self.rng, p.customer_range),
            amount: cents(&mut self.rng, p.amount_cents),
            order_status: p.status_mix.draw(&mut self.rng),
            order_datetime: format_timestamp(t)
                .trim_end_matches('Z')
                .replacen('T', " ", 1)
                .chars()
                .take(19)
                .collect(),
        };
        let (lo, hi) = (
            p.gap_millis.0.min(p.gap_millis.1),
            p.gap_millis.0.max(p.gap_millis.1),
        );
        let gap_micros = if lo % 1_000 == 0 && hi % 1_000 == 0 {
            self.rng.random_range(lo / 1_000..=hi / 1_000) as i64 * 1_000_000
        } else {
            self.rng.random_range(lo..=hi) as i64 * 1_000
        };
        self.next_time = t.saturating_add(gap_micros);
        Some(event)
    }
}

impl Customer {
    /// The customer as a JSON object, as `customers.jsonl` holds it.
    pub fn to_json(&self) -> J {
        json!({
            "customer_id": self.customer_id,
            "name": self.name,
            "username": self.username,
            "sex": self.sex,
            "address": self.address,
            "mail": self.mail,
            "birthdate": Value::Date(self.birthdate).to_string(),
            "job": self.job,
            "company": self.company,
            "blood_group": self.blood_group,
            "website": self.website,
            "residence": self.residence,
            "current_location": {"lat": self.current_location.0, "lng": self.current_location.1},
            "ssn": self.ssn,
        })
    }

    fn value(&self, column: &str) -> Value {
        match column {
            "customer_id" => Value::Int64(self.customer_id),
            "name" => Value::string(&self.name),
            "username" => Value::string(&self.username),
            "sex" => Value::string(&self.sex),
            "address" => Value::string(&self.address),
            "mail" => Value::string(&self.mail),
            "birthdate" => Value::Date(self.birthdate),
            "job" => Value::string(&self.job),
            "company" => Value::string(&self.company),
            "blood_group" => Value::string(&self.blood_group),
            "website" => Value::Array(self.website.iter().map(|w| Value::string(w)).collect()),
            "residence" => Value::string(&self.residence),
            "current_location" => Value::Struct(
                vec![
                    Value::Float64(self.current_location.0),
                    Value::Float64(self.current_location.1),
                ]
                .into(),
            ),
            "ssn" => Value::string(&self.ssn),
            _ => Value::Null,
        }
    }

    /// The customer as a row of `schema` (columns by name; unknown ones NULL).
    pub fn to_row(&self, schema: &[Field]) -> Row {
        schema
            .iter()
            .map(|f| self.value(&f.name.to_ascii_lowercase()))
            .collect()
    }
}

impl Order {
    /// The order as a JSON object, as `orders.jsonl` holds it.
    pub fn to_json(&self) -> J {
        json!({
            "customer_id": self.customer_id,
            "amount": self.amount,
            "order_status": self.order_status,
            "order_datetime": format_timestamp(self.order_datetime),
        })
    }

    /// The order as a row of `schema` (columns by name; unknown ones NULL).
    pub fn to_row(&self, schema: &[Field]) -> Row {
        schema
            .iter()
            .map(|f| match f.name.to_ascii_lowercase().as_str() {
                "customer_id" => Value::Int64(self.customer_id),
                "amount" => Value::Float64(self.amount),
                "order_status" => Value::string(self.order_status),
                "order_datetime" => Value::Timestamp(self.order_datetime),
                _ => Value::Null,
            })
            .collect()
    }
}

impl StreamOrder {
    /// The event as a JSON object: the payload fields plus `event_timestamp`.
    pub fn to_json(&self) -> J {
        json!({
            "event_timestamp": format_timestamp(self.event_timestamp),
            "customer_id": self.customer_id,
            "amount": self.amount,
            "order_status": self.order_status,
            "order_datetime": self.order_datetime,
        })
    }

    /// The event as a publisher sends it to Pub/Sub: the payload fields alone (the
    /// message's publish time is the event time).
    pub fn payload(&self) -> J {
        json!({
            "customer_id": self.customer_id,
            "amount": self.amount,
            "order_status": self.order_status,
            "order_datetime": self.order_datetime,
        })
    }

    /// The event as a row of the topic's `schema` (columns by name; unknown ones NULL).
    pub fn to_row(&self, schema: &[Field]) -> Row {
        schema
            .iter()
            .map(|f| match f.name.to_ascii_lowercase().as_str() {
                "event_timestamp" => Value::Timestamp(self.event_timestamp),
                "customer_id" => Value::Int64(self.customer_id),
                "amount" => Value::Float64(self.amount),
                "order_status" => Value::string(self.order_status),
                "order_datetime" => Value::string(&self.order_datetime),
                _ => Value::Null,
            })
            .collect()
    }
}

/// The engine's bounded inputs for the reference scenario: every BigQuery table of
/// `catalog` named `customers` or `orders`, keyed by SQL name, with rows in the
/// table's column order.
pub fn tables(catalog: &sluice_sql::Catalog, params: &BatchParams) -> sluice_engine::Tables {
    let mut out = std::collections::HashMap::new();
    let (customers, orders) = (customers(params), orders(params));
    for source in catalog.sources.iter().filter(|s| s.is_bounded()) {
        let rows: Vec<Row> = match source.name.as_str() {
            "customers" => customers.iter().map(|c| c.to_row(&source.schema)).collect(),
            "orders" => orders.iter().map(|o| o.to_row(&source.schema)).collect(),
            _ => continue,
        };
        let table = sluice_engine::Table::from_rows(source.schema.len(), rows);
        out.insert(source.sql_name(), std::sync::Arc::new(table));
    }
    out
}

#[cfg(test)]
mod tests;

/// The reference scenario at its default size through the reference query: the
/// destination rows and drop reasons as pretty JSON. Native and wasm tests compare
/// it with `fixtures/reference_result.json` (identical results on both).
#[cfg(test)]
fn reference_result() -> String {
    let catalog = sluice_sql::Catalog::reference();
    let plan = sluice_sql::analyze(sluice_sql::reference::QUERY, &catalog)
        .plan
        .expect("plans");
    let tables = tables(&catalog, &BatchParams::default());
    let mut engine = sluice_engine::Engine::new(&plan, &tables, sluice_engine::Options::default())
        .expect("builds");
    let topic = catalog
        .sources
        .iter()
        .find(|s| !s.is_bounded())
        .expect("topic");
    let stream = StreamParams {
        status_mix: StatusMix::BATCH,
        ..StreamParams::default()
    };
    for e in Stream::new(stream).take(200) {
        engine
            .push(&topic.sql_name(), e.to_row(&topic.schema))
            .expect("pushes");
    }
    engine.finish();
    let mut report = engine.report_json();
    // Timings differ between runs; everything else must not.
    if let Some(ops) = report["operators"].as_array_mut() {
        for op in ops {
            op["nanos"] = json!(0);
        }
    }
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[test]
fn the_reference_result_matches_the_fixture() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/reference_result.json"
    );
    let got = reference_result();
    if std::env::var_os("SLUICE_BLESS").is_some() {
        std::fs::write(path, &got).expect("writes the fixture");
    }
    assert_eq!(got, include_str!("../fixtures/reference_result.json"));
}

#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_tests {
    use wasm_bindgen_test::*;
    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn the_browser_computes_the_same_reference_result_as_native() {
        assert_eq!(
            super::reference_result(),
            include_str!("../fixtures/reference_result.json")
        );
    }
}
