//! How the server writes for people, in pages and emails alike: unit paths as words, and
//! values inside addresses.

/// Percent-encodes a query or path value (everything but RFC 3986's unreserved characters).
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A unit path for people: `Northwind/Sales` reads `Northwind › Sales`.
pub fn unit_label(path: &str) -> String {
    path.split('/').collect::<Vec<_>>().join(" › ")
}
