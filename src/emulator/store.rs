//! The emulator's state: one ordered map per collection keyed by full resource name (so a
//! List is a range scan), the operations, the timer queue of time-driven transitions, and
//! the request_id replay cache. Everything here is plain data behind one lock; the RPC
//! logic lives in the per-resource modules as `impl State` blocks.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ops::Bound;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost_types::Timestamp;
use tonic::Status;

use super::config::EmulatorConfig;
use super::errors;
use super::paging::Tokens;
use super::validation::References;
use crate::longrunning::Operation;
use crate::names::{LocationName, NameError, ResourceName};
use crate::v1::{Asset, Channel, Clip, DvrSession, Event, Input, Pool};

/// The kinds of resource the emulator stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Channel,
    Input,
    Event,
    Clip,
    DvrSession,
    Asset,
    Pool,
    Operation,
}

impl Kind {
    /// The kind of a full resource name, from its collection segments.
    pub(crate) fn of(name: &str) -> Option<Kind> {
        let segments: Vec<&str> = name.split('/').collect();
        match segments.as_slice() {
            ["projects", _, "locations", _, collection, _] => match *collection {
                "channels" => Some(Kind::Channel),
                "inputs" => Some(Kind::Input),
                "assets" => Some(Kind::Asset),
                "pools" => Some(Kind::Pool),
                "operations" => Some(Kind::Operation),
                _ => None,
            },
            ["projects", _, "locations", _, "channels", _, collection, _] => match *collection {
                "events" => Some(Kind::Event),
                "clips" => Some(Kind::Clip),
                "dvrSessions" => Some(Kind::DvrSession),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn resource_type(self) -> &'static str {
        match self {
            Kind::Channel => "livestream.googleapis.com/Channel",
            Kind::Input => "livestream.googleapis.com/Input",
            Kind::Event => "livestream.googleapis.com/Event",
            Kind::Clip => "livestream.googleapis.com/Clip",
            Kind::DvrSession => "livestream.googleapis.com/DvrSession",
            Kind::Asset => "livestream.googleapis.com/Asset",
            Kind::Pool => "livestream.googleapis.com/Pool",
            Kind::Operation => "longrunning.googleapis.com/Operation",
        }
    }
}

/// A time interval; `end == None` while it is still open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interval {
    pub(crate) start: SystemTime,
    pub(crate) end: Option<SystemTime>,
}

impl Interval {
    pub(crate) fn overlaps(&self, from: SystemTime, to: SystemTime) -> bool {
        self.start < to && self.end.is_none_or(|end| end > from)
    }
}

/// How many intervals a channel remembers (oldest dropped): bounds memory per channel.
const MAX_INTERVALS: usize = 64;

/// A channel and what the emulator tracks about it besides the proto.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChannelRec {
    pub(crate) channel: Channel,
    /// When the channel was running (after its start completed).
    pub(crate) running: Vec<Interval>,
    /// When a (simulated) encoder fed it.
    pub(crate) streaming: Vec<Interval>,
    /// Whether a mute event is in effect.
    pub(crate) muted: bool,
}

impl ChannelRec {
    pub(crate) fn open(list: &mut Vec<Interval>, at: SystemTime) {
        if list.last().is_none_or(|i| i.end.is_some()) {
            list.push(Interval {
                start: at,
                end: None,
            });
            if list.len() > MAX_INTERVALS {
                list.remove(0);
            }
        }
    }

    pub(crate) fn close(list: &mut [Interval], at: SystemTime) {
        if let Some(last) = list.last_mut()
            && last.end.is_none()
        {
            last.end = Some(at.max(last.start));
        }
    }
}

/// What an operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    Create,
    Update,
    Delete,
    Start,
    Stop,
    StartDistribution,
    StopDistribution,
}

