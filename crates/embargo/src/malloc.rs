//! glibc's allocator settings for `embargo serve` (issue 15, item 7).
//!
//! glibc keeps memory a program freed: one arena per thread (up to eight per
//! core), and a threshold for returning large blocks that rises each time one
//! is freed (so the password hashes' 19 MiB blocks stay in the heap after the
//! first sign-in). Measured on `serve --demo`: 60 MiB of anonymous memory
//! with glibc's defaults, 21 MiB with two arenas and a fixed threshold.
//! glibc reads these settings from the environment only when a process
//! starts, so `serve` starts itself once more with them set, unless the
//! operator set either variable (then theirs are used as they are).
//!
//! Two arenas were too few under load: the request tasks' threads (one per
//! core) and the SQLite writer's thread allocate at once, and each waited
//! for another's arena lock (a tenth of the request threads' time in `futex`
//! calls, profiled under intake). One arena per core and two more (the
//! writer's, and one for the rest) took durable intake from 1,740–1,945 to
//! 2,390–2,650 reports/s on two cores, with the same memory after it
//! (38 MiB); past that, more arenas changed nothing (issue 15).

use std::ffi::OsString;

/// At most this many malloc arenas: one per core for the request tasks'
/// threads, one for the SQLite writer's and one for the rest.
fn arena_max() -> String {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    (cores + 2).to_string()
}

/// Blocks of this many bytes or more are mapped and unmapped on their own.
const MMAP_THRESHOLD: &str = "131072";

/// Restarts the process with glibc's settings when `serve` runs without
/// them; answers only when no restart happened (not glibc, already set, or
/// the restart failed, which is harmless).
pub fn tune(args: &[OsString]) {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return;
    }
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() || std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    use std::os::unix::process::CommandExt;
    let error = std::process::Command::new(exe)
        .args(args.iter().skip(1))
        .env("MALLOC_ARENA_MAX", arena_max())
        .env("MALLOC_MMAP_THRESHOLD_", MMAP_THRESHOLD)
        .exec();
    tracing::debug!(%error, "could not restart with the allocator settings; running with glibc's defaults");
}
