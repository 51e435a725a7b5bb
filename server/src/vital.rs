//! Background work the server cannot go on without: SQLite's writer and its WAL copier, the
//! editions' refresh, the daily purge under 2.5, the ledger's checkpoints, the rate limiter's
//! upkeep.
//!
//! A request that panics is answered 500 and the others go on (`CatchPanicLayer`; the release
//! build unwinds). A background task that panics is different: the server would carry on
//! without it, taking writes that no one commits, or deeming acceptance of an edition that is
//! no longer current. So the process ends, as every panic did when release builds aborted, and
//! whatever supervises it starts it again whole. Nothing acknowledged is lost: a write is
//! answered only after the commit that holds it.

use std::future::Future;
use std::panic::AssertUnwindSafe;

/// Runs `task` on the runtime; if it panics, the process ends.
pub fn spawn<F>(task: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let running = tokio::spawn(task);
    tokio::spawn(async move {
        // A task cancelled because the runtime shuts down is no failure.
        if running.await.is_err_and(|ended| ended.is_panic()) {
            end_process();
        }
    });
}

/// Runs `work` on a thread of its own named `name`; if it panics, the process ends.
pub fn spawn_thread(name: &str, work: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if std::panic::catch_unwind(AssertUnwindSafe(work)).is_err() {
                end_process();
            }
        })?;
    Ok(())
}

fn end_process() -> ! {
    // The panic's own message is already on stderr, from the default hook.
    tracing::error!("background work panicked: the process ends, to be started again whole");
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;
    use std::time::Duration;

    const CHILD: &str = "VITAL_TEST_CHILD";
    const SIGABRT: i32 = 6;

    /// Runs this test binary again, running only `test` with `CHILD` set to `mode`.
    fn run_child(test: &str, mode: &str) -> std::process::ExitStatus {
        Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", test, "--test-threads=1"])
            .env(CHILD, mode)
            .output()
            .expect("the test binary runs")
            .status
    }

    /// In the child: starts background work as `mode` says and gives it time to fail.
    fn background_work_as_the_child(mode: &str) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            match mode {
                "task panics" => spawn(async { panic!("a background task fails") }),
                "thread panics" => {
                    spawn_thread("failing", || panic!("a background thread fails")).unwrap()
                }
                _ => spawn(async {}),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        });
    }

    #[test]
    fn background_work_that_panics_ends_the_process_and_work_that_ends_does_not() {
        let test = "vital::tests::background_work_that_panics_ends_the_process_and_work_that_ends_does_not";
        if let Ok(mode) = std::env::var(CHILD) {
            return background_work_as_the_child(&mode);
        }
        for mode in ["task panics", "thread panics"] {
            let status = run_child(test, mode);
            assert_eq!(status.signal(), Some(SIGABRT), "{mode}: {status}");
        }
        let status = run_child(test, "task ends");
        assert!(status.success(), "a task that ends: {status}");
    }
}