impl Verb {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::StartDistribution => "startdistribution",
            Verb::StopDistribution => "stopdistribution",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Verb> {
        [
            Verb::Create,
            Verb::Update,
            Verb::Delete,
            Verb::Start,
            Verb::Stop,
            Verb::StartDistribution,
            Verb::StopDistribution,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// The change a pending operation applies when it completes, as data (so it can be
/// completed later, rolled back on cancel, and persisted).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Change {
    pub(crate) verb: Verb,
    pub(crate) target: String,
    /// The encoded resource after an update.
    pub(crate) next: Vec<u8>,
    /// The target's state enum before the operation (for rollback).
    pub(crate) previous_state: i32,
    /// Distribution keys.
    pub(crate) keys: Vec<String>,
}

impl Change {
    pub(crate) fn new(verb: Verb, target: impl Into<String>) -> Self {
        Change {
            verb,
            target: target.into(),
            next: Vec::new(),
            previous_state: 0,
            keys: Vec::new(),
        }
    }
}

/// An operation and, while it runs, its pending change.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpRec {
    pub(crate) op: Operation,
    pub(crate) change: Option<Change>,
    /// When it completes by itself (None: manual, or done).
    pub(crate) due: Option<SystemTime>,
}

/// A time-driven transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// A delayed operation is due.
    Operation(String),
    /// An event reaches its execution time or its end.
    Event(String),
    /// A DVR session reaches a window boundary or the end of its cooldown.
    Dvr(String),
    /// An executed event is old enough to be deleted.
    EventGc(String),
    /// A finished operation is old enough to be forgotten.
    OperationGc(String),
}

/// What a replayed request answers.
#[derive(Clone, Debug)]
pub(crate) enum Saved {
    Operation(Operation),
    Event(Event),
    Empty,
}

/// The method (as `Method as usize`), the request's target or parent, and the request_id.
pub(crate) type ReplayKey = (usize, String, String);

/// Results of requests that carried a `request_id`, for the configured window.
#[derive(Debug, Default)]
pub(crate) struct Replays {
    map: HashMap<ReplayKey, Saved>,
    order: VecDeque<(SystemTime, ReplayKey)>,
    /// While tracking (for the journal): the keys inserted since the journal took them.
    added: Option<Vec<ReplayKey>>,
}

impl Replays {
    /// Forgets the request_ids older than the window.
    pub(crate) fn prune(&mut self, now: SystemTime, window: Duration) {
        while let Some((at, _)) = self.order.front() {
            if now.duration_since(*at).unwrap_or(Duration::ZERO) < window {
                break;
            }
            if let Some((_, key)) = self.order.pop_front() {
                self.map.remove(&key);
            }
        }
    }

    pub(crate) fn get(
        &mut self,
        key: &ReplayKey,
        now: SystemTime,
        window: Duration,
    ) -> Option<Saved> {
        self.prune(now, window);
        self.map.get(key).cloned()
    }

    pub(crate) fn insert(&mut self, key: ReplayKey, saved: Saved, now: SystemTime) {
        if self.map.insert(key.clone(), saved).is_none() {
            if let Some(added) = &mut self.added {
                added.push(key.clone());
            }
            self.order.push_back((now, key));
        }
    }

    fn set_tracking(&mut self, on: bool) {
        self.added = on.then(Vec::new);
    }

    fn tracking(&self) -> bool {
        self.added.is_some()
    }

    /// The entries inserted since the last call, with when (empty when not tracking).
    pub(crate) fn take_added(&mut self) -> Vec<(SystemTime, ReplayKey, Saved)> {
        let Some(added) = self.added.as_mut().map(std::mem::take) else {
            return Vec::new();
        };
        added
            .into_iter()
            .filter_map(|key| {
                let saved = self.map.get(&key)?.clone();
                let at = self
                    .order
                    .iter()
                    .rev()
                    .find(|(_, k)| *k == key)
                    .map(|(at, _)| *at)?;
                Some((at, key, saved))
            })
            .collect()
    }

    /// Every remembered entry, oldest first, with when it was first answered.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (SystemTime, &ReplayKey, &Saved)> {
        self.order
            .iter()
            .filter_map(|(at, key)| Some((*at, key, self.map.get(key)?)))
    }

    /// How many request_ids are remembered.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// A collection keyed by full resource name that, while tracking is on (with `--data-dir`),
