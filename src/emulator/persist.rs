//! `--data-dir` persistence (EMULATOR.md, "Durability"): the whole state as one
//! `livestream.emulator.v1.Snapshot` (see `proto/livestream/emulator/v1/state.proto`),
//! written atomically (temporary file, fsync, rename, fsync of the directory), so a crash
//! leaves the previous or the new snapshot, never half of one; and the conversions of the
//! journal (`journal.rs`): a commit's changes as a `JournalRecord`, and a record applied
//! again on start. Injected faults, call counts and the request log are not persisted.
//! [`export`] is the same snapshot with credentials redacted, for `ExportState`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use prost::{Message, Name as _};

use super::admin as pb;
use super::admin::journal_entry::Collection;
use super::admin::replay_record::Answer;
use super::faults::redacted_credential;
use super::store::{
    Change, ChannelRec, Interval, OpRec, ReplayKey, Saved, State, Tracked, Verb, system_time, ts,
};
use crate::methods::Method;
use crate::names::ChannelName;
use crate::v1::{Channel, distribution};

/// The snapshot file inside the data directory.
pub(crate) const FILE: &str = "state.pb";
const VERSION: u32 = STATE_FORMAT_VERSION;

/// The `version` of the state snapshots this emulator writes and reads
/// ([`Emulator::export_state`](super::Emulator::export_state), a `--data-dir`'s
/// `state.pb`, [`EmulatorBuilder::initial_state`](super::EmulatorBuilder::initial_state)).
pub const STATE_FORMAT_VERSION: u32 = 1;

fn interval_to_pb(i: &Interval) -> pb::Interval {
    pb::Interval {
        start: Some(ts(i.start)),
        end: i.end.map(ts),
    }
}

fn interval_from_pb(i: &pb::Interval) -> Option<Interval> {
    Some(Interval {
        start: system_time(i.start.as_ref()?)?,
        end: i.end.as_ref().and_then(system_time),
    })
}

fn channel_to_pb(r: &ChannelRec) -> pb::ChannelRecord {
    pb::ChannelRecord {
        channel: Some(r.channel.clone()),
        running: r.running.iter().map(interval_to_pb).collect(),
        streaming: r.streaming.iter().map(interval_to_pb).collect(),
        muted: r.muted,
    }
}

fn channel_from_pb(r: pb::ChannelRecord) -> Option<ChannelRec> {
    Some(ChannelRec {
        running: r.running.iter().filter_map(interval_from_pb).collect(),
        streaming: r.streaming.iter().filter_map(interval_from_pb).collect(),
        muted: r.muted,
        channel: r.channel?,
    })
}

fn operation_to_pb(r: &OpRec) -> pb::OperationRecord {
    pb::OperationRecord {
        operation: Some(r.op.clone()),
        change: r.change.as_ref().map(|c| pb::PendingChange {
            verb: c.verb.as_str().to_owned(),
            target: c.target.clone(),
            next: c.next.clone(),
            previous_state: c.previous_state,
            keys: c.keys.clone(),
        }),
        due: r.due.map(ts),
    }
}

fn operation_from_pb(r: pb::OperationRecord) -> Option<OpRec> {
    let op = r.operation?;
    let change = r.change.and_then(|c| {
        Some(Change {
            verb: Verb::parse(&c.verb)?,
            target: c.target,
            next: c.next,
            previous_state: c.previous_state,
            keys: c.keys,
        })
    });
    let due = r.due.as_ref().and_then(system_time);
    Some(OpRec { op, change, due })
}

fn replay_to_pb(at: SystemTime, key: &ReplayKey, saved: &Saved) -> pb::ReplayRecord {
    pb::ReplayRecord {
        method: Method::ALL.get(key.0).map_or("", |m| m.name()).to_owned(),
        target: key.1.clone(),
        request_id: key.2.clone(),
        at: Some(ts(at)),
        answer: Some(match saved {
            Saved::Operation(op) => Answer::Operation(op.clone()),
            Saved::Event(event) => Answer::Event(event.clone()),
            Saved::Empty => Answer::Empty(()),
        }),
    }
}

fn replay_from_pb(r: pb::ReplayRecord) -> Option<(SystemTime, ReplayKey, Saved)> {
    let method = Method::from_name(&r.method)?;
    let at = system_time(r.at.as_ref()?)?;
    let saved = match r.answer? {
        Answer::Operation(op) => Saved::Operation(op),
        Answer::Event(event) => Saved::Event(event),
        Answer::Empty(()) => Saved::Empty,
    };
    Some((at, (method as usize, r.target, r.request_id), saved))
}

