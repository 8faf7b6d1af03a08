//! `--data-dir`: the state survives a restart; writes are atomic; a corrupt snapshot is an
//! error, not a panic. Also the standalone binary's banner and signal handling.

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
    // The housekeeping task saves within a second of a change; poll for the file rather
    // than sleeping a fixed time.
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
}
