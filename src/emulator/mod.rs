//! The in-memory Live Stream API emulator.
//!
//! (Being built: see issue 3. The submodules below are the agreed seams between the
//! people working on it.)

pub(crate) mod filter;
pub(crate) mod validation;
