//! Hostile and ordinary PoCs in the real sandbox: each ends inside its
//! limits and leaves the host untouched.

use std::path::Path;
use std::time::Duration;

use embargo_core::lab::Ending;
use embargo_lab::sandbox::{DEFAULT_SANDBOX_UID, Limits, Program, RunOutput, RunSpec, Sandbox};

use crate::fixture::{open_tempdir, sandbox};

async fn run_in(sandbox: &Sandbox, source: &Path, script: &str, limits: &Limits) -> RunOutput {
    let scratch = open_tempdir();
    let spec = RunSpec {
        program: Program::Script(script.as_bytes()),
        source,
        writable_source: false,
        network: false,
        limits,
        scratch: scratch.path(),
    };
    sandbox.run(&spec).await.unwrap()
}

async fn run(sandbox: &Sandbox, script: &str, limits: &Limits) -> RunOutput {
    let source = open_tempdir();
    run_in(sandbox, source.path(), script, limits).await
}

fn quick() -> Limits {
    Limits { time: Duration::from_secs(10), ..Limits::poc() }
}

fn text(out: &RunOutput) -> String {
    String::from_utf8_lossy(&out.output).into_owned()
}

/// Processes of the sandbox user still running on the host (a killed
/// sandbox's init may wait a moment as a zombie for the host's init to reap it).
fn leftovers() -> String {
    let out =
        std::process::Command::new("pgrep").args(["-a", "-u", &DEFAULT_SANDBOX_UID.to_string()]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.ends_with("<defunct>")).collect()
}

#[tokio::test]
async fn exit_codes_and_signals_come_back_as_they_ended() {
    let Some(sandbox) = sandbox().await else { return };
    assert_eq!(run(&sandbox, "#!/bin/sh\necho vulnerable\nexit 1\n", &quick()).await.ending, Ending::Exited(1));
    let fixed = run(&sandbox, "echo fixed; exit 0\n", &quick()).await;
    assert_eq!((fixed.ending, text(&fixed)), (Ending::Exited(0), "fixed\n".into()), "a script without #! runs in sh");
    assert_eq!(run(&sandbox, "#!/bin/sh\nexit 3\n", &quick()).await.ending, Ending::Exited(3));
    assert_eq!(run(&sandbox, "#!/bin/sh\nkill -9 $$\n", &quick()).await.ending, Ending::Signalled(9));
    let python = run(
        &sandbox,
        "#!/usr/bin/env python3\nimport sys, os\nprint(os.getcwd() == os.environ['EMBARGO_LAB_SOURCE'])\nsys.exit(1)\n",
        &quick(),
    )
    .await;
    assert_eq!((python.ending, text(&python)), (Ending::Exited(1), "True\n".into()));
}

