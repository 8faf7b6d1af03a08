//! What keeps a socket emulator going in the background, and its data directory
//! (EMULATOR.md, "Durability"): due timers run on their own; at start an initial state
//! (`EmulatorBuilder::initial_state`) or the snapshot is loaded and the journal replayed; the journal is compacted into a new snapshot when it
//! has grown (and at shutdown).

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use prost::Message;

use super::journal::{self, Journal};
use super::shared::write_lock;
use super::store::system_time;
use super::{Emulator, persist};

impl Emulator {
    /// Replaces the state by `snapshot` (at build, before anything is served), moves the
    /// clock to the snapshot's save time if that is later, and rebuilds the timers.
    pub(super) fn load_state(&self, snapshot: super::admin::Snapshot) {
        let saved_at = snapshot.saved_at.as_ref().and_then(system_time);
        let mut state = write_lock(&self.shared.state);
        persist::restore(&mut state, snapshot);
        if let Some(saved_at) = saved_at
            && let Ok(behind) = saved_at.duration_since(self.now())
        {
            self.shared.clock.advance(behind);
        }
        state.rebuild_timers(self.now());
    }

    /// Loads `dir` (the snapshot, then the journal records after it), writes the result as
    /// a fresh snapshot, and starts journaling every change there. Blocking I/O.
    pub(super) fn open_data_dir(&self, dir: &Path, fsync: bool) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let snapshot = persist::load(dir)?;
        let mut state = write_lock(&self.shared.state);
        let mut latest = None;
        let mut after = 0;
        if let Some(snapshot) = snapshot {
            latest = snapshot.saved_at.as_ref().and_then(system_time);
            after = snapshot.journal_sequence;
            persist::restore(&mut state, snapshot);
        }
        let last = journal::replay(dir, after, |record| {
            if let Some(at) = record.at.as_ref().and_then(system_time) {
                latest = latest.max(Some(at));
            }
            persist::apply(&mut state, record);
        })?;
        // The clock never goes back across a restart (operation names sort by time).
        if let Some(latest) = latest
            && let Ok(behind) = latest.duration_since(self.now())
        {
            self.shared.clock.advance(behind);
        }
        let now = self.now();
        state.rebuild_timers(now);
        // Everything loaded becomes the new snapshot; then the segments it includes go.
        let bytes = persist::snapshot(&state, now, last).encode_to_vec();
        persist::write(dir, &bytes)?;
        let journal = Journal::create(dir, last + 1, fsync, bytes.len() as u64)?;
        journal::remove_before(dir, last + 1)?;
        state.journal = Some(journal);
        state.set_tracking(true);
        Ok(())
    }
}

/// Compacts the journal of `dir` into a new snapshot, if it has grown enough (or
/// whatever its size, with `force`): under the state's lock the snapshot is encoded and the
/// journal moves to a new segment; then the snapshot is written atomically and the
/// segments it includes are deleted. A crash at any point leaves a snapshot and segments
/// that replay to the same state.
pub(super) async fn compact(emulator: &Emulator, dir: &Path, force: bool) -> io::Result<()> {
    let prepared = {
        let mut state = write_lock(&emulator.shared.state);
        let Some(journal) = state.journal.as_ref() else {
            return Ok(());
        };
        if !force && !journal.should_compact() {
            return Ok(());
        }
        let last = journal.last_sequence();
        let bytes = persist::snapshot(&state, emulator.now(), last).encode_to_vec();
        let size = bytes.len() as u64;
        match state.journal.as_mut().map(|j| j.rotate(size)) {
            Some(Ok(first)) => (bytes, first),
            Some(Err(e)) => return Err(e),
            None => return Ok(()),
        }
    };
    let (bytes, first) = prepared;
    let target = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        persist::write(&target, &bytes)?;
        journal::remove_before(&target, first)
    })
    .await
    .map_err(io::Error::other)??;
    if let Some(journal) = write_lock(&emulator.shared.state).journal.as_mut() {
        journal.recovered();
    }
    Ok(())
}

/// Runs due timers in the background (so a standalone emulator's state moves on its own),
/// and compacts the journal of the data directory when it has grown.
pub(super) async fn housekeeping_loop(
    emulator: Emulator,
    data_dir: Option<PathBuf>,
    every: Duration,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        // Stop only between compactions, so one in progress is never overtaken by the
        // final one.
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = emulator.now();
        drop(emulator.shared.read(now));
        if let Some(dir) = &data_dir
            && let Err(e) = compact(&emulator, dir, false).await
        {
            tracing::warn!("emulator: could not compact the journal: {e}");
        }
    }
}
