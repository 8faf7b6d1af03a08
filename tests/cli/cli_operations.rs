//! Long-running operations from the command line: `--async`, `operations list | describe |
//! wait | cancel`, and Ctrl-C while waiting (the operation keeps running). The emulator's
//! manual LRO timing makes every operation wait until the test completes it.
#![cfg(all(feature = "cli", unix))]

use crate::cli_support::*;
use livestream_grpc::Method;
use livestream_grpc::emulator::{FaultScript, LroTiming};

/// The operation name `--async` printed.
fn operation_name(stdout: &str) -> String {
    let name = stdout.trim().to_owned();
    assert!(
        name.starts_with(&format!("{LOC}/operations/")),
        "not an operation name: {stdout:?}"
    );
    name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_then_list_describe_and_wait() {
    let emu = start().await;
    emu.set_lro_timing(LroTiming::Manual);
    let started = run(&emu, "inputs create in --async");
    assert_eq!(started.code, 0, "{started:#?}");
    let name = operation_name(&started.stdout);
    assert!(
        started
            .stderr
            .contains(&format!("livestream operations wait {name}")),
        "{started:#?}"
    );
    let table = ok(&emu, "operations list");
    let row = table.lines().nth(1).unwrap_or_default();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>()[1..4],
        ["create", &format!("{LOC}/inputs/in"), "RUNNING"],
        "{table}"
    );
    let running = json(&emu, format!("operations describe {name}"));
    assert!(running.get("done").is_none(), "{running}");
    assert_eq!(running["metadata"]["verb"], "create");
    // operations list --order-by is not a thing.
    fails(&emu, "operations list --order-by name", 2);

    // Wait in the background; complete the operation once the CLI is waiting.
    let mut waiting = spawn(&emu, format!("operations wait {name}"));
    waiting.wait_for_stderr("waiting for operation");
    emu.complete_operation(&name).expect("still pending");
    let done = waiting.finish();
    assert_eq!(done.code, 0, "{done:#?}");
    assert!(
        done.stdout.contains("type: RTMP_PUSH\n"),
        "the input: {done:#?}"
    );
    let described = json(&emu, format!("operations describe {name}"));
    assert_eq!(described["done"], true);
    assert_eq!(
        described["response"]["@type"],
        "type.googleapis.com/google.cloud.video.livestream.v1.Input"
    );
    // A done operation: wait returns at once. By ID too.
    let id = name.rsplit('/').next().unwrap();
    assert!(ok(&emu, &["operations", "wait", id]).contains("tier: HD"));
    fails(&emu, "operations wait operation-nope", 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_polls_through_unavailable_and_stops_at_a_permanent_failure() {
    let emu = start().await;
    emu.set_lro_timing(LroTiming::Manual);
    let name = operation_name(&ok(&emu, "inputs create in --async"));
    // The first two polls fail; the operation is done before the third (at about 1.9 s:
    // at once for a resumed operation, then 750 ms and 1.125 s).
    emu.inject_faults(
        Method::GetOperation,
        FaultScript::codes([tonic::Code::Unavailable; 2]),
    );
    let before = emu.call_count(Method::GetOperation);
    let mut waiting = spawn(&emu, format!("operations wait {name}"));
    waiting.wait_for_stderr("waiting for operation");
    emu.complete_operation(&name).expect("still pending");
    let done = waiting.finish();
    assert_eq!(done.code, 0, "{done:#?}");
    assert!(done.stdout.contains("type: RTMP_PUSH\n"), "{done:#?}");
    assert_eq!(emu.call_count(Method::GetOperation) - before, 3);

    // A permanent failure ends the wait at once, saying how to resume.
    let name = operation_name(&ok(&emu, "inputs create in2 --async"));
    emu.inject_faults(
        Method::GetOperation,
        FaultScript::codes([tonic::Code::PermissionDenied]),
    );
    let failed = run(&emu, format!("operations wait {name}"));
    assert_eq!(failed.code, 1, "{failed:#?}");
    assert!(
        failed.stderr.contains("Could not poll operation")
            && failed.stderr.contains("PERMISSION_DENIED"),
        "{failed:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_operations_fail_the_wait() {
    let emu = start().await;
    emu.set_lro_timing(LroTiming::Manual);
    let name = operation_name(&ok(
        &emu,
        "assets create a --image-uri gs://my-bucket/a.png --async",
    ));
    let cancelled = run(&emu, format!("operations cancel {name}"));
    assert_eq!(cancelled.code, 0, "{cancelled:#?}");
    assert!(
        cancelled.stderr.contains("Requested cancellation"),
        "{cancelled:#?}"
    );
    let wait = run(&emu, format!("operations wait {name}"));
    assert_eq!(wait.code, 1, "{wait:#?}");
    assert!(wait.stderr.contains("CANCELLED"), "{wait:#?}");
    let table = ok(&emu, "operations list");
    assert!(table.contains("CANCELLED"), "{table}");
    // The cancelled create was rolled back.
    fails(&emu, "assets describe a", 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_leaves_the_operation_running() {
    let emu = start().await;
    ok(&emu, "inputs create in");
    emu.set_lro_timing(LroTiming::Manual);
    let mut creating = spawn(
        &emu,
        "channels create ch --input in --output-uri gs://my-bucket/live",
    );
    creating.wait_for_stderr("waiting for operation");
    creating.interrupt();
    let interrupted = creating.finish();
    assert_eq!(interrupted.code, 130, "{interrupted:#?}");
    let hint = interrupted
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("Resume waiting with: livestream operations wait "))
        .unwrap_or_else(|| panic!("no resume hint: {interrupted:#?}"))
        .to_owned();
    assert!(
        interrupted.stderr.contains("was not cancelled"),
        "{interrupted:#?}"
    );
    assert_eq!(emu.call_count(Method::CancelOperation), 0);
    // Still running: the emulator can complete it now, and the hint's command then works.
    emu.complete_operation(&hint)
        .expect("the operation was still pending");
    let resumed = ok(&emu, format!("operations wait {hint}"));
    assert!(
        resumed.contains("streamingState: STOPPED\n"),
        "the channel: {resumed}"
    );

    // The same for a channel start, which shows the streaming state while waiting.
    let mut starting = spawn(&emu, "channels start ch");
    starting.wait_for_stderr("Starting channel ch: waiting for operation");
    starting.interrupt();
    let interrupted = starting.finish();
    assert_eq!(interrupted.code, 130, "{interrupted:#?}");
    assert_eq!(emu.complete_all_operations().len(), 1);
    let channel = json(&emu, "channels describe ch");
    assert_eq!(channel["streamingState"], "AWAITING_INPUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locations_list_and_describe() {
    let emu = start().await;
    let table = ok(&emu, "locations list");
    assert!(table.starts_with("LOCATION_ID"), "{table}");
    assert!(
        table.lines().any(|l| l.starts_with("us-central1 ")),
        "{table}"
    );
    let limited = json(&emu, "locations list --limit 2");
    assert_eq!(limited.as_array().map(Vec::len), Some(2));
    let here = json(&emu, "locations describe");
    assert_eq!(here["locationId"], LOCATION);
    let there = json(&emu, "locations describe europe-west1");
    assert_eq!(
        there["name"],
        format!("projects/{PROJECT}/locations/europe-west1")
    );
    fails(&emu, "locations describe mars-north1", 3);
}