/// remembers which names changed since the journal last took them: every mutation goes
/// through its methods (it hands out no `&mut BTreeMap`), so none escapes the journal.
#[derive(Debug)]
pub(crate) struct Tracked<V> {
    map: BTreeMap<String, V>,
    dirty: Option<BTreeSet<String>>,
}

impl<V> Default for Tracked<V> {
    fn default() -> Self {
        Tracked {
            map: BTreeMap::new(),
            dirty: None,
        }
    }
}

impl<V> std::ops::Deref for Tracked<V> {
    type Target = BTreeMap<String, V>;

    fn deref(&self) -> &BTreeMap<String, V> {
        &self.map
    }
}

impl<V> From<BTreeMap<String, V>> for Tracked<V> {
    fn from(map: BTreeMap<String, V>) -> Self {
        Tracked { map, dirty: None }
    }
}

impl<V> Tracked<V> {
    fn mark(&mut self, name: &str) {
        if let Some(dirty) = &mut self.dirty
            && !dirty.contains(name)
        {
            dirty.insert(name.to_owned());
        }
    }

    pub(crate) fn insert(&mut self, name: String, value: V) -> Option<V> {
        self.mark(&name);
        self.map.insert(name, value)
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<V> {
        let removed = self.map.remove(name);
        if removed.is_some() {
            self.mark(name);
        }
        removed
    }

    /// The value, to change it (marked changed whether or not the caller does).
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        if self.map.contains_key(name) {
            self.mark(name);
        }
        self.map.get_mut(name)
    }

    /// Removes every entry whose name starts with `prefix`.
    pub(crate) fn remove_prefix(&mut self, prefix: &str) {
        let names: Vec<String> = scan(&self.map, prefix).map(|(k, _)| k.clone()).collect();
        for name in names {
            self.remove(&name);
        }
    }

    /// Starts (or stops) remembering changes.
    pub(crate) fn set_tracking(&mut self, on: bool) {
        self.dirty = on.then(BTreeSet::new);
    }

    /// The names changed since the last call (empty when not tracking).
    pub(crate) fn take_dirty(&mut self) -> BTreeSet<String> {
        self.dirty.as_mut().map(std::mem::take).unwrap_or_default()
    }
}

/// The whole emulated world.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) config: EmulatorConfig,
    pub(crate) channels: Tracked<ChannelRec>,
    pub(crate) inputs: Tracked<Input>,
    pub(crate) events: Tracked<Event>,
    pub(crate) clips: Tracked<Clip>,
    pub(crate) dvr_sessions: Tracked<DvrSession>,
    pub(crate) assets: Tracked<Asset>,
    pub(crate) pools: Tracked<Pool>,
    pub(crate) operations: Tracked<OpRec>,
    /// Pending operations whose record DeleteOperation removed: their work still completes.
    pub(crate) orphans: Tracked<OpRec>,
    pub(crate) timers: BTreeMap<(SystemTime, u64), Timer>,
    timer_seq: u64,
    pub(crate) next_operation: u64,
    pub(crate) replays: Replays,
    pub(crate) tokens: Tokens,
    /// Bumped on every write.
    pub(crate) generation: u64,
    /// With `--data-dir`: the journal every commit appends its changes to.
    pub(crate) journal: Option<super::journal::Journal>,
    /// The state was reset since the last commit (the journal records it).
    pub(crate) reset_pending: bool,
}

