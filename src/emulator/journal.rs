//! The journal of `--data-dir` (EMULATOR.md, "Durability"): every commit that changed the
//! state appends one `JournalRecord` (the new value of each record it changed, or its
//! deletion) to the current segment, `journal-<first sequence>.log`, before the call is
//! answered; a restart loads the snapshot and replays the records after it; compaction
//! writes a new snapshot and deletes the segments it includes.
//!
//! A record is framed as its length (u32, little-endian), the CRC32C of its bytes (u32,
//! little-endian) and the encoded message. A process killed in the middle of an append
//! leaves a torn last record, which the next start drops (that call was never answered);
//! anything unreadable before the last segment's tail is an error, never skipped.

use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use prost::Message;

use super::admin as pb;

/// The segments' file names: `journal-` + the first record's sequence (20 digits) + `.log`.
const PREFIX: &str = "journal-";
const SUFFIX: &str = ".log";

/// Compaction starts when the segments hold this much since the last snapshot (or twice
/// the snapshot's size, when that is more), so it costs O(1) per byte written.
const COMPACT_AFTER: u64 = 8 * 1024 * 1024;

/// The largest record a reader accepts (a record holds one call's changes).
const MAX_RECORD: usize = 256 * 1024 * 1024;

/// The current segment, open for appending.
pub(crate) struct Journal {
    dir: PathBuf,
    file: Arc<File>,
    fsync: bool,
    next_sequence: u64,
    /// Bytes appended since the last snapshot.
    written: u64,
    /// The last snapshot's size.
    snapshot_size: u64,
    buffer: Vec<u8>,
    /// Why the last append or sync failed, until a snapshot includes everything again.
    failed: Option<String>,
    /// Failures so far, and as of the last rotation: a snapshot clears only the failures
    /// that happened before it was taken.
    failures: u64,
    failures_at_rotation: u64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.dir)
            .field("fsync", &self.fsync)
            .field("next_sequence", &self.next_sequence)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{PREFIX}{first:020}{SUFFIX}"))
}

/// Creates (empty) the segment whose first record will be `first`.
fn create_segment(dir: &Path, first: u64, fsync: bool) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(segment_path(dir, first))?;
    if fsync {
        // The new file's directory entry must reach the disk too.
        File::open(dir)?.sync_all()?;
    }
    Ok(file)
}

impl Journal {
    /// Starts a new, empty segment whose first record will be `next_sequence`.
    pub(crate) fn create(
        dir: &Path,
        next_sequence: u64,
        fsync: bool,
        snapshot_size: u64,
    ) -> io::Result<Journal> {
        let file = create_segment(dir, next_sequence, fsync)?;
        Ok(Journal {
            dir: dir.to_path_buf(),
            file: Arc::new(file),
            fsync,
            next_sequence,
            written: 0,
            snapshot_size,
            buffer: Vec::new(),
            failed: None,
            failures: 0,
            failures_at_rotation: 0,
        })
    }

    /// Appends `record` (numbering it) to the segment: one `write` of the whole frame, so a
    /// kill leaves it whole or torn at the tail. Returns the file to sync before answering
    /// when fsync is on (synced by the caller after it releases the state's lock, so that
    /// concurrent commits share the wait).
    pub(crate) fn append(
        &mut self,
        record: &mut pb::JournalRecord,
    ) -> io::Result<Option<Arc<File>>> {
        record.sequence = self.next_sequence;
        let length = record.encoded_len();
        self.buffer.clear();
        self.buffer.reserve(8 + length);
        self.buffer
            .extend_from_slice(&u32::try_from(length).unwrap_or(u32::MAX).to_le_bytes());
        self.buffer.extend_from_slice(&[0; 4]);
        record
            .encode(&mut self.buffer)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let crc = crc32c(&self.buffer[8..]);
        self.buffer[4..8].copy_from_slice(&crc.to_le_bytes());
        if let Err(e) = (&*self.file).write_all(&self.buffer) {
            self.fail(&e);
            return Err(e);
        }
        self.next_sequence += 1;
        self.written += self.buffer.len() as u64;
        Ok(self.fsync.then(|| Arc::clone(&self.file)))
    }

    /// Records a failed append or sync: commits are refused (their changes could not be
    /// made durable) until a snapshot includes the state again ([`recovered`](Self::recovered)).
    pub(crate) fn fail(&mut self, error: &io::Error) {
        self.failed = Some(error.to_string());
        self.failures += 1;
    }

    /// Why commits are refused, if they are.
    pub(crate) fn failure(&self) -> Option<io::Error> {
        self.failed.as_ref().map(|e| {
            io::Error::other(format!(
                "the journal could not be written ({e}); changes are refused until a snapshot succeeds"
            ))
        })
    }

    /// The snapshot taken at the last rotation was written: commits are accepted again,
    /// unless a failure happened since the rotation.
    pub(crate) fn recovered(&mut self) {
        if self.failures == self.failures_at_rotation {
            self.failed = None;
        }
    }

