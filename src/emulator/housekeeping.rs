//! What keeps a socket emulator going in the background: due timers run on their own, and
//! with a data directory the state is saved when it changed (and loaded at start).

use std::path::PathBuf;
use std::time::Duration;

use super::shared::read_lock;
use super::{Emulator, admin, persist};

impl Emulator {
    /// The snapshot of the state, encoded (what `--data-dir` persists).
    pub(super) fn encoded_snapshot(&self) -> (u64, Vec<u8>) {
        use prost::Message;
        let now = self.now();
        let state = read_lock(&self.shared.state);
        (
            state.generation,
            persist::snapshot(&state, now).encode_to_vec(),
        )
    }

    pub(super) fn load_snapshot(&self, snapshot: admin::Snapshot) {
        // The clock never goes back across a restart (operation names sort by time).
        if let Some(saved) = snapshot
            .saved_at
            .as_ref()
            .and_then(super::store::system_time)
            && let Ok(behind) = saved.duration_since(self.now())
        {
            self.shared.clock.advance(behind);
        }
        let now = self.now();
        self.with_state(|s| persist::restore(s, snapshot, now));
    }
}

/// Runs due timers in the background (so a standalone emulator's state moves on its own),
/// and saves the state to the data directory when it changed.
pub(super) async fn housekeeping_loop(
    emulator: Emulator,
    data_dir: Option<PathBuf>,
    every: Duration,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut saved = None;
    loop {
        // Stop only between saves, so a save in progress is never overtaken by the final one.
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = emulator.now();
        drop(emulator.shared.read(now));
        if let Some(dir) = &data_dir {
            saved = save(&emulator, dir, saved).await;
        }
    }
}

/// Saves the state if its generation differs from `saved`; returns the saved generation.
async fn save(emulator: &Emulator, dir: &std::path::Path, saved: Option<u64>) -> Option<u64> {
    let generation = read_lock(&emulator.shared.state).generation;
    if saved == Some(generation) {
        return saved;
    }
    let (generation, bytes) = emulator.encoded_snapshot();
    let dir = dir.to_path_buf();
    match tokio::task::spawn_blocking(move || persist::write(&dir, &bytes)).await {
        Ok(Ok(())) => Some(generation),
        Ok(Err(e)) => {
            tracing::warn!("emulator: could not save state: {e}");
            saved
        }
        Err(e) => {
            tracing::warn!("emulator: could not save state: {e}");
            saved
        }
    }
}
