//! `--data-dir` persistence: the whole state as one `livestream.emulator.v1.Snapshot`
//! (see `proto/livestream/emulator/v1/state.proto`), written atomically (temporary file,
//! fsync, rename, fsync of the directory), so a crash leaves the previous or the new
//! snapshot, never half of one. The request_id replay cache and the injected faults are
//! not persisted.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use prost::Message;

use super::admin as pb;
use super::store::{Change, ChannelRec, Interval, OpRec, State, Verb, system_time, ts};

/// The snapshot file inside the data directory.
pub(crate) const FILE: &str = "state.pb";
const VERSION: u32 = 1;

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

/// The state as a snapshot message.
pub(crate) fn snapshot(state: &State, now: SystemTime) -> pb::Snapshot {
    pb::Snapshot {
        version: VERSION,
        saved_at: Some(ts(now)),
        channels: state
            .channels
            .values()
            .map(|r| pb::ChannelRecord {
                channel: Some(r.channel.clone()),
                running: r.running.iter().map(interval_to_pb).collect(),
                streaming: r.streaming.iter().map(interval_to_pb).collect(),
                muted: r.muted,
            })
            .collect(),
        inputs: state.inputs.values().cloned().collect(),
        events: state.events.values().cloned().collect(),
        clips: state.clips.values().cloned().collect(),
        dvr_sessions: state.dvr_sessions.values().cloned().collect(),
        assets: state.assets.values().cloned().collect(),
        pools: state.pools.values().cloned().collect(),
        operations: state
            .operations
            .values()
            .chain(state.orphans.values())
            .map(|r| pb::OperationRecord {
                operation: Some(r.op.clone()),
                change: r.change.as_ref().map(|c| pb::PendingChange {
                    verb: c.verb.as_str().to_owned(),
                    target: c.target.clone(),
                    next: c.next.clone(),
                    previous_state: c.previous_state,
                    keys: c.keys.clone(),
                }),
                due: r.due.map(ts),
            })
            .collect(),
        next_operation: state.next_operation,
    }
}

fn by_name<T>(items: Vec<T>, name: impl Fn(&T) -> &String) -> BTreeMap<String, T> {
    items.into_iter().map(|i| (name(&i).clone(), i)).collect()
}

/// Loads a snapshot into `state` (replacing its resources) and rebuilds its timers.
pub(crate) fn restore(state: &mut State, snapshot: pb::Snapshot, now: SystemTime) {
    state.reset();
    for r in snapshot.channels {
        let Some(channel) = r.channel else { continue };
        let rec = ChannelRec {
            running: r.running.iter().filter_map(interval_from_pb).collect(),
            streaming: r.streaming.iter().filter_map(interval_from_pb).collect(),
            muted: r.muted,
            channel,
        };
        state.channels.insert(rec.channel.name.clone(), rec);
    }
    state.inputs = by_name(snapshot.inputs, |i| &i.name);
    state.events = by_name(snapshot.events, |e| &e.name);
    state.clips = by_name(snapshot.clips, |c| &c.name);
    state.dvr_sessions = by_name(snapshot.dvr_sessions, |d| &d.name);
    state.assets = by_name(snapshot.assets, |a| &a.name);
    state.pools = by_name(snapshot.pools, |p| &p.name);
    for r in snapshot.operations {
        let Some(op) = r.operation else { continue };
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
        state
            .operations
            .insert(op.name.clone(), OpRec { op, change, due });
    }
    state.next_operation = snapshot.next_operation;
    state.rebuild_timers(now);
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
