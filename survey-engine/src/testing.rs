//! A small seeded generator for the property tests and benchmarks: the same seed gives the
//! same organisations on every machine, with no random-number crate in the engine.

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n` (0 when `n` is 0).
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// The text with double-quoted parts (echoed input) removed: what a message says in its own
/// words. For the fuzz tests of every parser.
pub fn unquoted(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in text.chars() {
        if c == '"' {
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// Whether a message shows Rust's `{:?}` of a value instead of words, and which sign gave it
/// away.
pub fn debug_dump(text: &str) -> Option<&'static str> {
    let text = unquoted(text);
    for marker in [
        "Some(", "None,", "Error {", "Err(", "Ok(", "Kind(", "Span {",
    ] {
        if text.contains(marker) {
            return Some(marker);
        }
    }
    // `Name { field: ` struct syntax.
    let bytes = text.as_bytes();
    for (i, w) in bytes.windows(3).enumerate() {
        if w == b" { " && i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
            let rest = bytes.get(i + 3..).unwrap_or_default();
            let ident = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if ident > 0 && rest.get(ident..).is_some_and(|r| r.starts_with(b": ")) {
                return Some("struct syntax");
            }
        }
    }
    None
}