impl State {
    pub(crate) fn new(config: EmulatorConfig) -> Self {
        State {
            config,
            channels: Tracked::default(),
            inputs: Tracked::default(),
            events: Tracked::default(),
            clips: Tracked::default(),
            dvr_sessions: Tracked::default(),
            assets: Tracked::default(),
            pools: Tracked::default(),
            operations: Tracked::default(),
            orphans: Tracked::default(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            next_operation: 0,
            replays: Replays::default(),
            tokens: Tokens {
                secret: fastrand::u64(..),
            },
            generation: 0,
            journal: None,
            reset_pending: false,
        }
    }

    /// Forgets every resource, operation, timer and request_id (keeps the configuration
    /// and the journal, which records the reset).
    pub(crate) fn reset(&mut self) {
        let config = self.config.clone();
        let generation = self.generation;
        let journal = self.journal.take();
        let tracking = self.replays.tracking();
        *self = State::new(config);
        self.generation = generation.wrapping_add(1);
        self.journal = journal;
        if tracking {
            self.set_tracking(true);
            self.reset_pending = true;
        }
    }

    /// Starts (or stops) remembering what changes, for the journal.
    pub(crate) fn set_tracking(&mut self, on: bool) {
        self.channels.set_tracking(on);
        self.inputs.set_tracking(on);
        self.events.set_tracking(on);
        self.clips.set_tracking(on);
        self.dvr_sessions.set_tracking(on);
        self.assets.set_tracking(on);
        self.pools.set_tracking(on);
        self.operations.set_tracking(on);
        self.orphans.set_tracking(on);
        self.replays.set_tracking(on);
    }

    pub(crate) fn schedule(&mut self, at: SystemTime, timer: Timer) {
        self.timer_seq = self.timer_seq.wrapping_add(1);
        self.timers.insert((at, self.timer_seq), timer);
    }

    /// When the earliest timer is due.
    pub(crate) fn next_due(&self) -> Option<SystemTime> {
        self.timers.keys().next().map(|(at, _)| *at)
    }

    /// Runs every timer due at or before `now`, in time order.
    pub(crate) fn run_due(&mut self, now: SystemTime) {
        while let Some(entry) = self.timers.first_entry() {
            let at = entry.key().0;
            if at > now {
                break;
            }
            let timer = entry.remove();
            match timer {
                Timer::Operation(name) => {
                    let due = self
                        .operations
                        .get(&name)
                        .or_else(|| self.orphans.get(&name))
                        .and_then(|r| r.due);
                    if due.is_some_and(|d| d <= at) {
                        self.complete_operation(&name, at);
                    }
                }
                Timer::Event(name) => self.event_tick(&name, at),
                Timer::Dvr(name) => self.dvr_tick(&name, at),
                Timer::EventGc(name) => self.event_gc(&name, at),
                Timer::OperationGc(name) => {
                    if self.operations.get(&name).is_some_and(|r| r.op.done) {
                        self.operations.remove(&name);
                    }
                }
            }
        }
        let window = self.config.request_id_window;
        self.replays.prune(now, window);
        // Timers of deleted resources (an event deleted before its execution time, which may
        // be years ahead) and superseded ones (a DVR session's old boundaries) stay queued
        // until they are due: when they outnumber the live ones, the queue is rebuilt from
        // the resources, so it stays proportional to them.
        if self.timers.len() > self.timer_budget() {
            self.rebuild_timers(now);
        }
    }

    /// How many queued timers the live resources justify, with room for stale ones: a
    /// pending or finished operation, an event and a DVR session need one each at a time.
    fn timer_budget(&self) -> usize {
        let live = self.operations.len()
            + self.orphans.len()
            + self.events.len()
            + self.dvr_sessions.len();
        1024 + 2 * live
    }

    /// Rebuilds the timer queue from the stored resources (after loading a snapshot).
    pub(crate) fn rebuild_timers(&mut self, now: SystemTime) {
        self.timers.clear();
        let ops: Vec<(String, Option<SystemTime>)> = self
            .operations
            .iter()
            .chain(self.orphans.iter())
            .filter(|(_, r)| !r.op.done)
            .map(|(n, r)| (n.clone(), r.due))
            .collect();
        for (name, due) in ops {
            if let Some(due) = due {
                self.schedule(due, Timer::Operation(name));
            }
        }
        if let Some(ttl) = self.config.operation_ttl {
            let done: Vec<(String, SystemTime)> = self
                .operations
                .iter()
                .filter(|(_, r)| r.op.done)
                .map(|(n, r)| {
                    let ended = super::lro::metadata_of(&r.op)
                        .end_time
                        .as_ref()
                        .and_then(system_time)
                        .unwrap_or(now);
                    (n.clone(), later(ended, ttl))
                })
                .collect();
            for (name, at) in done {
                self.schedule(at, Timer::OperationGc(name));
            }
        }
        let events: Vec<String> = self.events.keys().cloned().collect();
        for name in events {
            self.schedule_event(&name, now);
        }
        let dvrs: Vec<String> = self.dvr_sessions.keys().cloned().collect();
        for name in dvrs {
            self.schedule_dvr(&name, now);
        }
    }

    /// Removes a resource (and, for a channel, everything under it) by name.
    pub(crate) fn remove_resource(&mut self, name: &str) {
        match Kind::of(name) {
            Some(Kind::Channel) => {
                self.channels.remove(name);
                let prefix = format!("{name}/");
                self.events.remove_prefix(&prefix);
                self.clips.remove_prefix(&prefix);
                self.dvr_sessions.remove_prefix(&prefix);
            }
            Some(Kind::Input) => {
                self.inputs.remove(name);
            }
            Some(Kind::Event) => {
                self.events.remove(name);
            }
            Some(Kind::Clip) => {
                self.clips.remove(name);
            }
            Some(Kind::DvrSession) => {
                self.dvr_sessions.remove(name);
            }
            Some(Kind::Asset) => {
                self.assets.remove(name);
            }
            Some(Kind::Pool) => {
                self.pools.remove(name);
            }
            Some(Kind::Operation) => {
                self.operations.remove(name);
            }
            None => {}
        }
    }

    /// Checks that the location is one the emulator serves.
    pub(crate) fn check_location(
        &self,
        field: &str,
        location: &LocationName,
    ) -> Result<(), Status> {
        if self
            .config
            .locations
            .iter()
            .any(|l| l == location.location())
        {
            Ok(())
        } else {
            Err(errors::invalid(
                field,
                format!(
                    "location '{}' is not supported; supported locations: {}",
                    location.location(),
                    self.config.locations.join(", ")
                ),
            ))
        }
    }

    /// How many keys of `map` start with `prefix`.
    pub(crate) fn count_prefix<V>(map: &BTreeMap<String, V>, prefix: &str) -> usize {
        scan(map, prefix).count()
    }

    /// Checks a per-collection quota before adding one more item under `prefix`.
    pub(crate) fn check_quota<V>(
        map: &BTreeMap<String, V>,
        prefix: &str,
        limit: Option<usize>,
        what: &str,
        scope: &str,
    ) -> Result<(), Status> {
        if let Some(limit) = limit
            && Self::count_prefix(map, prefix) >= limit
        {
            return Err(errors::quota(
                scope,
                format!("Quota exceeded: at most {limit} {what} are allowed in '{scope}'"),
            ));
        }
        Ok(())
    }
}

impl References for State {
    fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.get(name)
    }

    fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.get(name)
    }
}

/// The entries whose keys start with `prefix`, in key order: a range scan, not a full one.
pub(crate) fn scan<'a, V>(
    map: &'a BTreeMap<String, V>,
    prefix: &'a str,
) -> impl Iterator<Item = (&'a String, &'a V)> + 'a {
    map.range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(move |(k, _)| k.starts_with(prefix))
}

/// Parses a required name field: INVALID_ARGUMENT (naming the field and the expected
/// pattern) when empty or malformed.
pub(crate) fn parse_name<N: ResourceName>(field: &str, value: &str) -> Result<N, Status> {
    if value.is_empty() {
        return Err(errors::required(field));
    }
    value
        .parse::<N>()
        .map_err(|e: NameError| errors::invalid(field, e.to_string()))
}

/// Checks a required `*_id` field against the server's ID rule.
pub(crate) fn check_id(field: &str, id: &str) -> Result<(), Status> {
    if id.is_empty() {
        return Err(errors::required(field));
    }
    crate::names::validate_resource_id(id).map_err(|e| errors::invalid(field, e.to_string()))
}

/// The value of a `map` entry or NOT_FOUND.
pub(crate) fn found<'a, V>(map: &'a BTreeMap<String, V>, name: &str) -> Result<&'a V, Status> {
    map.get(name).ok_or_else(|| errors::not_found(name))
}

