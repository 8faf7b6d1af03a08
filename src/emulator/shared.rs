//! What an emulator's services and handles share ([`Shared`]: the state behind its lock,
//! the clock, the fault controls), and the lock helpers that recover from poisoning.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use super::EmulatorConfig;
use super::clock::Clock;
use super::faults::Controls;
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
    /// The state for reading, after running the timers due by `now`.
    pub(crate) fn read(&self, now: SystemTime) -> RwLockReadGuard<'_, State> {
        {
            let state = read_lock(&self.state);
            if state.next_due().is_none_or(|due| due > now) {
                return state;
            }
        }
        drop(self.write(now));
        self.ops_changed.notify_waiters();
        read_lock(&self.state)
    }

    /// The state for writing, after running the timers due by `now`.
    pub(crate) fn write(&self, now: SystemTime) -> RwLockWriteGuard<'_, State> {
        let mut state = write_lock(&self.state);
        state.run_due(now);
        state.generation = state.generation.wrapping_add(1);
        state
    }

    pub(crate) fn config<T>(&self, pick: impl FnOnce(&EmulatorConfig) -> T) -> T {
        pick(&read_lock(&self.state).config)
    }
}
