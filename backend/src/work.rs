//! CPU- and memory-heavy work (Argon2id at 19 MiB a run, image decoding at up to 64 MiB)
//! runs on a few threads of its own, only so many at once: a flood of sign-ins or uploads
//! waits its turn for a bounded time and is then refused with [`Error::Busy`], instead of
//! taking all the memory and the threads that answer everything else.
//!
//! Dedicated threads, not tokio's blocking pool: the allocator keeps a freed 19 MiB block in
//! the arena of the thread that used it, so hashes spread over the dozens of threads of the
//! blocking pool leave hundreds of MiB behind (measured: 380-530 MiB after 500 sign-ins),
//! while a fixed few threads reuse their own blocks (`make bench`, figure 6).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};

use crate::Error;

type Job = Box<dyn FnOnce() + Send>;

pub struct Bounded {
    permits: Arc<Semaphore>,
    wait: Duration,
    jobs: Sender<Job>,
}

impl Bounded {
    /// `at_once` threads named `keyward-<name>-<n>`; they end when this is dropped.
    pub fn new(name: &str, at_once: usize, wait: Duration) -> Self {
        let at_once = at_once.max(1);
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..at_once {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("keyward-{name}-{n}"))
                .spawn(move || work(&queue));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a worker thread");
            }
        }
        Bounded {
            permits: Arc::new(Semaphore::new(at_once)),
            wait,
            jobs,
        }
    }

    /// Runs `f` on a worker once one is free (`Busy` after the wait).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Error::Busy)?
            .map_err(|_| Error::Busy)?;
        let (done, answer) = oneshot::channel();
        // The permit goes with the work, so a caller that gives up (a closed connection)
        // does not free it while the work still runs.
        let job: Job = Box::new(move || {
            let _permit = permit;
            let _ = done.send(f());
        });
        self.jobs
            .send(job)
            .map_err(|_| Error::Internal("the worker threads have stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("a worker thread failed".into()))
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return; // The pool was dropped.
        };
        // A panicking job loses its answer (the caller gets an internal error), not the
        // thread.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

/// The number of password hashes run at once by default: one per core.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    #[tokio::test]
    async fn runs_at_most_the_bound_and_refuses_after_the_wait() {
        let bounded = Arc::new(Bounded::new("test", 2, Duration::from_millis(100)));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(std::collections::HashSet::new()));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (bounded, running, peak) = (bounded.clone(), running.clone(), peak.clone());
            let threads = threads.clone();
            tasks.push(tokio::spawn(async move {
                bounded
                    .run(move || {
                        let now = running.fetch_add(1, SeqCst) + 1;
                        peak.fetch_max(now, SeqCst);
                        threads.lock().unwrap().insert(std::thread::current().id());
                        std::thread::sleep(Duration::from_millis(80));
                        running.fetch_sub(1, SeqCst);
                    })
                    .await
            }));
        }
        let mut busy = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), Err(Error::Busy)) {
                busy += 1;
            }
        }
        assert_eq!(peak.load(SeqCst), 2);
        // Two run at once for 80 ms each; a wait of 100 ms lets two more in, not six.
        assert!(busy >= 2, "{busy} refused");
        // Always the same two threads.
        assert_eq!(threads.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_panic_costs_one_answer_not_the_worker() {
        let bounded = Bounded::new("test", 1, Duration::from_secs(1));
        let r = bounded.run(|| panic!("boom")).await;
        assert!(matches!(r, Err(Error::Internal(_))), "{r:?}");
        assert_eq!(bounded.run(|| 7).await.unwrap(), 7);
    }
}
