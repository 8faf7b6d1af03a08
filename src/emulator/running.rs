//! [`RunningEmulator`], an emulator serving on a socket, and its shutdown; [`serve`], which
//! runs a standalone one; and [`ServeError`].

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{Emulator, EmulatorBuilder};

/// Why the emulator could not start or serve.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// Binding the address or reading/writing the data directory failed.
    Io(std::io::Error),
    /// The gRPC server failed.
    Transport(tonic::transport::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Io(e) => write!(f, "emulator I/O error: {e}"),
            ServeError::Transport(e) => write!(f, "emulator server error: {e}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Io(e) => Some(e),
            ServeError::Transport(e) => Some(e),
        }
    }
}

impl From<std::io::Error> for ServeError {
    fn from(e: std::io::Error) -> Self {
        ServeError::Io(e)
    }
}

impl From<tonic::transport::Error> for ServeError {
    fn from(e: tonic::transport::Error) -> Self {
        ServeError::Transport(e)
    }
}

/// How long [`RunningEmulator::shutdown`] lets calls in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An emulator serving on a socket. Dereferences to [`Emulator`] for the controls; stops
/// when [`shutdown`](Self::shutdown) is called or when dropped.
#[derive(Debug)]
pub struct RunningEmulator {
    pub(super) emulator: Emulator,
    pub(super) address: SocketAddr,
    pub(super) endpoint: String,
    pub(super) channel: tonic::transport::Channel,
    pub(super) data_dir: Option<PathBuf>,
    pub(super) stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(super) server: Option<tokio::task::JoinHandle<Result<(), tonic::transport::Error>>>,
    pub(super) housekeeping: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    )>,
}

impl std::ops::Deref for RunningEmulator {
    type Target = Emulator;

    fn deref(&self) -> &Emulator {
        &self.emulator
    }
}

impl RunningEmulator {
    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A (lazily connected) channel to the emulator, for any generated client.
    pub fn channel(&self) -> tonic::transport::Channel {
        self.channel.clone()
    }

    /// The emulator handle (also reachable through `Deref`).
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Stops serving (gracefully: calls in flight get up to 5 seconds to finish) and, with a
    /// data directory, compacts the journal into the snapshot.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some((stop, task)) = self.housekeeping.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
        let served = match self.server.take() {
            Some(mut server) => {
                // Graceful, but bounded: a client that keeps its connection open must not
                // keep the emulator alive.
                match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                    Ok(joined) => joined.map_err(std::io::Error::other)?,
                    Err(_) => {
                        server.abort();
                        Ok(())
                    }
                }
            }
            None => Ok(()),
        };
        if let Some(dir) = &self.data_dir {
            // Everything journaled becomes the snapshot.
            super::housekeeping::compact(&self.emulator, dir, true).await?;
        }
        Ok(served?)
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some((_, task)) = self.housekeeping.take() {
            task.abort();
        }
        // Dropping `stop` ends the server.
    }
}

/// Runs a standalone emulator until `shutdown` resolves: starts it as `builder` says,
/// calls `ready` once it listens (to print a banner), then shuts down gracefully.
pub async fn serve<F>(
    builder: EmulatorBuilder,
    shutdown: F,
    ready: impl FnOnce(&RunningEmulator),
) -> Result<(), ServeError>
where
    F: Future<Output = ()>,
{
    let running = builder.start().await?;
    ready(&running);
    shutdown.await;
    running.shutdown().await
}
