//! Every query of sluice-sql's conformance corpus that analyzes either compiles
//! to Beam SQL that parses as standard SQL, or is refused with a
//! `not-in-beam-sql` diagnostic inside the query; never a panic.

mod common;

use common::corpus;
use sluice_deploy::{Target, compile};
use sluice_sql::Catalog;
use sluice_sql::diagnostics::Code;
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

#[test]
fn the_conformance_corpus_compiles_or_is_refused_with_a_reason() {
    let catalog = Catalog::reference();
    let target = Target::for_query("demobox-313313", "us-central1", "corpus");
    let (mut compiled, mut refused) = (0, 0);
    for (name, sql) in corpus() {
        let analysis = sluice_sql::analyze(&sql, &catalog);
        match compile(&sql, &catalog, &target) {
            Ok(c) => {
                assert!(!analysis.has_errors(), "{name}: compiled despite errors");
                if let Err(e) = Parser::parse_sql(&GenericDialect {}, &c.sql) {
                    panic!("{name}: the Beam SQL does not parse: {e}\n{}", c.sql);
                }
                compiled += 1;
            }
            Err(diagnostics) if analysis.has_errors() => {
                assert_eq!(diagnostics, analysis.diagnostics, "{name}");
            }
            Err(diagnostics) => {
                assert_eq!(diagnostics.len(), 1, "{name}");
                let d = &diagnostics[0];
                assert_eq!(d.code, Code::NotInBeamSql, "{name}");
                let lines = sql.lines().count() as u64;
                assert!(
                    d.span.start.line >= 1 && d.span.start.line <= lines,
                    "{name}"
                );
                refused += 1;
            }
        }
    }
    assert!(
        compiled >= 40,
        "only {compiled} compiled ({refused} refused)"
    );
    eprintln!("{compiled} compiled, {refused} refused");
}
