//! A value read again after a while: the identity provider's discovery, the roster's names.
//! Shared by clones; a failed read is not kept, so the next caller tries again.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When the value was read, and the value.
type Slot<T> = Option<(Instant, Arc<T>)>;

pub struct Timed<T> {
    slot: Arc<Mutex<Slot<T>>>,
    ttl: Duration,
}

impl<T> Clone for Timed<T> {
    fn clone(&self) -> Self {
        Timed {
            slot: self.slot.clone(),
            ttl: self.ttl,
        }
    }
}

impl<T> Timed<T> {
    pub fn new(ttl: Duration) -> Timed<T> {
        Timed {
            slot: Arc::new(Mutex::new(None)),
            ttl,
        }
    }

    /// The value, read with `read` when there is none or it is older than the TTL.
    pub fn get<E>(&self, read: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E> {
        if let Some((at, value)) = self.slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(value.clone());
            }
        }
        let value = Arc::new(read()?);
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_read_once_within_its_time_and_again_after_it_or_a_failure() {
        let t: Timed<u32> = Timed::new(Duration::from_secs(60));
        let mut reads = 0;
        let mut read = |v: u32| {
            reads += 1;
            Ok::<_, ()>(v)
        };
        assert_eq!(*t.get(|| read(1)).unwrap(), 1);
        assert_eq!(*t.get(|| read(2)).unwrap(), 1, "kept within the TTL");
        assert_eq!(t.clone().get(|| Err::<u32, _>("x")).map(|v| *v), Ok(1));
        assert_eq!(reads, 1);
        // With no time to live, every get reads again; a failure is not kept.
        let expired: Timed<u32> = Timed::new(Duration::ZERO);
        assert_eq!(*expired.get(|| Ok::<_, ()>(1)).unwrap(), 1);
        assert_eq!(expired.get(|| Err::<u32, _>("down")), Err("down"));
        assert_eq!(*expired.get(|| Ok::<_, ()>(3)).unwrap(), 3);
    }
}