/// The state as a snapshot message, including the journal records through
/// `journal_sequence`.
pub(crate) fn snapshot(state: &State, now: SystemTime, journal_sequence: u64) -> pb::Snapshot {
    pb::Snapshot {
        version: VERSION,
        saved_at: Some(ts(now)),
        channels: state.channels.values().map(channel_to_pb).collect(),
        inputs: state.inputs.values().cloned().collect(),
        events: state.events.values().cloned().collect(),
        clips: state.clips.values().cloned().collect(),
        dvr_sessions: state.dvr_sessions.values().cloned().collect(),
        assets: state.assets.values().cloned().collect(),
        pools: state.pools.values().cloned().collect(),
        operations: state.operations.values().map(operation_to_pb).collect(),
        next_operation: state.next_operation,
        journal_sequence,
        replays: state
            .replays
            .entries()
            .map(|(at, key, saved)| replay_to_pb(at, key, saved))
            .collect(),
        orphans: state.orphans.values().map(operation_to_pb).collect(),
    }
}

/// The state as [`snapshot`] writes it, with every credential redacted (what the admin
/// service's `ExportState` hands out): an RTMP push distribution's `stream_key`, in the
/// channels and wherever a channel is kept (operation results, an update's pending body,
/// the answers remembered for a `request_id`), becomes `<redacted, N bytes>`.
pub(crate) fn export(state: &State, now: SystemTime) -> pb::Snapshot {
    let last = state.journal.as_ref().map_or(0, |j| j.last_sequence());
    let mut snapshot = snapshot(state, now, last);
    for record in &mut snapshot.channels {
        if let Some(channel) = &mut record.channel {
            redact_channel(channel);
        }
    }
    for record in snapshot.operations.iter_mut().chain(&mut snapshot.orphans) {
        if let Some(op) = &mut record.operation {
            redact_operation(op);
        }
        if let Some(change) = &mut record.change
            && change.target.parse::<ChannelName>().is_ok()
            && !change.next.is_empty()
            && let Ok(mut channel) = Channel::decode(change.next.as_slice())
        {
            redact_channel(&mut channel);
            change.next = channel.encode_to_vec();
        }
    }
    for replay in &mut snapshot.replays {
        if let Some(Answer::Operation(op)) = &mut replay.answer {
            redact_operation(op);
        }
    }
    snapshot
}

fn redact_channel(channel: &mut Channel) {
    for distribution in &mut channel.distributions {
        if let Some(distribution::Endpoint::RtmpPush(rtmp)) = &mut distribution.endpoint
            && !rtmp.stream_key.is_empty()
        {
            rtmp.stream_key = redacted_credential(rtmp.stream_key.as_bytes());
        }
    }
}

fn redact_operation(op: &mut crate::longrunning::Operation) {
    use crate::longrunning::operation::Result as OpResult;
    if let Some(OpResult::Response(any)) = &mut op.result
        && any.type_url == Channel::type_url()
        && let Ok(mut channel) = Channel::decode(any.value.as_slice())
    {
        redact_channel(&mut channel);
        any.value = channel.encode_to_vec();
    }
}

fn by_name<T>(items: Vec<T>, name: impl Fn(&T) -> &String) -> Tracked<T> {
    items
        .into_iter()
        .map(|i| (name(&i).clone(), i))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into()
}

/// Loads a snapshot into `state` (replacing its resources). The caller rebuilds the timers
/// once the journal is replayed too.
pub(crate) fn restore(state: &mut State, snapshot: pb::Snapshot) {
    state.reset();
    state.channels = snapshot
        .channels
        .into_iter()
        .filter_map(channel_from_pb)
        .map(|r| (r.channel.name.clone(), r))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into();
    state.inputs = by_name(snapshot.inputs, |i| &i.name);
    state.events = by_name(snapshot.events, |e| &e.name);
    state.clips = by_name(snapshot.clips, |c| &c.name);
    state.dvr_sessions = by_name(snapshot.dvr_sessions, |d| &d.name);
    state.assets = by_name(snapshot.assets, |a| &a.name);
    state.pools = by_name(snapshot.pools, |p| &p.name);
    let ops = |records: Vec<pb::OperationRecord>| {
        records
            .into_iter()
            .filter_map(operation_from_pb)
            .map(|r| (r.op.name.clone(), r))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into()
    };
    state.operations = ops(snapshot.operations);
    state.orphans = ops(snapshot.orphans);
    for (at, key, saved) in snapshot.replays.into_iter().filter_map(replay_from_pb) {
        state.replays.insert(key, saved, at);
    }
    state.next_operation = snapshot.next_operation;
}

