//! BigQuery's regular expressions are RE2's; the simulator runs them on the `regex`
//! crate, whose syntax is close but not the same. A pattern is rewritten first, so
//! that it matches what it matches in BigQuery (google/re2 `doc/syntax.txt`):
//!
//! - Perl classes are ASCII in RE2: `\d` is `[0-9]`, `\s` is `[\t\n\f\r ]` (no
//!   vertical tab), `\w` is `[0-9A-Za-z_]`, `\b` is an ASCII word boundary; the
//!   `regex` crate makes them Unicode (`\d` matches `٣`, `\w` matches `é`).
//! - `\Q…\E` quotes a literal in RE2; the `regex` crate has no such thing.
//! - Inside a class, RE2 reads `[` (not opening `[:name:]`), `&&` and `~~` as
//!   characters; the `regex` crate reads them as a nested class and set operations.
//!
//! Everything else (`\p{Greek}`, `(?i)`, repetition, groups) is left as written: the
//! two agree there, or the `regex` crate refuses the pattern with its own message.

/// `\d`, `\s`, `\w` as RE2 defines them, for use inside a class.
fn perl_class(letter: char) -> Option<&'static str> {
    match letter.to_ascii_lowercase() {
        'd' => Some("0-9"),
        's' => Some("\\t\\n\\x0C\\r "),
        'w' => Some("0-9A-Za-z_"),
        _ => None,
    }
}

/// `pattern` (RE2's syntax) in the `regex` crate's syntax, matching the same text.
pub fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    // Whether inside `[...]` (a `[:name:]` inside does not nest).
    let mut in_class = false;
    // Whether the class just opened (a `]` or `^]` there is a character).
    let mut class_start = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c == '\\' {
            let Some(letter) = next else {
                out.push('\\');
                break;
            };
            i += 2;
            class_start = false;
            if letter == 'Q' {
                // A literal up to `\E` (or the end).
                let mut literal = String::new();
                while let Some(&q) = chars.get(i) {
                    if q == '\\' && chars.get(i + 1) == Some(&'E') {
                        i += 2;
                        break;
                    }
                    literal.push(q);
                    i += 1;
                }
                out.push_str(&regex::escape(&literal));
                continue;
            }
            match (perl_class(letter), in_class, letter.is_ascii_uppercase()) {
                (Some(set), false, false) => {
                    out.push('[');
                    out.push_str(set);
                    out.push(']');
                }
                (Some(set), _, true) => {
                    out.push_str("[^");
                    out.push_str(set);
                    out.push(']');
                }
                (Some(set), true, false) => out.push_str(set),
                (None, false, _) if letter == 'b' || letter == 'B' => {
                    out.push_str("(?-u:\\");
                    out.push(letter);
                    out.push(')');
                }
                _ => {
                    out.push('\\');
                    out.push(letter);
                }
            }
            continue;
        }
        if in_class {
            match c {
                ']' if !class_start => in_class = false,
                '[' if next == Some(':') => {
                    // `[:name:]`: copied whole.
                    if let Some(end) = (i + 2..chars.len().saturating_sub(1))
                        .find(|&j| chars[j] == ':' && chars.get(j + 1) == Some(&']'))
                    {
                        out.extend(&chars[i..end + 2]);
                        i = end + 2;
                        class_start = false;
                        continue;
                    }
                    out.push_str("\\[");
                    i += 1;
                    class_start = false;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                    i += 1;
                    class_start = false;
                    continue;
                }
                '^' if class_start => {
                    out.push(c);
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            class_start = false;
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            class_start = true;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    //! Every expectation below was also checked against RE2 itself (PyPI
    //! `google-re2` 1.1.20251105, `re2.search`): all 27 agree.

    use super::translate;

    fn matches(pattern: &str, text: &str) -> bool {
        let translated = translate(pattern);
        match regex::Regex::new(&translated) {
            Ok(re) => re.is_match(text),
            Err(e) => panic!("{pattern} -> {translated}: {e}"),
        }
    }

    #[test]
    fn perl_classes_are_ascii_as_in_re2() {
        // google/re2 doc/syntax.txt: \d == [0-9], \s == [\t\n\f\r ], \w == [0-9A-Za-z_].
        assert!(matches(r"^\d$", "7"));
        assert!(!matches(r"^\d$", "٣"), "an Arabic-Indic digit is not \\d");
        assert!(!matches(r"^\w$", "é"));
        assert!(matches(r"^\W$", "é"));
        assert!(
            !matches(r"^\s$", "\u{0B}"),
            "RE2's \\s leaves out the vertical tab"
        );
        assert!(!matches(r"^\s$", "\u{A0}"));
        assert!(matches(r"^\s$", "\u{0C}"));
        assert!(matches(r"^[\d.]+$", "3.14"));
        assert!(!matches(r"^[\d]$", "٣"));
        assert!(matches(r"^[\D]$", "x"));
        assert!(matches(r"^[^\s]+$", "ab"));
        assert!(matches(r"^[a\W]$", "é"));
        // \b is an ASCII word boundary: é is not a word character.
        assert!(matches(r"\bcaf", "écafé"));
        assert!(!matches(r"\Bcaf", "écafé"));
        // Unicode classes stay Unicode, in both.
        assert!(matches(r"^\p{Greek}$", "λ"));
        assert!(matches(r"(?i)^É$", "é"));
    }

    #[test]
    fn re2_literals_and_class_characters_read_as_in_re2() {
        assert!(matches(r"^\Qa.b*\E$", "a.b*"));
        assert!(!matches(r"^\Qa.b\E$", "axb"));
        // Without \E the quote runs to the end: `$` is a character too.
        assert!(matches(r"^\Q(unclosed$", "(unclosed$"));
        assert!(!matches(r"^\Q(unclosed$", "(unclosed"));
        assert!(matches(r"^[[]$", "["));
        assert!(matches(r"^[a&&b]+$", "a&b"));
        assert!(matches(r"^[~~x]+$", "~x"));
        assert!(matches(r"^[]a]+$", "]a"));
        assert!(matches(r"^[^]a]$", "b"));
        assert!(matches(r"^[[:alpha:]]+$", "ab"));
        assert!(!matches(r"^[[:alpha:]]$", "é"));
        assert_eq!(translate(r"a\.b(c)"), r"a\.b(c)");
    }
}
