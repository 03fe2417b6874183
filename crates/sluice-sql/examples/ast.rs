//! Prints sqlparser's AST of a query (a development aid).
fn main() {
    let sql = std::env::args().nth(1).unwrap_or_default();
    match sluice_sql::parse(&sql) {
        Ok(s) => println!("{s:#?}"),
        Err(e) => println!("ERR {e}"),
    }
}
