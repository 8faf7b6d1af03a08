//! `livestream emulator`: the local Live Stream API emulator as a standalone server.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use livestream_grpc::emulator::{self, Emulator, LroTiming};

/// The flags of `livestream emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Address to listen on (loopback by default; the emulator has no authentication).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8085)]
    port: u16,
    /// How long long-running operations take, e.g. `0ms` (instant), `500ms`, `2s`, `1m`.
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    lro_delay: Duration,
    /// Complete operations only through the admin API (`CompleteOperations`).
    #[arg(long, conflicts_with = "lro_delay")]
    manual_lro: bool,
    /// Keep the state in this directory across restarts (default: in memory only). Every
    /// change is journaled there before it is acknowledged, so it survives the emulator
    /// being killed.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// With --data-dir: sync the journal to the disk before acknowledging each change, so
    /// changes survive a power loss too (slower: a disk flush per change).
    #[arg(long, requires = "data_dir")]
    fsync: bool,
    /// Keep credential headers (authorization, x-goog-api-key, cookie, ...) in the request
    /// log as clients sent them. By default they are redacted to their scheme and length.
    /// RISK: anyone who can reach the port can then read every caller's token through the
    /// admin service (ListRecordedRequests).
    #[arg(long)]
    record_credentials: bool,
}

/// Prints a line to stdout, ignoring a closed pipe (the reader may be gone at shutdown).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

/// Parses `250ms`, `2s`, `1m`, `1h`, or a bare number of milliseconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 500ms, 2s or 1m"))?;
    let unit_ms = match unit {
        "" | "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        other => return Err(format!("unknown unit {other:?}; use ms, s, m or h")),
    };
    n.checked_mul(unit_ms)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled: the emulator prints its address before it waits, and
/// a supervisor that sends SIGTERM right after reading it must not kill it unsaved.
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt()).ok();
    let terminate = signal(SignalKind::terminate()).ok();
    async move {
        let wait = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = wait(interrupt) => {}
            _ = wait(terminate) => {}
        }
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the emulator until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: EmulatorArgs) -> Result<(), emulator::ServeError> {
    let timing = if args.manual_lro {
        LroTiming::Manual
    } else if args.lro_delay.is_zero() {
        LroTiming::Instant
    } else {
        LroTiming::Delay(args.lro_delay)
    };
    let mut builder = Emulator::builder()
        .lro_timing(timing)
        .record_credentials(args.record_credentials)
        .address(SocketAddr::new(args.host, args.port));
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir).fsync(args.fsync);
    }
    if args.record_credentials {
        eprintln!(
            "livestream: warning: --record-credentials: callers' credentials are kept in the request log, readable by anyone who can reach the admin service"
        );
    }
    if !args.host.is_loopback() {
        eprintln!(
            "livestream: warning: listening on {} exposes the emulator, which has no authentication, beyond this machine",
            args.host
        );
    }
    let data_dir = args.data_dir.clone();
    emulator::serve(builder, shutdown_signal(), |running| {
        let address = running.address();
        say!("Live Stream API emulator listening on {address} (plaintext gRPC)");
        match &data_dir {
            Some(dir) if args.fsync => say!(
                "State is kept in {} (every change journaled and synced before it is acknowledged)",
                dir.display()
            ),
            Some(dir) => say!(
                "State is kept in {} (every change journaled before it is acknowledged)",
                dir.display()
            ),
            None => say!("State is in memory only"),
        }
        say!("Point clients at it with:");
        say!("export LIVESTREAM_EMULATOR_HOST={address}");
    })
    .await?;
    say!("Emulator stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0ms").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("250").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("1d").is_err());
    }
}
