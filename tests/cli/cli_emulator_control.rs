//! `livestream emulator <control>`: the controls of a running emulator from a shell, through
//! the typed admin client (issue 12, item 3).

use crate::cli_support::*;
use livestream_grpc::Method;
use livestream_grpc::emulator::LroTiming;

/// The binary controlling `emu` through LIVESTREAM_EMULATOR_HOST, as a script would.
fn control(emu: &livestream_grpc::emulator::RunningEmulator, args: &str) -> Run {
    let mut cmd = bare();
    cmd.env("LIVESTREAM_EMULATOR_HOST", emu.address().to_string());
    cmd.arg("emulator").args(args.split_whitespace());
    finish(cmd)
}

fn control_ok(emu: &livestream_grpc::emulator::RunningEmulator, args: &str) -> String {
    let run = control(emu, args);
    assert_eq!(run.code, 0, "livestream emulator {args}: {run:#?}");
    run.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_drives_a_running_emulator() {
    let emu = start().await;
    let input = format!("projects/{PROJECT}/locations/{LOCATION}/inputs/ctl-ch-in");
    let channel = format!("projects/{PROJECT}/locations/{LOCATION}/channels/ctl-ch");

    // Manual operations: a create waits until the script completes it.
    control_ok(&emu, "lro-timing manual");
    assert!(matches!(emu.config().lro_timing, LroTiming::Manual));
    let started = run(&emu, "inputs create ctl-ch-in --async");
    assert_eq!(started.code, 0, "{started:#?}");
    let completed = control_ok(&emu, "complete-operation --all");
    assert_eq!(completed.lines().count(), 1, "{completed}");
    let name = completed.trim();
    // Completing it again: a conflict, exit 4.
    let again = control(&emu, &format!("complete-operation {name}"));
    assert_eq!(again.code, 4, "{again:#?}");
    assert!(again.stderr.contains("FAILED_PRECONDITION"), "{again:#?}");
    control_ok(&emu, "lro-timing 0ms");

    // The simulated encoder.
    ok(
        &emu,
        "channels create ctl-ch --input ctl-ch-in --output-uri gs://my-bucket/live --retention 1h",
    );
    ok(&emu, "channels start ctl-ch");
    control_ok(
        &emu,
        &format!("connect-input {input} --width 1280 --height 720"),
    );
    let described = json(&emu, "channels describe ctl-ch");
    assert_eq!(described["streamingState"], "STREAMING", "{described}");
    control_ok(&emu, &format!("fail {channel} --message boom"));
    control_ok(&emu, &format!("recover-channel {channel}"));
    control_ok(&emu, &format!("disconnect-input {input}"));
    let missing = control(&emu, "connect-input projects/p/locations/l/inputs/nope");
    assert_eq!(missing.code, 3, "{missing:#?}");

    // The clock.
    let before = control_ok(&emu, "now");
    let after = control_ok(&emu, "advance-clock 1h");
    assert!(after.trim() > before.trim(), "{before} {after}");

    // Faults and counts.
    control_ok(&emu, "inject-faults GetChannel UNAVAILABLE OK");
    let failed = run(&emu, "channels describe ctl-ch");
    assert_eq!(
        failed.code, 0,
        "the CLI's retries absorb one UNAVAILABLE: {failed:#?}"
    );
    let count = control_ok(&emu, "call-counts GetChannel");
    assert_eq!(
        count.trim().parse::<u64>().unwrap(),
        emu.call_count(Method::GetChannel)
    );
    let all = control_ok(&emu, "call-counts");
    assert!(all.lines().any(|l| l.starts_with("CreateInput ")), "{all}");
    control_ok(&emu, "set-latency GetChannel 1ms");
    control_ok(&emu, "clear-faults GetChannel");
    control_ok(&emu, "clear-faults");
    let typo = control(&emu, "inject-faults GetChanel UNAVAILABLE");
    assert_eq!(typo.code, 2, "{typo:#?}");
    assert!(
        typo.stderr.contains("GetChannel"),
        "suggests the name: {typo:#?}"
    );
    let bad_code = control(&emu, "inject-faults GetChannel SOMETIMES");
    assert_eq!(bad_code.code, 2, "{bad_code:#?}");

    // Reset.
    control_ok(&emu, "reset");
    assert_eq!(emu.call_count(Method::GetChannel), 0);
    emu.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_without_an_emulator_says_so() {
    let mut cmd = bare();
    cmd.args(["emulator", "reset"]);
    let run = finish(cmd);
    assert_eq!(
        run.code, 2,
        "no LIVESTREAM_EMULATOR_HOST: a usage error: {run:#?}"
    );
    assert!(run.stderr.contains("--emulator-host"), "{run:#?}");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut cmd = bare();
    cmd.args(["emulator", "reset", "--emulator-host", &addr.to_string()]);
    let run = finish(cmd);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(run.stderr.contains(&addr.to_string()), "{run:#?}");
}
