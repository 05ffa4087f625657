//! CPU- and memory-heavy work (Argon2id at 19 MiB a run, image decoding at up to 64 MiB)
//! runs on the blocking pool, but only so many at once: a flood of sign-ins or uploads
//! waits its turn for a bounded time and is then refused with [`Error::Busy`], instead of
//! taking all the memory and the threads that answer everything else.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::Error;

pub struct Bounded {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl Bounded {
    pub fn new(at_once: usize, wait: Duration) -> Self {
        Bounded {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
            wait,
        }
    }

    /// Runs `f` on the blocking pool once a permit is free (`Busy` after the wait).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Error::Busy)?
            .map_err(|_| Error::Busy)?;
        // The permit goes with the work, so a caller that gives up (a closed connection)
        // does not free it while the work still runs.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| Error::Internal(format!("blocking task failed: {e}")))
    }
}

/// The number of password hashes run at once by default: one per core.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_at_most_the_bound_and_refuses_after_the_wait() {
        let bounded = Arc::new(Bounded::new(2, Duration::from_millis(100)));
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (bounded, running, peak) = (bounded.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                bounded
                    .run(move || {
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = running.fetch_add(1, SeqCst) + 1;
                        peak.fetch_max(now, SeqCst);
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
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 2);
        // Two run at once for 80 ms each; a wait of 100 ms lets two more in, not six.
        assert!(busy >= 2, "{busy} refused");
    }
}
