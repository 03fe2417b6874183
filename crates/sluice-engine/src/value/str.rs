//! STRING text: inline up to 22 bytes, shared beyond, so a `Value` stays 24 bytes.

use super::*;

/// How many bytes of text a [`Str`] holds inline.
const INLINE: usize = 22;

/// A STRING value's text. Up to 22 bytes (statuses, codes, timestamps as text) it is
/// held inline: nothing to allocate, nothing shared to count when it is copied or
/// dropped. Longer text is shared. Either way a [`Value`] stays 24 bytes.
#[derive(Clone)]
pub struct Str(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl Str {
    /// The text `s`.
    pub fn new(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Self(Repr::Inline {
                len: s.len() as u8,
                bytes,
            })
        } else {
            Self(Repr::Shared(Arc::from(s)))
        }
    }

    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Always whole UTF-8: it was copied from a `str`.
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or_default()
            }
            Repr::Shared(s) => s,
        }
    }

    /// The text's bytes (without checking them again).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..*len as usize],
            Repr::Shared(s) => s.as_bytes(),
        }
    }
}

impl std::ops::Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Self::new(&s)
    }
}

impl PartialEq for Str {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Str {}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str {
    /// UTF-8 bytes sort as their characters do.
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl std::fmt::Debug for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl std::fmt::Display for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_inline_up_to_22_bytes_and_shared_beyond_and_behaves_the_same() {
        let texts = [
            "",
            "Open",
            "2024-03-01T12:34:56Z",
            "abcdefghijklmnopqrstuv",
            "abcdefghijklmnopqrstuvw",
            "ünïcödé ünïcödé ünï",
            "ünïcödé ünïcödé ünïcödé",
            "a much longer piece of text than any inline one",
        ];
        for t in texts {
            let s = Str::new(t);
            assert_eq!(matches!(s.0, Repr::Inline { .. }), t.len() <= INLINE, "{t}");
            assert_eq!(s.as_str(), t);
            assert_eq!(&*s.clone(), t);
            assert_eq!(s.to_string(), t);
            assert_eq!(format!("{s:?}"), format!("{t:?}"));
            assert_eq!(Value::string(t).to_string(), t);
            for u in texts {
                let v = Str::new(u);
                assert_eq!(s == v, t == u, "{t} = {u}");
                assert_eq!(s.cmp(&v), t.cmp(u), "{t} <> {u}");
                assert_eq!(
                    compare(&Value::string(t), &Value::string(u)),
                    Some(t.cmp(u))
                );
            }
        }
        assert_eq!(std::mem::size_of::<Value>(), 24);
        let groups: std::collections::HashSet<Key> = texts
            .iter()
            .chain(&texts)
            .map(|t| Key::new(vec![Value::string(t)]))
            .collect();
        assert_eq!(groups.len(), texts.len());
    }
}