/// The mutable value of a `map` entry or NOT_FOUND.
pub(crate) fn found_mut<'a, V>(map: &'a mut Tracked<V>, name: &str) -> Result<&'a mut V, Status> {
    map.get_mut(name).ok_or_else(|| errors::not_found(name))
}

/// A required message field, or INVALID_ARGUMENT naming it.
pub(crate) fn required<T>(field: &str, value: Option<T>) -> Result<T, Status> {
    value.ok_or_else(|| errors::required(field))
}

/// The valid range of `google.protobuf.Timestamp.seconds`: 0001-01-01T00:00:00Z to
/// 9999-12-31T23:59:59Z.
const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// The valid range of `google.protobuf.Duration.seconds` (about ±10,000 years).
const DURATION_SECONDS: std::ops::RangeInclusive<i64> = -315_576_000_000..=315_576_000_000;

/// The latest time a `google.protobuf.Timestamp` can hold (9999-12-31T23:59:59.999999999Z):
/// the emulator's clock and every time it computes saturate here, so every timestamp it
/// answers is valid.
pub(crate) fn max_time() -> SystemTime {
    // Every platform's SystemTime reaches year 9999 (Windows: 30828; Unix: i64 seconds).
    UNIX_EPOCH
        .checked_add(Duration::new(253_402_300_799, 999_999_999))
        .unwrap_or(UNIX_EPOCH)
}

/// The earliest time a `google.protobuf.Timestamp` can hold (0001-01-01T00:00:00Z), on
/// platforms whose `SystemTime` reaches that far back (else the Unix epoch).
fn min_time() -> SystemTime {
    UNIX_EPOCH
        .checked_sub(Duration::from_secs(62_135_596_800))
        .unwrap_or(UNIX_EPOCH)
}

/// A time as a `Timestamp`, clamped into the range a Timestamp can hold (the conversion in
/// `prost_types` unwraps, so it never sees an out-of-range time).
pub(crate) fn ts(t: SystemTime) -> Timestamp {
    let t = t.clamp(min_time(), max_time());
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => Timestamp {
            seconds: i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            nanos: i32::try_from(after.subsec_nanos()).unwrap_or(0),
        },
        Err(before) => {
            let before = before.duration();
            let seconds = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            let nanos = i32::try_from(before.subsec_nanos()).unwrap_or(0);
            if nanos == 0 {
                Timestamp {
                    seconds: -seconds,
                    nanos: 0,
                }
            } else {
                Timestamp {
                    seconds: -seconds - 1,
                    nanos: 1_000_000_000 - nanos,
                }
            }
        }
    }
}

/// A timestamp as a `SystemTime`, if it is a valid `google.protobuf.Timestamp` (nanos in
/// `0..1e9`, years 1 to 9999). Only checked arithmetic: no value panics, in debug builds
/// either.
pub(crate) fn system_time(t: &Timestamp) -> Option<SystemTime> {
    if !(0..1_000_000_000).contains(&t.nanos) || !TIMESTAMP_SECONDS.contains(&t.seconds) {
        return None;
    }
    let nanos = Duration::from_nanos(u64::try_from(t.nanos).ok()?);
    let base = match u64::try_from(t.seconds) {
        Ok(after) => UNIX_EPOCH.checked_add(Duration::from_secs(after))?,
        Err(_) => UNIX_EPOCH.checked_sub(Duration::from_secs(t.seconds.unsigned_abs()))?,
    };
    base.checked_add(nanos)
}

/// A timestamp from a request as a `SystemTime`, INVALID_ARGUMENT if out of range.
pub(crate) fn time_of(field: &str, t: &Timestamp) -> Result<SystemTime, Status> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return Err(errors::invalid(field, "nanos must be within 0..1e9"));
    }
    // Years 1..=9999, as google.protobuf.Timestamp requires.
    system_time(t).ok_or_else(|| errors::invalid(field, "timestamp is out of range"))
}

