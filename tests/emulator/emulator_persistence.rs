//! `--data-dir`: the state survives a restart, and every acknowledged change survives the
//! process being killed (the journal); writes are atomic; a corrupt snapshot is an error, not
//! a panic. Also the standalone binary's banner, signal handling and kill -9.

use std::time::Duration;

use crate::emulator_support::*;
use livestream_grpc::emulator::{Emulator, LroTiming, RunningEmulator};
use livestream_grpc::longrunning::GetOperationRequest;
use livestream_grpc::longrunning::operations_client::OperationsClient;
use livestream_grpc::v1::channel::StreamingState;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use tonic::Code;

async fn start_in(dir: &std::path::Path) -> RunningEmulator {
    Emulator::builder()
        .data_dir(dir)
        .start()
        .await
        .expect("start with data dir")
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_in(dir.path()).await;
    let mut env_ls = LivestreamServiceClient::new(emu.channel());
    let op = env_ls
        .create_input(create_input_request("in"))
        .await
        .unwrap()
        .into_inner();
    let input: Input = response(&op);
    env_ls
        .create_channel(create_channel_request("ch", channel_body(Some("in"))))
        .await
        .unwrap();
    env_ls
        .start_channel(StartChannelRequest {
            name: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap();
    // A pending operation survives too.
    emu.set_lro_timing(LroTiming::Manual);
    let pending = env_ls
        .stop_channel(StopChannelRequest {
            name: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!pending.done);
    emu.shutdown().await.unwrap();
    assert!(dir.path().join("state.pb").exists());
    assert!(!dir.path().join("state.pb.tmp").exists());

    let emu = start_in(dir.path()).await;
    let mut ls = LivestreamServiceClient::new(emu.channel());
    let got = ls
        .get_input(GetInputRequest {
            name: input_name("in"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, input);
    let channel = ls
        .get_channel(GetChannelRequest {
            name: channel_name("ch"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(channel.streaming_state(), StreamingState::Stopping);
    emu.complete_operation(&pending.name).unwrap();
    let channel = ls
        .get_channel(GetChannelRequest {
            name: channel_name("ch"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(channel.streaming_state(), StreamingState::Stopped);
    let mut ops = OperationsClient::new(emu.channel());
    let done = ops
        .get_operation(GetOperationRequest {
            name: pending.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(done.done);
    // New operations do not reuse old names.
    emu.set_lro_timing(LroTiming::Instant);
    let op = ls
        .start_channel(StartChannelRequest {
            name: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(op.name, pending.name);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn state_is_saved_in_the_background_without_a_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_in(dir.path()).await;
    let mut ls = LivestreamServiceClient::new(emu.channel());
    ls.create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap();
    // The start wrote a snapshot; the change itself is in the journal (the crash below
    // leaves it there). Poll for the file rather than sleeping a fixed time.
    let file = dir.path().join("state.pb");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !file.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(file.exists(), "saved without a shutdown");
    drop(emu); // as if it crashed: no final save
    let emu = start_in(dir.path()).await;
    let mut ls = LivestreamServiceClient::new(emu.channel());
    ls.get_channel(GetChannelRequest {
        name: channel_name("ch"),
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_corrupt_snapshot_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.pb"), b"\xff\xff\xff not a snapshot").unwrap();
    let err = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("I/O"), "{err}");
}

#[tokio::test]
async fn without_a_data_dir_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::builder().start().await.unwrap();
    let mut ls = LivestreamServiceClient::new(emu.channel());
    let err = ls
        .get_channel(GetChannelRequest {
            name: channel_name("x"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    emu.shutdown().await.unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The journal's segments in `dir`.
fn segments(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("journal-"))
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn every_acknowledged_change_is_journaled_before_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_in(dir.path()).await;
    let mut ls = LivestreamServiceClient::new(emu.channel());
    let request_id = "6f1f5a8e-6b8d-4f9a-9f5e-3c7a1b2d4e6f";
    let created = ls
        .create_channel(CreateChannelRequest {
            request_id: request_id.into(),
            ..create_channel_request("ch", channel_body(None))
        })
        .await
        .unwrap()
        .into_inner();
    ls.create_channel(create_channel_request("gone", channel_body(None)))
        .await
        .unwrap();
    ls.delete_channel(DeleteChannelRequest {
        name: channel_name("gone"),
        ..Default::default()
    })
    .await
    .unwrap();
    // A crash right after the answers: no snapshot since the start, no shutdown.
    drop(emu);
    let emu = start_in(dir.path()).await;
    let mut ls = LivestreamServiceClient::new(emu.channel());
    ls.get_channel(GetChannelRequest {
        name: channel_name("ch"),
    })
    .await
    .unwrap();
    let err = ls
        .get_channel(GetChannelRequest {
            name: channel_name("gone"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // The request_id is remembered across the crash: a resend answers the same operation.
    let replayed = ls
        .create_channel(CreateChannelRequest {
            request_id: request_id.into(),
            ..create_channel_request("ch", channel_body(None))
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replayed.name, created.name);
    // New operations sort after the old ones (the clock never goes back).
    let later = ls
        .start_channel(StartChannelRequest {
            name: channel_name("ch"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        later.name > created.name,
        "{} > {}",
        later.name,
        created.name
    );
    emu.shutdown().await.unwrap();
    // The shutdown compacted the journal into the snapshot.
    let left = segments(dir.path());
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(std::fs::metadata(&left[0]).unwrap().len(), 0);
}

#[tokio::test]
async fn pending_operations_resets_and_fsync_survive_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::builder()
        .data_dir(dir.path())
        .fsync(true)
        .lro_timing(LroTiming::Delay(Duration::from_secs(10)))
        .start()
        .await
        .unwrap();
    let mut ls = LivestreamServiceClient::new(emu.channel());
    ls.create_channel(create_channel_request("before", channel_body(None)))
        .await
        .unwrap();
    emu.reset();
    let pending = ls
        .create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap()
        .into_inner();
    assert!(!pending.done);
    drop(emu);
    let emu = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let mut ls = LivestreamServiceClient::new(emu.channel());
    let err = ls
        .get_channel(GetChannelRequest {
            name: channel_name("before"),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "the reset is journaled too");
    // The delayed operation completes after the restart, on its schedule.
    emu.advance_clock(Duration::from_secs(10));
    let mut ops = OperationsClient::new(emu.channel());
    let done = ops
        .get_operation(GetOperationRequest { name: pending.name })
        .await
        .unwrap()
        .into_inner();
    assert!(done.done);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_torn_journal_record_is_dropped_and_the_rest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_in(dir.path()).await;
    let mut ls = LivestreamServiceClient::new(emu.channel());
    ls.create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap();
    drop(emu);
    // As if killed in the middle of the next append.
    let segment = segments(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&segment).unwrap();
    let whole = bytes.len();
    bytes.extend_from_slice(&[200, 1, 0, 0, 1, 2, 3, 4, 5]);
    std::fs::write(&segment, &bytes).unwrap();
    let emu = start_in(dir.path()).await;
    let mut ls = LivestreamServiceClient::new(emu.channel());
    ls.get_channel(GetChannelRequest {
        name: channel_name("ch"),
    })
    .await
    .unwrap();
    assert!(whole > 0);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_corrupt_journal_record_before_the_tail_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_in(dir.path()).await;
    let mut ls = LivestreamServiceClient::new(emu.channel());
    ls.create_channel(create_channel_request("ch", channel_body(None)))
        .await
        .unwrap();
    drop(emu);
    // An older segment with a damaged record: not a torn append, so never skipped.
    let segment = segments(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[12] ^= 0xff;
    let older = dir.path().join("journal-00000000000000000000.log");
    std::fs::write(&older, &bytes).unwrap();
    let err = Emulator::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unreadable record"), "{err}");
}

/// `EmulatorBuilder::initial_state`: an exported state, pending operation included, seeds an
/// empty data directory; a directory that holds a state keeps its own.
#[tokio::test]
async fn an_initial_state_seeds_an_empty_data_dir_and_never_overrides_one() {
    let first = Emulator::builder()
        .lro_timing(LroTiming::Manual)
        .start()
        .await
        .unwrap();
    let mut ls = LivestreamServiceClient::new(first.channel());
    let pending = ls
        .create_input(create_input_request("seed"))
        .await
        .unwrap()
        .into_inner();
    let exported = first.export_state();
    first.shutdown().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let seeded = Emulator::builder()
        .initial_state(exported)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    // The pending operation came along, and completes on the new emulator.
    seeded.complete_operation(&pending.name).unwrap();
    let mut ls = LivestreamServiceClient::new(seeded.channel());
    ls.get_input(GetInputRequest {
        name: input_name("seed"),
    })
    .await
    .unwrap();
    seeded.shutdown().await.unwrap();

    // The directory has a state now: an (empty) initial state does not replace it.
    let empty = Emulator::builder().build().export_state();
    let reopened = Emulator::builder()
        .initial_state(empty)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let mut ls = LivestreamServiceClient::new(reopened.channel());
    ls.get_input(GetInputRequest {
        name: input_name("seed"),
    })
    .await
    .unwrap();
    reopened.shutdown().await.unwrap();
}

#[cfg(all(feature = "cli", unix))]
mod binary {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    /// Starts `livestream emulator --port 0`, returns the child and the address it printed.
    fn spawn(data_dir: &std::path::Path) -> (std::process::Child, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_livestream"))
            .args(["emulator", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn livestream");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines.next().expect("banner line").expect("utf-8");
            if let Some(address) = line.strip_prefix("export LIVESTREAM_EMULATOR_HOST=") {
                break address.to_owned();
            }
        };
        assert!(
            address.starts_with("127.0.0.1:"),
            "loopback by default: {address}"
        );
        (child, address)
    }

    fn terminate(mut child: std::process::Child) {
        let pid = child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = child.wait().expect("wait");
        assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    }

    #[tokio::test]
    async fn the_binary_prints_the_export_line_and_persists_across_sigterm() {
        let dir = tempfile::tempdir().unwrap();
        let (child, address) = spawn(dir.path());
        let mut ls = LivestreamServiceClient::connect(format!("http://{address}"))
            .await
            .unwrap();
        ls.create_channel(create_channel_request("ch", channel_body(None)))
            .await
            .unwrap();
        drop(ls);
        // Blocking waits belong off the runtime that drives the client connections.
        tokio::task::spawn_blocking(move || terminate(child))
            .await
            .unwrap();
        let (child, address) = spawn(dir.path());
        let mut ls = LivestreamServiceClient::connect(format!("http://{address}"))
            .await
            .unwrap();
        ls.get_channel(GetChannelRequest {
            name: channel_name("ch"),
        })
        .await
        .unwrap();
        // Shutdown does not wait for idle clients forever.
        tokio::task::spawn_blocking(move || terminate(child))
            .await
            .unwrap();
        drop(ls);
    }

    /// A child process killed (SIGKILL) when dropped.
    struct KillOnDrop(Option<std::process::Child>);

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            if let Some(mut child) = self.0.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Everything acknowledged is there, nothing whose deletion was acknowledged is.
    async fn verify(
        address: &str,
        channels: &std::collections::BTreeSet<String>,
        deleted: &std::collections::BTreeSet<String>,
        operations: &std::collections::BTreeSet<String>,
    ) {
        use livestream_grpc::longrunning::ListOperationsRequest;
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut ls = LivestreamServiceClient::new(channel.clone());
        let mut found = std::collections::BTreeSet::new();
        let mut page_token = String::new();
        loop {
            let page = ls
                .list_channels(ListChannelsRequest {
                    parent: LOC.into(),
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            found.extend(page.channels.into_iter().map(|c| c.name));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let lost: Vec<&String> = channels.difference(&found).collect();
        assert!(lost.is_empty(), "acknowledged channels lost: {lost:?}");
        let back: Vec<&String> = deleted.intersection(&found).collect();
        assert!(back.is_empty(), "acknowledged deletions undone: {back:?}");
        let mut ops = OperationsClient::new(channel);
        let mut found = std::collections::BTreeSet::new();
        let mut page_token = String::new();
        loop {
            let page = ops
                .list_operations(ListOperationsRequest {
                    name: LOC.into(),
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            found.extend(page.operations.into_iter().map(|o| o.name));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let lost: Vec<&String> = operations.difference(&found).collect();
        assert!(lost.is_empty(), "acknowledged operations lost: {lost:?}");
    }

    /// Issue 13, item 2: the standalone binary with `--data-dir` is killed with SIGKILL at
    /// random moments (while creating and deleting channels, and during its start) 20
    /// times; after each restart every acknowledged channel and operation is back and
    /// every acknowledged deletion holds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn acknowledged_changes_survive_kill_9_at_random_moments() {
        use std::collections::BTreeSet;
        let started = std::time::Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let mut channels = BTreeSet::new();
        let mut deleted = BTreeSet::new();
        let mut operations = BTreeSet::new();
        let mut next = 0u32;
        let (mut creates, mut deletes, mut kills_at_start) = (0, 0, 0);
        for cycle in 0..20 {
            if cycle % 5 == 4 {
                // Killed while starting: loading, replaying, compacting.
                let path = dir.path().to_path_buf();
                tokio::task::spawn_blocking(move || {
                    let mut child = Command::new(env!("CARGO_BIN_EXE_livestream"))
                        .args(["emulator", "--port", "0", "--data-dir"])
                        .arg(&path)
                        .stdout(Stdio::null())
                        .spawn()
                        .expect("spawn livestream");
                    std::thread::sleep(Duration::from_millis(fastrand::u64(0..15)));
                    child.kill().expect("kill -9");
                    child.wait().expect("wait");
                })
                .await
                .unwrap();
                kills_at_start += 1;
                continue;
            }
            let path = dir.path().to_path_buf();
            let (child, address) = tokio::task::spawn_blocking(move || spawn(&path))
                .await
                .unwrap();
            // Killed even if a check fails (its stderr is the test's).
            let mut child = KillOnDrop(Some(child));
            verify(&address, &channels, &deleted, &operations).await;
            let mut ls = LivestreamServiceClient::connect(format!("http://{address}"))
                .await
                .unwrap();
            let kill_after = Duration::from_millis(fastrand::u64(0..80));
            let killer = tokio::task::spawn_blocking(move || {
                std::thread::sleep(kill_after);
                if let Some(mut c) = child.0.take() {
                    c.kill().expect("kill -9");
                    c.wait().expect("wait");
                }
            });
            // Sequential changes until the connection dies with the process.
            loop {
                next += 1;
                let id = format!("c{next}");
                match ls
                    .create_channel(create_channel_request(&id, channel_body(None)))
                    .await
                {
                    Ok(op) => {
                        channels.insert(channel_name(&id));
                        operations.insert(op.into_inner().name);
                        creates += 1;
                    }
                    Err(_) => break,
                }
                if next.is_multiple_of(4) {
                    let victim = channel_name(&format!("c{}", next - 2));
                    if channels.remove(&victim) {
                        let delete = ls
                            .delete_channel(DeleteChannelRequest {
                                name: victim.clone(),
                                ..Default::default()
                            })
                            .await;
                        match delete {
                            Ok(op) => {
                                deleted.insert(victim);
                                operations.insert(op.into_inner().name);
                                deletes += 1;
                            }
                            Err(_) => break,
                        }
                    }
                }
            }
            killer.await.unwrap();
        }
        // A last start: everything acknowledged in the last cycle is back too.
        let path = dir.path().to_path_buf();
        let (child, address) = tokio::task::spawn_blocking(move || spawn(&path))
            .await
            .unwrap();
        let mut child = KillOnDrop(Some(child));
        verify(&address, &channels, &deleted, &operations).await;
        let child = child.0.take().expect("still running");
        tokio::task::spawn_blocking(move || terminate(child))
            .await
            .unwrap();
        eprintln!(
            "kill -9: 20 cycles ({kills_at_start} while starting), {creates} acknowledged creates and {deletes} deletes, all back, in {:?}",
            started.elapsed()
        );
        assert!(creates > 20, "the cycles did some work: {creates} creates");
    }
}
