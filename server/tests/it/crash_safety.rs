//! Crash safety (issue 7): `worklife serve` is killed with SIGKILL in the middle of a
//! submission load and restarted on the same database, and the load carries on. Afterwards
//! every submission that got a success answer is stored exactly once, a success token used
//! again answers 410, and a submission whose answer was lost in the crash is either stored
//! (its retry answers 410) or not (its retry stores it): never twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use worklife_tests::ops_common::{client, count, pulse_items, submission, submit, wave_of, Served};
use worklife_tests::{backends, Backend};

const PEOPLE: usize = 300;
const THREADS: usize = 8;
/// The server is killed once this many submissions got their success answer.
const KILL_AFTER: usize = 100;

#[derive(Default)]
struct Outcomes {
    /// 201 on the first try.
    stored: BTreeSet<String>,
    /// No answer (connection refused or cut by the kill): stored or not, unknown.
    unanswered: BTreeSet<String>,
    /// Anything else: a failure of the test.
    other: Vec<u16>,
}

fn crash_under_load(backend: Backend) {
    let ws = worklife_tests::Workspace::new(backend);
    let tokens = wave_of(&ws, PEOPLE);
    let items = Arc::new(pulse_items());
    let first = Served::start(&ws);
    let address = Arc::new(RwLock::new(first.address.clone()));
    let queue = Arc::new(Mutex::new(tokens.clone()));
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let successes = Arc::new(AtomicUsize::new(0));

    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (address, queue, outcomes, successes, items) = (
                address.clone(),
                queue.clone(),
                outcomes.clone(),
                successes.clone(),
                items.clone(),
            );
            std::thread::spawn(move || {
                let agent = client();
                loop {
                    let Some(token) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let to = address.read().unwrap().clone();
                    let result = submit(&agent, &to, &submission(&token, &items));
                    let mut o = outcomes.lock().unwrap();
                    match result {
                        Ok(201) => {
                            o.stored.insert(token);
                            successes.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(status) => o.other.push(status),
                        Err(_) => {
                            o.unanswered.insert(token);
                            drop(o);
                            // The server is down: don't burn the whole queue while it is.
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
            })
        })
        .collect();

    while successes.load(Ordering::SeqCst) < KILL_AFTER {
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut first = first;
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let at_kill = successes.load(Ordering::SeqCst);
    let second = Served::start(&ws);
    *address.write().unwrap() = second.address.clone();
    for w in workers {
        w.join().unwrap();
    }

    let outcomes = Arc::try_unwrap(outcomes)
        .ok()
        .unwrap()
        .into_inner()
        .unwrap();
    assert!(
        outcomes.other.is_empty(),
        "{backend:?}: unexpected answers {:?}",
        outcomes.other
    );
    assert_eq!(
        outcomes.stored.len() + outcomes.unanswered.len(),
        PEOPLE,
        "{backend:?}"
    );
    assert!(
        outcomes.stored.len() > at_kill,
        "{backend:?}: no submission succeeded after the restart"
    );

    // Every success is stored once: the same token again is "already used".
    let agent = client();
    for token in &outcomes.stored {
        assert_eq!(
            submit(&agent, &second.address, &submission(token, &items)).unwrap(),
            410,
            "{backend:?}: a success token was accepted twice"
        );
    }
    // An unanswered submission was stored (410 now) or not (stored now).
    let mut lost_answers = 0;
    for token in &outcomes.unanswered {
        match submit(&agent, &second.address, &submission(token, &items)).unwrap() {
            410 => lost_answers += 1,
            201 => {}
            status => panic!("{backend:?}: retry answered {status}"),
        }
    }
    eprintln!(
        "{backend:?}: {} stored with a success answer ({at_kill} before the kill), {} \
         unanswered, of which {lost_answers} had been stored before the answer was lost",
        outcomes.stored.len(),
        outcomes.unanswered.len()
    );

    // Every person answered exactly once: one response, one full set of answers each.
    let people = i64::try_from(PEOPLE).unwrap();
    assert_eq!(count(&ws, "responses", ""), people, "{backend:?}");
    assert_eq!(
        count(&ws, "answers", ""),
        people * i64::try_from(items.len()).unwrap(),
        "{backend:?}"
    );
    assert_eq!(
        count(&ws, "invitations", "WHERE responded = TRUE"),
        people,
        "{backend:?}"
    );
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_submission_and_stores_none_twice() {
    for backend in backends() {
        crash_under_load(backend);
    }
}