    /// The sequence number of the last record appended (0 before the first).
    pub(crate) fn last_sequence(&self) -> u64 {
        self.next_sequence.saturating_sub(1)
    }

    /// Whether the segments have grown enough since the last snapshot to compact them.
    pub(crate) fn should_compact(&self) -> bool {
        self.failed.is_some() || self.written > COMPACT_AFTER.max(2 * self.snapshot_size)
    }

    /// Starts a new segment (the next record goes there); returns the first sequence it
    /// will hold. The caller holds the state's lock, so no record is appended in between;
    /// the older segments can go once a snapshot including them is written.
    pub(crate) fn rotate(&mut self, snapshot_size: u64) -> io::Result<u64> {
        let file = create_segment(&self.dir, self.next_sequence, self.fsync)?;
        self.file = Arc::new(file);
        self.written = 0;
        self.failures_at_rotation = self.failures;
        self.snapshot_size = snapshot_size;
        Ok(self.next_sequence)
    }
}

/// The segments of `dir`, by first sequence.
fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(first) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        found.push((first, entry.path()));
    }
    found.sort();
    Ok(found)
}

/// Replays the records of `dir` after sequence `after`, in order, through `apply`; returns
/// the last sequence seen (`after` if none). A torn record at the end of the last segment
/// (a process killed in the middle of an append) is cut off; any other unreadable record
/// is an error.
pub(crate) fn replay(
    dir: &Path,
    after: u64,
    mut apply: impl FnMut(pb::JournalRecord),
) -> io::Result<u64> {
    let segments = segments(dir)?;
    let mut last = after;
    let count = segments.len();
    for (index, (_, path)) in segments.into_iter().enumerate() {
        let bytes = std::fs::read(&path)?;
        let mut offset = 0;
        while offset < bytes.len() {
            match frame(&bytes[offset..]) {
                Some((record, size)) => {
                    if record.sequence > last {
                        last = record.sequence;
                        apply(record);
                    }
                    offset += size;
                }
                None if index + 1 == count => {
                    tracing::warn!(
                        "emulator: dropping a torn record at the end of {} ({} bytes)",
                        path.display(),
                        bytes.len() - offset
                    );
                    let file = std::fs::OpenOptions::new().write(true).open(&path)?;
                    file.set_len(offset as u64)?;
                    file.sync_all()?;
                    break;
                }
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{} has an unreadable record at byte {offset}",
                            path.display()
                        ),
                    ));
                }
            }
        }
    }
    Ok(last)
}

/// The record at the start of `bytes` and its framed size, if it is whole and intact.
fn frame(bytes: &[u8]) -> Option<(pb::JournalRecord, usize)> {
    let length = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    if length > MAX_RECORD {
        return None;
    }
    let body = bytes.get(8..8 + length)?;
    if crc32c(body) != crc {
        return None;
    }
    let record = pb::JournalRecord::decode(body).ok()?;
    Some((record, 8 + length))
}

/// Deletes the segments that start before `first_kept` (a snapshot includes them).
pub(crate) fn remove_before(dir: &Path, first_kept: u64) -> io::Result<()> {
    for (first, path) in segments(dir)? {
        if first < first_kept {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// The CRC32C (Castagnoli) lookup table.
const CRC32C_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC32C (Castagnoli) of `bytes`, a byte at a time through a table.
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc = CRC32C_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    fn record(sequence_hint: u64) -> pb::JournalRecord {
        pb::JournalRecord {
            next_operation: sequence_hint,
            entries: vec![pb::JournalEntry {
                collection: pb::journal_entry::Collection::Input as i32,
                name: format!("projects/p/locations/l/inputs/i{sequence_hint}"),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn records_are_replayed_in_order_and_a_torn_tail_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), 1, false, 0).unwrap();
        for i in 0..3 {
            journal.append(&mut record(i)).unwrap();
        }
        let first = journal.rotate(0).unwrap();
        assert_eq!(first, 4);
        journal.append(&mut record(3)).unwrap();
        assert_eq!(journal.last_sequence(), 4);
        // A torn append: half a frame.
        let path = segment_path(dir.path(), 4);
        let mut bytes = std::fs::read(&path).unwrap();
        let whole = bytes.len();
        bytes.extend_from_within(..whole / 2);
        std::fs::write(&path, &bytes).unwrap();

        let mut seen = Vec::new();
        let last = replay(dir.path(), 1, |r| seen.push(r.sequence)).unwrap();
        assert_eq!(seen, [2, 3, 4]);
        assert_eq!(last, 4);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole as u64);
        remove_before(dir.path(), 4).unwrap();
        assert_eq!(segments(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn corruption_before_the_tail_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), 1, false, 0).unwrap();
        journal.append(&mut record(0)).unwrap();
        journal.append(&mut record(1)).unwrap();
        journal.rotate(0).unwrap();
        journal.append(&mut record(2)).unwrap();
        let path = segment_path(dir.path(), 1);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[10] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let err = replay(dir.path(), 0, |_| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
