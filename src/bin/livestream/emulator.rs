//! `livestream emulator`: the local Live Stream API emulator as a standalone server, and
//! `livestream emulator <control>`: its controls, through the typed admin client
//! [`RemoteEmulator`], for shell scripts.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use livestream_grpc::Method;
use livestream_grpc::emulator::{
    self, Emulator, Fault, FaultScript, LroTiming, RemoteEmulator, StreamProperties,
};
use tonic::Code;

use crate::errors::{CliError, code_name};

/// Prints a line to stdout, ignoring a closed pipe (the reader may be gone at shutdown).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

/// `livestream emulator [flags]` serves; `livestream emulator <control>` controls a running
/// one.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct EmulatorArgs {
    #[command(subcommand)]
    control: Option<Control>,
    #[command(flatten)]
    serve: ServeArgs,
}

impl EmulatorArgs {
    /// The control to run against a running emulator, if one was given.
    pub(crate) fn into_control(self) -> Result<Control, ServeArgs> {
        match self.control {
            Some(control) => Ok(control),
            None => Err(self.serve),
        }
    }
}

/// Which emulator a control talks to.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// The emulator's host:port (or URI).
    #[arg(long, env = "LIVESTREAM_EMULATOR_HOST", value_name = "HOST:PORT")]
    emulator_host: String,
}