#[tokio::test]
async fn a_hanging_poc_is_killed_at_the_time_limit() {
    let Some(sandbox) = sandbox().await else { return };
    let limits = Limits { time: Duration::from_secs(2), ..Limits::poc() };
    let out = run(&sandbox, "#!/bin/sh\nsleep 600 &\nsleep 600\n", &limits).await;
    assert_eq!(out.ending, Ending::TimedOut { seconds: 2 });
    assert!(out.elapsed < Duration::from_secs(4), "{:?}", out.elapsed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(leftovers(), "", "nothing of the sandbox survives it");
}

#[tokio::test]
async fn memory_beyond_the_limit_is_refused() {
    let Some(sandbox) = sandbox().await else { return };
    let limits = Limits { memory_bytes: 256 * 1024 * 1024, ..quick() };
    let script = "#!/usr/bin/env python3\nimport sys\ntry:\n    b = bytearray(1 << 30)\n    print('allocated')\n    sys.exit(1)\nexcept MemoryError:\n    print('refused')\n    sys.exit(3)\n";
    let out = run(&sandbox, script, &limits).await;
    assert_eq!((out.ending, text(&out)), (Ending::Exited(3), "refused\n".into()));
}

#[tokio::test]
async fn a_fork_bomb_hits_the_process_limit_and_dies_with_the_sandbox() {
    let Some(sandbox) = sandbox().await else { return };
    let limits = Limits { processes: 32, time: Duration::from_secs(4), ..Limits::poc() };
    // Counts how many children it could start: the limit stops it well below 500.
    let counting = "#!/usr/bin/env python3\nimport os, sys, time\nn = 0\ntry:\n    for _ in range(500):\n        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint(n)\nsys.exit(0)\n";
    let out = run(&sandbox, counting, &limits).await;
    assert_eq!(out.ending, Ending::Exited(0), "{}", text(&out));
    let started: u32 = text(&out).trim().parse().unwrap();
    assert!(started < 32, "started {started} children under a limit of 32");
    // The classic one: forks fail at the limit, and the time limit ends whatever is left.
    let out = run(&sandbox, "#!/bin/bash\nbomb() { bomb | bomb & }\nbomb\nwait\n", &limits).await;
    assert!(out.elapsed < Duration::from_secs(7), "{:?}", out.elapsed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(leftovers(), "", "nothing of the sandbox survives it");
    assert!(std::process::Command::new("true").status().unwrap().success(), "the host can still start processes");
}

#[tokio::test]
async fn writes_outside_the_private_tmpfs_fail_and_embargo_data_is_out_of_sight() {
    let Some(sandbox) = sandbox().await else { return };
    // Embargo's data directory and secret, readable by everyone on the host.
    let data = open_tempdir();
    let secret = data.path().join("secret.key");
    std::fs::write(&secret, "SECRET-MARKER").unwrap();
    let source = open_tempdir();
    std::fs::write(source.path().join("code.py"), "x = 1\n").unwrap();
    let script = format!(
        "#!/bin/sh\nfailed=0\n\
         for target in \"$EMBARGO_LAB_SOURCE/evil\" \"$EMBARGO_LAB_SOURCE/code.py\" /usr/evil /etc/evil /evil /lab/evil {data}/evil; do\n\
           if (echo pwned > \"$target\") 2>/dev/null; then echo \"wrote $target\"; failed=1; fi\n\
         done\n\
         if cat {secret} 2>/dev/null; then echo 'read the secret'; failed=1; fi\n\
         if ls /work /root /home 2>/dev/null | grep -q .; then echo 'saw host directories'; failed=1; fi\n\
         echo ok > /tmp/fine || {{ echo 'tmp not writable'; failed=1; }}\n\
         if head -c 64000000 /dev/zero > /tmp/big 2>/dev/null; then echo 'tmpfs unbounded'; failed=1; fi\n\
         exit $failed\n",
        data = data.path().display(),
        secret = secret.display(),
    );
    let out = run_in(&sandbox, source.path(), &script, &quick()).await;
    assert_eq!(out.ending, Ending::Exited(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(source.path().join("code.py")).unwrap(), "x = 1\n");
    assert!(!source.path().join("evil").exists() && !data.path().join("evil").exists());
    assert!(!Path::new("/evil").exists() && !Path::new("/usr/evil").exists() && !Path::new("/etc/evil").exists());
}

#[tokio::test]
async fn the_network_is_out_of_reach() {
    let Some(sandbox) = sandbox().await else { return };
    // A port on the host that answers: reachable from here, not from the sandbox.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!(
        "#!/usr/bin/env python3\nimport socket, sys\nreached = []\n\
         for host, port in [('127.0.0.1', {port}), ('1.1.1.1', 53), ('example.org', 80)]:\n\
         \x20   try:\n\
         \x20       socket.create_connection((host, port), timeout=2).close()\n\
         \x20       reached.append(host)\n\
         \x20   except OSError:\n\
         \x20       pass\n\
         print(reached)\nsys.exit(1 if reached else 0)\n"
    );
    std::net::TcpStream::connect(("127.0.0.1", port)).expect("the control connection from the host works");
    let out = run(&sandbox, &script, &quick()).await;
    assert_eq!((out.ending, text(&out)), (Ending::Exited(0), "[]\n".into()));
}

#[tokio::test]
async fn output_is_kept_up_to_its_bound() {
    let Some(sandbox) = sandbox().await else { return };
    let limits = Limits { output_bytes: 1000, ..quick() };
    let out = run(&sandbox, "#!/bin/sh\nhead -c 5000000 /dev/zero | tr '\\0' x\necho err >&2\nexit 1\n", &limits).await;
    assert_eq!(out.ending, Ending::Exited(1));
    assert_eq!(out.output.len(), 1000);
    assert!(out.truncated);
    assert!(out.output.iter().all(|b| *b == b'x'));
}