/// The changes of the commit now ending, as a journal record (without its sequence
/// number), or `None` if it changed nothing. Takes the tracked changes.
pub(crate) fn take_changes(state: &mut State, now: SystemTime) -> Option<pb::JournalRecord> {
    fn entries<V>(
        out: &mut Vec<pb::JournalEntry>,
        collection: Collection,
        map: &mut Tracked<V>,
        encode: impl Fn(&V) -> Vec<u8>,
    ) {
        for name in map.take_dirty() {
            let value = map.get(&name).map(&encode);
            out.push(pb::JournalEntry {
                collection: collection as i32,
                deleted: value.is_none(),
                value: value.unwrap_or_default(),
                name,
            });
        }
    }
    let mut changed = Vec::new();
    entries(
        &mut changed,
        Collection::Channel,
        &mut state.channels,
        |r| channel_to_pb(r).encode_to_vec(),
    );
    entries(&mut changed, Collection::Input, &mut state.inputs, |r| {
        r.encode_to_vec()
    });
    entries(&mut changed, Collection::Event, &mut state.events, |r| {
        r.encode_to_vec()
    });
    entries(&mut changed, Collection::Clip, &mut state.clips, |r| {
        r.encode_to_vec()
    });
    entries(
        &mut changed,
        Collection::DvrSession,
        &mut state.dvr_sessions,
        |r| r.encode_to_vec(),
    );
    entries(&mut changed, Collection::Asset, &mut state.assets, |r| {
        r.encode_to_vec()
    });
    entries(&mut changed, Collection::Pool, &mut state.pools, |r| {
        r.encode_to_vec()
    });
    entries(
        &mut changed,
        Collection::Operation,
        &mut state.operations,
        |r| operation_to_pb(r).encode_to_vec(),
    );
    entries(&mut changed, Collection::Orphan, &mut state.orphans, |r| {
        operation_to_pb(r).encode_to_vec()
    });
    let replays: Vec<pb::ReplayRecord> = state
        .replays
        .take_added()
        .iter()
        .map(|(at, key, saved)| replay_to_pb(*at, key, saved))
        .collect();
    let reset = std::mem::take(&mut state.reset_pending);
    if changed.is_empty() && replays.is_empty() && !reset {
        return None;
    }
    Some(pb::JournalRecord {
        sequence: 0,
        at: Some(ts(now)),
        next_operation: state.next_operation,
        reset,
        entries: changed,
        replays,
    })
}

/// Applies a journal record to the state (on start, after the snapshot). Records that do
/// not decode are skipped with a warning (they passed their CRC, so only a format change
/// could cause it).
pub(crate) fn apply(state: &mut State, record: pb::JournalRecord) {
    fn put<V: Message + Default>(map: &mut Tracked<V>, entry: pb::JournalEntry) {
        if entry.deleted {
            map.remove(&entry.name);
        } else if let Ok(value) = V::decode(entry.value.as_slice()) {
            map.insert(entry.name, value);
        } else {
            tracing::warn!("emulator: journal entry for {} does not decode", entry.name);
        }
    }
    fn put_with<P: Message + Default, V>(
        map: &mut Tracked<V>,
        entry: pb::JournalEntry,
        convert: impl Fn(P) -> Option<V>,
    ) {
        if entry.deleted {
            map.remove(&entry.name);
        } else if let Some(value) = P::decode(entry.value.as_slice()).ok().and_then(convert) {
            map.insert(entry.name, value);
        } else {
            tracing::warn!("emulator: journal entry for {} does not decode", entry.name);
        }
    }
    if record.reset {
        let next_operation = state.next_operation;
        state.reset();
        state.next_operation = next_operation;
    }
    for entry in record.entries {
        match Collection::try_from(entry.collection) {
            Ok(Collection::Channel) => put_with(&mut state.channels, entry, channel_from_pb),
            Ok(Collection::Input) => put(&mut state.inputs, entry),
            Ok(Collection::Event) => put(&mut state.events, entry),
            Ok(Collection::Clip) => put(&mut state.clips, entry),
            Ok(Collection::DvrSession) => put(&mut state.dvr_sessions, entry),
            Ok(Collection::Asset) => put(&mut state.assets, entry),
            Ok(Collection::Pool) => put(&mut state.pools, entry),
            Ok(Collection::Operation) => put_with(&mut state.operations, entry, operation_from_pb),
            Ok(Collection::Orphan) => put_with(&mut state.orphans, entry, operation_from_pb),
            Ok(Collection::Unspecified) | Err(_) => {
                tracing::warn!(
                    "emulator: journal entry of unknown collection {}",
                    entry.collection
                );
            }
        }
    }
    for (at, key, saved) in record.replays.into_iter().filter_map(replay_from_pb) {
        state.replays.insert(key, saved, at);
    }
    state.next_operation = record.next_operation;
}

/// Reads the snapshot of `dir`, if there is one.
pub(crate) fn load(dir: &Path) -> std::io::Result<Option<pb::Snapshot>> {
    let bytes = match std::fs::read(dir.join(FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let snapshot = pb::Snapshot::decode(bytes.as_slice())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    if snapshot.version != VERSION {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} has format version {}, this emulator reads {VERSION}",
                dir.join(FILE).display(),
                snapshot.version
            ),
        ));
    }
    Ok(Some(snapshot))
}

/// Writes `bytes` as the snapshot of `dir`, atomically.
pub(crate) fn write(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let target = dir.join(FILE);
    let temp: PathBuf = dir.join(format!("{FILE}.tmp"));
    {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temp, &target)?;
    // The rename itself must reach the disk too.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
