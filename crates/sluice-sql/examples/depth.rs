//! Finds how deep an operator chain the analyzer handles on this thread's stack (a development aid).
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let chain = "amount + ".repeat(n);
    let sql = format!(
        "SELECT customer_id, SUM({chain}amount) AS s FROM bigquery.table.`demobox-313313`.ecommerce.orders GROUP BY 1"
    );
    let a = sluice_sql::analyze(&sql, &sluice_sql::Catalog::reference());
    println!("{n}: {} diagnostics", a.diagnostics.len());
}
