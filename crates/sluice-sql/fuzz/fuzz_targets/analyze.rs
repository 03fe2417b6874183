//! Fuzzes parse + analyze (and the catalog reader): no input may panic or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let analysis = sluice_sql::analyze(text, &sluice_sql::Catalog::reference());
        assert_eq!(analysis.plan.is_some(), !analysis.has_errors());
        let _ = sluice_sql::Catalog::from_json(text);
    }
});