/// The controls of a running emulator (its admin API), for scripts.
#[derive(Debug, Subcommand)]
pub(crate) enum Control {
    /// Set how long long-running operations take: `instant`, `manual`, or a duration (`2s`).
    LroTiming {
        /// `instant`, `manual`, or a duration such as `500ms`, `2s`, `1m`.
        timing: String,
        #[command(flatten)]
        target: Target,
    },
    /// Complete a pending operation now (or every pending one with --all); prints the names
    /// of the operations completed.
    CompleteOperation {
        /// The operation's full name.
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        /// Complete every pending operation.
        #[arg(long, conflicts_with = "name")]
        all: bool,
        #[command(flatten)]
        target: Target,
    },
    /// Simulate an encoder connecting to an input (its channels start STREAMING).
    ConnectInput {
        /// The input's full name.
        input: String,
        /// Video width in pixels.
        #[arg(long, default_value_t = 1920)]
        width: i32,
        /// Video height in pixels.
        #[arg(long, default_value_t = 1080)]
        height: i32,
        /// Video frame rate.
        #[arg(long, default_value_t = 60.0)]
        frame_rate: f64,
        #[command(flatten)]
        target: Target,
    },
    /// Simulate the encoder leaving an input (its channels go back to AWAITING_INPUT).
    DisconnectInput {
        /// The input's full name.
        input: String,
        #[command(flatten)]
        target: Target,
    },
    /// Move the emulator's clock forward; prints the new time (RFC 3339).
    AdvanceClock {
        /// How far: `30s`, `5m`, `1h`.
        #[arg(value_parser = parse_duration)]
        duration: Duration,
        #[command(flatten)]
        target: Target,
    },
    /// Print the emulator's clock (RFC 3339).
    Now {
        #[command(flatten)]
        target: Target,
    },
    /// Force a failure on a channel, clip, DVR session, asset or pending operation.
    Fail {
        /// The resource's or operation's full name.
        name: String,
        /// The error message.
        #[arg(long, default_value = "failure forced by the emulator")]
        message: String,
        #[command(flatten)]
        target: Target,
    },
    /// Recover a channel from a forced failure.
    RecoverChannel {
        /// The channel's full name.
        channel: String,
        #[command(flatten)]
        target: Target,
    },
    /// Script the answers of one RPC: one status code per call (`OK` lets one through),
    /// then normal answers.
    InjectFaults {
        /// The RPC (`GetChannel`).
        method: String,
        /// Status codes in order: `UNAVAILABLE`, `RESOURCE_EXHAUSTED`, `OK`, or numbers.
        #[arg(required = true)]
        codes: Vec<String>,
        /// The message of the faults (default: one naming the method).
        #[arg(long)]
        message: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Add latency to every call of one RPC.
    SetLatency {
        /// The RPC (`GetChannel`).
        method: String,
        /// The latency: `200ms`, `2s`.
        #[arg(value_parser = parse_duration)]
        latency: Duration,
        #[command(flatten)]
        target: Target,
    },
    /// Remove the faults and latency of one RPC, or of every RPC.
    ClearFaults {
        /// The RPC (`GetChannel`); every RPC when omitted.
        method: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Print how many calls each RPC received (`Method count` lines), or one RPC's count.
    CallCounts {
        /// The RPC (`GetChannel`): print only its count.
        method: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Delete every resource and operation, clear faults, latencies and counts.
    Reset {
        #[command(flatten)]
        target: Target,
    },
    /// Print the emulator's state (resources, operations, remembered request_ids, clock),
    /// with credentials redacted (RTMP stream keys): proto3 JSON of a
    /// `livestream.emulator.v1.Snapshot`, or with --binary the snapshot encoded, the
    /// `state.pb` of a --data-dir. `livestream emulator --load-state FILE` starts an
    /// emulator from either.
    ExportState {
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Write the encoded snapshot (`state.pb`) instead of JSON.
        #[arg(long)]
        binary: bool,
        #[command(flatten)]
        target: Target,
    },
}

fn method(name: &str) -> Result<Method, CliError> {
    name.parse::<Method>()
        .map_err(|e| CliError::usage(e.to_string()))
}

/// `UNAVAILABLE`, `unavailable` or `14`.
fn code(text: &str) -> Result<Code, CliError> {
    if let Ok(n) = text.parse::<i32>()
        && (0..=16).contains(&n)
    {
        return Ok(Code::from_i32(n));
    }
    (0..=16)
        .map(Code::from_i32)
        .find(|c| code_name(*c).eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            CliError::usage(format!(
                "{text:?} is not a gRPC status code (UNAVAILABLE, RESOURCE_EXHAUSTED, OK, 14, ...)"
            ))
        })
}

fn rfc3339(t: std::time::SystemTime) -> String {
    prost_types::Timestamp::from(t).to_string()
}

fn remote(target: &Target) -> Result<RemoteEmulator, CliError> {
    Ok(RemoteEmulator::connect(target.emulator_host.trim())?)
}

/// Runs one control against the emulator it names; prints what scripts need on stdout.
pub(crate) async fn control(control: Control) -> Result<(), CliError> {
    match control {
        Control::LroTiming { timing, target } => {
            let timing = match timing.to_ascii_lowercase().as_str() {
                "instant" => LroTiming::Instant,
                "manual" => LroTiming::Manual,
                other => match parse_duration(other).map_err(CliError::usage)? {
                    d if d.is_zero() => LroTiming::Instant,
                    d => LroTiming::Delay(d),
                },
            };
            remote(&target)?.set_lro_timing(timing).await?;
        }
        Control::CompleteOperation { name, all, target } => {
            let remote = remote(&target)?;
            match name {
                Some(name) if !all => {
                    remote.complete_operation(&name).await?;
                    say!("{name}");
                }
                _ => {
                    for name in remote.complete_all_operations().await? {
                        say!("{name}");
                    }
                }
            }
        }
        Control::ConnectInput {
            input,
            width,
            height,
            frame_rate,
            target,
        } => {
            let properties = StreamProperties {
                width,
                height,
                frame_rate,
            };
            remote(&target)?
                .connect_input_with(&input, properties)
                .await?;
        }
        Control::DisconnectInput { input, target } => {
            remote(&target)?.disconnect_input(&input).await?;
        }
        Control::AdvanceClock { duration, target } => {
            let now = remote(&target)?.advance_clock(duration).await?;
            say!("{}", rfc3339(now));
        }
        Control::Now { target } => {
            let now = remote(&target)?.now().await?;
            say!("{}", rfc3339(now));
        }
        Control::Fail {
            name,
            message,
            target,
        } => remote(&target)?.fail(&name, &message).await?,
        Control::RecoverChannel { channel, target } => {
            remote(&target)?.recover_channel(&channel).await?;
        }
        Control::InjectFaults {
            method: name,
            codes,
            message,
            target,
        } => {
            let method = method(&name)?;
            let mut script = FaultScript::default();
            for text in &codes {
                script = match code(text)? {
                    Code::Ok => script.then_pass(),
                    code => {
                        let fault = Fault::new(code);
                        script.then_fault(match &message {
                            Some(m) => fault.with_message(m.clone()),
                            None => fault,
                        })
                    }
                };
            }
            remote(&target)?.inject_faults(method, script).await?;
        }
        Control::SetLatency {
            method: name,
            latency,
            target,
        } => {
            remote(&target)?
                .set_latency(method(&name)?, latency)
                .await?
        }
        Control::ClearFaults {
            method: name,
            target,
        } => match name {
            Some(name) => remote(&target)?.clear_faults(method(&name)?).await?,
            None => remote(&target)?.clear_all_faults().await?,
        },
        Control::CallCounts {
            method: name,
            target,
        } => {
            let remote = remote(&target)?;
            match name {
                Some(name) => say!("{}", remote.call_count(method(&name)?).await?),
                None => {
                    for (method, count) in remote.call_counts().await? {
                        say!("{method} {count}");
                    }
                }
            }
        }
        Control::Reset { target } => remote(&target)?.reset().await?,
        Control::ExportState {
            out,
            binary,
            target,
        } => {
            let state = remote(&target)?.export_state().await?;
            let bytes = if binary {
                prost::Message::encode_to_vec(&state)
            } else {
                let json = crate::output::to_json(&state)?;
                let mut text = serde_json::to_string_pretty(&json)
                    .map_err(|e| CliError::other(format!("cannot write the state as JSON: {e}")))?;
                text.push('\n');
                text.into_bytes()
            };
            match out {
                Some(path) => std::fs::write(&path, bytes).map_err(|e| {
                    CliError::other(format!("cannot write {}: {e}", path.display()))
                })?,
                None => crate::output::emit_bytes(&bytes)?,
            }
        }
    }
    Ok(())
}

/// The flags of `livestream emulator` when it serves.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
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
    /// Start with the state in FILE, as `livestream emulator export-state` writes it (JSON,
    /// or the snapshot with --binary). With --data-dir, only a directory holding no state
    /// yet starts from it (the directory's own state wins).
    #[arg(long, value_name = "FILE")]
    load_state: Option<PathBuf>,
    /// Keep credential headers (authorization, x-goog-api-key, cookie, ...) in the request
    /// log as clients sent them. By default they are redacted to their scheme and length.
    /// RISK: anyone who can reach the port can then read every caller's token through the
    /// admin service (ListRecordedRequests).
    #[arg(long)]
    record_credentials: bool,
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

/// Reads a state `export-state` wrote: proto3 JSON (it starts with `{`) or an encoded
/// snapshot, of this emulator's format version.
fn read_state(path: &std::path::Path) -> Result<emulator::admin::Snapshot, CliError> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::usage(format!("cannot read the state file {shown}: {e}")))?;
    let state = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        crate::config::parse::<emulator::admin::Snapshot>(&bytes)
            .map_err(|e| CliError::usage(format!("state file {shown}: {e}")))?
    } else {
        prost::Message::decode(bytes.as_slice()).map_err(|e| {
            CliError::usage(format!(
                "state file {shown} is neither JSON nor an encoded snapshot: {e}"
            ))
        })?
    };
    let version = emulator::STATE_FORMAT_VERSION;
    if state.version != version {
        return Err(CliError::usage(format!(
            "state file {shown} has format version {}, this emulator reads {version}",
            state.version
        )));
    }
    Ok(state)
}

/// Runs the emulator until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: ServeArgs) -> Result<(), CliError> {
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
    if let Some(file) = &args.load_state {
        builder = builder.initial_state(read_state(file)?);
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
        say!(
            "Live Stream API emulator listening on {address} (plaintext gRPC, and REST at http://{address}/v1/)"
        );
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
    .await
    .map_err(|e| CliError::other(e.to_string()))?;
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
