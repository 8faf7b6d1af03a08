//! What an emulator's services and handles share ([`Shared`]: the state behind its lock,
//! the clock, the fault controls), every write to the state and its commit to the journal,
//! and the lock helpers that recover from poisoning.

use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use super::EmulatorConfig;
use super::clock::Clock;
use super::faults::Controls;
use super::journal::Journal;
use super::persist;
use super::store::State;

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn read_lock<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn write_lock<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

/// Everything one emulator shares between its services and handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(super) state: RwLock<State>,
    pub(super) clock: Clock,
    pub(super) controls: Controls,
    /// Woken whenever the state may have changed (WaitOperation listens).
    pub(super) ops_changed: tokio::sync::Notify,
}

impl Shared {
    /// The state for reading, after running the timers due by `now` (a write, journaled).
    pub(crate) fn read(&self, now: SystemTime) -> RwLockReadGuard<'_, State> {
        {
            let state = read_lock(&self.state);
            if state.next_due().is_none_or(|due| due > now) {
                return state;
            }
        }
        self.update(now, |_| ());
        self.ops_changed.notify_waiters();
        read_lock(&self.state)
    }

    /// Runs `f` on the state under the write lock, after the timers due by `now`, and
    /// journals what changed (with `--data-dir`) before returning: the change is durable
    /// against the process being killed once this returns `Ok`, and with fsync against a
    /// power loss (synced after the lock is released, so concurrent commits share the
    /// wait). While the journal is failing, `f` is not run: `Err`.
    pub(crate) fn try_update<T>(
        &self,
        now: SystemTime,
        f: impl FnOnce(&mut State) -> T,
    ) -> Result<T, io::Error> {
        let (result, sync) = {
            let mut state = write_lock(&self.state);
            if let Some(error) = state.journal.as_ref().and_then(Journal::failure) {
                return Err(error);
            }
            state.run_due(now);
            state.generation = state.generation.wrapping_add(1);
            let result = f(&mut state);
            (result, commit(&mut state, now)?)
        };
        if let Some(file) = sync {
            file.sync_data().map_err(|e| self.journal_failed(e))?;
        }
        Ok(result)
    }

    /// [`try_update`](Self::try_update) for the emulator's own work (due timers, controls):
    /// `f` runs even while the journal is failing, and a journal error is logged.
    pub(crate) fn update<T>(&self, now: SystemTime, f: impl FnOnce(&mut State) -> T) -> T {
        let (result, sync) = {
            let mut state = write_lock(&self.state);
            state.run_due(now);
            state.generation = state.generation.wrapping_add(1);
            let result = f(&mut state);
            let sync = commit(&mut state, now).unwrap_or_else(|e| {
                tracing::warn!("emulator: could not journal a change: {e}");
                None
            });
            (result, sync)
        };
        if let Some(file) = sync
            && let Err(e) = file.sync_data()
        {
            tracing::warn!(
                "emulator: could not sync the journal: {}",
                self.journal_failed(e)
            );
        }
        result
    }

    /// Marks the journal failed (until a snapshot succeeds) after a failed sync.
    fn journal_failed(&self, error: io::Error) -> io::Error {
        if let Some(journal) = write_lock(&self.state).journal.as_mut() {
            journal.fail(&error);
        }
        error
    }

    pub(crate) fn config<T>(&self, pick: impl FnOnce(&EmulatorConfig) -> T) -> T {
        pick(&read_lock(&self.state).config)
    }
}

/// Appends the changes of the commit ending now to the journal, if there is one; returns
/// the file to sync when fsync is on.
fn commit(state: &mut State, now: SystemTime) -> Result<Option<Arc<File>>, io::Error> {
    if state.journal.is_none() {
        return Ok(None);
    }
    let Some(mut record) = persist::take_changes(state, now) else {
        return Ok(None);
    };
    match state.journal.as_mut() {
        Some(journal) => journal.append(&mut record),
        None => Ok(None),
    }
}