/// Why a `google.protobuf.Duration` cannot be used as a length of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DurationError {
    /// Beyond ±10,000 years, or nanos beyond ±999,999,999.
    OutOfRange,
    /// `seconds` and `nanos` have different signs.
    MixedSigns,
    /// Less than zero.
    Negative,
}

/// A duration as a `std::time::Duration`, if it is a valid, non-negative
/// `google.protobuf.Duration`. Only checked arithmetic (the conversion in `prost_types`
/// negates `seconds`, which overflows on `i64::MIN` in debug builds).
pub(crate) fn std_duration(d: &prost_types::Duration) -> Result<Duration, DurationError> {
    if !DURATION_SECONDS.contains(&d.seconds) || !(-999_999_999..=999_999_999).contains(&d.nanos) {
        return Err(DurationError::OutOfRange);
    }
    if (d.seconds < 0 && d.nanos > 0) || (d.seconds > 0 && d.nanos < 0) {
        return Err(DurationError::MixedSigns);
    }
    match (u64::try_from(d.seconds), u32::try_from(d.nanos)) {
        (Ok(seconds), Ok(nanos)) => Ok(Duration::new(seconds, nanos)),
        _ => Err(DurationError::Negative),
    }
}

/// A duration from a request, INVALID_ARGUMENT if negative or out of range.
pub(crate) fn duration_of(field: &str, d: &prost_types::Duration) -> Result<Duration, Status> {
    std_duration(d).map_err(|e| {
        errors::invalid(
            field,
            match e {
                DurationError::OutOfRange => "duration is out of range",
                DurationError::MixedSigns => "seconds and nanos must have the same sign",
                DurationError::Negative => "duration must not be negative",
            },
        )
    })
}

/// `at + d`, saturating at [`max_time`]: never a panic, never a time a Timestamp cannot hold.
pub(crate) fn later(at: SystemTime, d: Duration) -> SystemTime {
    at.checked_add(d)
        .map_or_else(max_time, |t| t.min(max_time()))
}

/// The resource an Update request produces (EMULATOR.md, "What it emulates": update masks):
/// with a mask, the masked paths copied from `body` (absent ones cleared); without one, the
/// updatable fields present in `body`.
pub(crate) fn merge_update<M: crate::field_mask::Updatable>(
    existing: &M,
    body: &M,
    mask: Option<&prost_types::FieldMask>,
) -> Result<M, Status> {
    use crate::field_mask::{self, FieldMaskError};
    let to_status = |e: FieldMaskError| match e {
        FieldMaskError::Descriptor(e) => errors::internal(e),
        other => errors::invalid("update_mask", other.to_string()),
    };
    let paths = match mask {
        Some(mask) if !mask.paths.is_empty() => {
            field_mask::validate_paths::<M>(&mask.paths).map_err(to_status)?
        }
        _ if M::MASK_REQUIRED => return Err(errors::required("update_mask")),
        _ => field_mask::present_paths(body).map_err(to_status)?,
    };
    let mut merged = existing.clone();
    field_mask::apply(&mut merged, body, &paths).map_err(to_status)?;
    Ok(merged)
}

/// Decodes the resource an update operation carries.
pub(crate) fn decode_next<M: prost::Message + Default>(
    bytes: &[u8],
) -> Result<M, crate::rpc::Status> {
    M::decode(bytes).map_err(|e| super::lro::rpc_status(tonic::Code::Internal, e.to_string()))
}

impl State {
    /// One page of a collection, with the configured page-size limits and token secret.
    pub(crate) fn list<V, T: super::filter::Filterable + Clone>(
        &self,
        map: &BTreeMap<String, V>,
        prefix: &str,
        params: super::paging::ListParams<'_>,
        descending: bool,
        project: impl Fn(&V) -> &T,
    ) -> Result<(Vec<T>, String), Status> {
        super::paging::page(
            map,
            prefix,
            &params,
            (self.config.default_page_size, self.config.max_page_size),
            self.tokens,
            descending,
            project,
        )
    }
}
