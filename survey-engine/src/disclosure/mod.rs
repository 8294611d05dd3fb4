//! Disclosure control (placeholder, being written).
