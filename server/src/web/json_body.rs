//! Large JSON answers (the heat map: 80,000 rows, 26 MB) serialised into pieces of 64 KiB
//! instead of one buffer, and sent with their total length (`Content-Length`, as a whole
//! buffer would be).
//!
//! Why: one 26 MB `Vec` grows by doubling to 32 MiB, which glibc serves from fresh `mmap`
//! pages unless the thread's own malloc arena happens to hold that much free memory, and
//! actix then copies the whole body into its write buffer. Requests run on whichever thread
//! of the blocking pool is free, so every other request paid some 6,000-17,000 page faults
//! (BENCHMARKS.md, "Heat-map API"). Pieces of 64 KiB come from the arena and are reused, and
//! actix writes them one by one.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use serde::Serialize;

/// The size of each piece.
const PIECE: usize = 64 * 1024;

/// A JSON document in pieces, as a response body of known length.
pub struct JsonBody {
    pieces: VecDeque<Bytes>,
    len: u64,
}

impl JsonBody {
    /// `value` as JSON, exactly as `serde_json::to_vec` writes it.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<JsonBody> {
        let mut w = Pieces {
            done: VecDeque::new(),
            current: Vec::with_capacity(PIECE),
            len: 0,
        };
        serde_json::to_writer(&mut w, value)?;
        let mut pieces = w.done;
        if !w.current.is_empty() {
            pieces.push_back(Bytes::from(w.current));
        }
        Ok(JsonBody { pieces, len: w.len })
    }
}

impl MessageBody for JsonBody {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.len)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Infallible>>> {
        Poll::Ready(self.get_mut().pieces.pop_front().map(Ok))
    }
}

struct Pieces {
    done: VecDeque<Bytes>,
    current: Vec<u8>,
    len: u64,
}

impl Pieces {
    /// Ends the current piece (if it holds anything) and starts one with room for `next`.
    #[cold]
    fn cut(&mut self, next: usize) {
        let piece = std::mem::replace(&mut self.current, Vec::with_capacity(PIECE.max(next)));
        if !piece.is_empty() {
            self.done.push_back(Bytes::from(piece));
        }
    }
}

impl io::Write for Pieces {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    /// What serde_json calls, a few bytes at a time: an append to the current piece, which
    /// never grows past its capacity (a piece is at most 64 KiB, or one longer write).
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.current.capacity() - self.current.len() < buf.len() {
            self.cut(buf.len());
        }
        self.current.extend_from_slice(buf);
        self.len += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn whole(body: JsonBody) -> (u64, Vec<usize>, Vec<u8>) {
        let sizes = body.pieces.iter().map(Bytes::len).collect();
        let bytes = body.pieces.iter().flat_map(|p| p.iter().copied()).collect();
        (body.len, sizes, bytes)
    }

    #[test]
    fn pieces_hold_exactly_what_serde_json_writes() {
        let rows: Vec<(String, f64, Option<bool>)> = (0..20_000)
            .map(|i| (format!("unit \"{i}\" é"), f64::from(i) / 7.0, None))
            .collect();
        let expected = serde_json::to_vec(&rows).unwrap();
        let (len, sizes, bytes) = whole(JsonBody::of(&rows).unwrap());
        assert_eq!(bytes, expected);
        assert_eq!(len, expected.len() as u64);
        assert!(sizes.len() > 3);
        assert!(sizes.iter().all(|&s| s <= PIECE));
        assert!(sizes[..sizes.len() - 1].iter().all(|&s| s > PIECE - 100));
        assert!(matches!(
            JsonBody::of(&rows).unwrap().size(),
            BodySize::Sized(n) if n == expected.len() as u64
        ));
    }

    #[test]
    fn a_small_document_is_one_piece() {
        let (len, sizes, bytes) = whole(JsonBody::of(&serde_json::json!({"a": [1, 2]})).unwrap());
        assert_eq!(bytes, br#"{"a":[1,2]}"#);
        assert_eq!((len, sizes), (11, vec![11]));
    }

    #[test]
    fn a_string_longer_than_a_piece_is_one_piece_of_its_own() {
        let long = "x".repeat(3 * PIECE);
        let value = ("a", long.as_str(), "b");
        let (len, sizes, bytes) = whole(JsonBody::of(&value).unwrap());
        assert_eq!(bytes, serde_json::to_vec(&value).unwrap());
        assert_eq!(len, bytes.len() as u64);
        assert!(sizes.contains(&(3 * PIECE)));
    }
}
