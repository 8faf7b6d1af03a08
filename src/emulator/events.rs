//! Events (EMULATOR.md, "What it emulates": state machines): synchronous create/delete, and
//! the time-driven state machine SCHEDULED → RUNNING → SUCCEEDED | FAILED | STOPPED.

use std::time::{Duration, SystemTime};

use tonic::{Code, Status};

use super::channels::{channel_state_error, is_live, is_started};
use super::errors;
use super::lro::rpc_status;
use super::store::{
    State, Timer, check_id, duration_of, found, later, parse_name, required, scan, std_duration,
    system_time, time_of, ts,
};
use super::validation;
use crate::names::{ChannelName, EventName};
use crate::v1::event::{State as EventState, Task};
use crate::v1::{
    CreateEventRequest, DeleteEventRequest, Event, GetEventRequest, ListEventsRequest,
    ListEventsResponse,
};

/// Events must be scheduled at least this far ahead (proto `Event.execution_time`).
const MIN_LEAD: Duration = Duration::from_secs(10);

/// The task's duration, if it has one (zero or unset: none).
fn task_duration(task: &Task) -> Option<&prost_types::Duration> {
    match task {
        Task::AdBreak(t) => t.duration.as_ref(),
        Task::Slate(t) => t.duration.as_ref(),
        Task::Mute(t) => t.duration.as_ref(),
        _ => None,
    }
}

fn duration(event: &Event) -> Option<Duration> {
    let d = event.task.as_ref().and_then(task_duration)?;
    std_duration(d).ok().filter(|d| !d.is_zero())
}

fn execution_time(event: &Event) -> Option<SystemTime> {
    event.execution_time.as_ref().and_then(system_time)
}

/// When an executed event finished: its last update (set when it finished), else `end`.
fn finished(event: &Event, end: SystemTime) -> SystemTime {
    event
        .update_time
        .as_ref()
        .and_then(system_time)
        .unwrap_or(end)
}

/// The channel an event belongs to.
fn channel_of(event: &str) -> &str {
    event.split("/events/").next().unwrap_or(event)
}

impl State {
    pub(crate) fn create_event(
        &mut self,
        now: SystemTime,
        req: CreateEventRequest,
    ) -> Result<Event, Status> {
        let parent: ChannelName = parse_name("parent", &req.parent)?;
        self.check_location("parent", &parent.parent())?;
        check_id("event_id", &req.event_id)?;
        let mut event = required("event", req.event)?;
        let channel_key = parent.to_string();
        let name = parent
            .event(&req.event_id)
            .map_err(|e| errors::invalid("event_id", e.to_string()))?
            .to_string();
        let rec = found(&self.channels, &channel_key)?;
        if self.events.contains_key(&name) {
            return Err(errors::already_exists(&name));
        }
        let Some(task) = &event.task else {
            return Err(errors::invalid(
                "event.task",
                "one of input_switch, ad_break, return_to_program, slate, mute, unmute or update_encryptions is required",
            ));
        };
        if let Some(d) = task_duration(task) {
            duration_of("event.task.duration", d)?;
        }
        let at = match (&event.execution_time, event.execute_now) {
            (Some(_), true) => {
                return Err(errors::invalid(
                    "event.execution_time",
                    "must not be set when execute_now is true",
                ));
            }
            (None, true) => now,
            (None, false) => {
                return Err(errors::invalid(
                    "event.execution_time",
                    "is required unless execute_now is true",
                ));
            }
            (Some(t), false) => {
                let at = time_of("event.execution_time", t)?;
                if at < later(now, MIN_LEAD) {
                    return Err(errors::invalid(
                        "event.execution_time",
                        "must be at least 10 seconds in the future",
                    ));
                }
                at
            }
        };
        errors::from_violations(
            validation::event(&event, &rec.channel, self, now),
            self.config.missing_reference,
        )?;
        let state = rec.channel.streaming_state();
        if !is_started(state) {
            return Err(channel_state_error(
                &channel_key,
                state,
                "must be started before events can be created",
            ));
        }
        let prefix = format!("{channel_key}/events/");
        let limit = self.config.quota(|q| q.events_per_channel);
        State::check_quota(&self.events, &prefix, limit, "events", &channel_key)?;
        event.name = name.clone();
        event.create_time = Some(ts(now));
        event.update_time = Some(ts(now));
        event.execution_time = Some(ts(at));
        event.state = EventState::Scheduled as i32;
        event.error = None;
        self.events.insert(name.clone(), event.clone());
        self.schedule(at, Timer::Event(name));
        Ok(event)
    }

    pub(crate) fn get_event(
        &self,
        _now: SystemTime,
        req: GetEventRequest,
    ) -> Result<Event, Status> {
        let name: EventName = parse_name("name", &req.name)?;
        Ok(found(&self.events, &name.to_string())?.clone())
    }

    pub(crate) fn list_events(
        &self,
        _now: SystemTime,
        req: ListEventsRequest,
    ) -> Result<ListEventsResponse, Status> {
        let parent: ChannelName = parse_name("parent", &req.parent)?;
        let key = parent.to_string();
        found(&self.channels, &key)?;
        let (events, next_page_token) = self.list(
            &self.events,
            &format!("{key}/events/"),
            list_params!("ListEvents", req),
            false,
            |e| e,
        )?;
        Ok(ListEventsResponse {
            events,
            next_page_token,
            unreachable: Vec::new(),
        })
    }

    pub(crate) fn delete_event(
        &mut self,
        _now: SystemTime,
        req: DeleteEventRequest,
    ) -> Result<(), Status> {
        let name: EventName = parse_name("name", &req.name)?;
        let key = name.to_string();
        found(&self.events, &key)?;
        self.events.remove(&key);
        Ok(())
    }

    /// Schedules the next transition of an event (after loading a snapshot, or when the
    /// timer queue is rebuilt).
    pub(crate) fn schedule_event(&mut self, name: &str, now: SystemTime) {
        let Some(event) = self.events.get(name) else {
            return;
        };
        let start = execution_time(event).unwrap_or(now);
        let end = duration(event).map(|d| later(start, d));
        let timer = match event.state() {
            EventState::Scheduled | EventState::Pending => Some((start, Timer::Event(name.into()))),
            EventState::Running => end.map(|end| (end, Timer::Event(name.into()))),
            // Executed: deleted `event_retention` after it finished (its last update).
            _ => Some((
                later(
                    finished(event, end.unwrap_or(start)),
                    self.config.event_retention,
                ),
                Timer::EventGc(name.into()),
            )),
        };
        if let Some((at, timer)) = timer {
            self.schedule(at, timer);
        }
    }

    /// An executed event's retention is over: it is deleted (unless the timer is stale: the
    /// event was deleted and created again since, or has not finished).
    pub(crate) fn event_gc(&mut self, name: &str, at: SystemTime) {
        let Some(event) = self.events.get(name) else {
            return;
        };
        let executed = !matches!(
            event.state(),
            EventState::Scheduled | EventState::Pending | EventState::Running
        );
        let start = execution_time(event).unwrap_or(at);
        let end = duration(event).map_or(start, |d| later(start, d));
        if executed && later(finished(event, end), self.config.event_retention) <= at {
            self.events.remove(name);
        }
    }

    /// An event reaches its execution time (SCHEDULED) or its end (RUNNING). A stale timer
    /// (the event was deleted and created again with a later time) does nothing.
    pub(crate) fn event_tick(&mut self, name: &str, at: SystemTime) {
        let Some(event) = self.events.get(name) else {
            return;
        };
        match event.state() {
            EventState::Scheduled | EventState::Pending
                if execution_time(event).is_none_or(|t| t <= at) =>
            {
                self.execute_event(name, at)
            }
            EventState::Running => {
                let ends = execution_time(event)
                    .zip(duration(event))
                    .map(|(start, d)| later(start, d));
                if ends.is_some_and(|end| end <= at) {
                    if matches!(event.task, Some(Task::Mute(_))) {
                        self.set_muted(channel_of(name), false);
                    }
                    self.finish_event(name, EventState::Succeeded, None, at);
                }
            }
            _ => {}
        }
    }

    fn execute_event(&mut self, name: &str, at: SystemTime) {
        let channel = channel_of(name).to_owned();
        let Some(task) = self.events.get(name).and_then(|e| e.task.clone()) else {
            return;
        };
        let Some(rec) = self.channels.get_mut(&channel) else {
            return;
        };
        if !is_live(rec.channel.streaming_state()) {
            let error = rpc_status(
                Code::FailedPrecondition,
                format!("Channel '{channel}' was not running at the event's execution time"),
            );
            self.finish_event(name, EventState::Failed, Some(error), at);
            return;
        }
        let has_duration = self.events.get(name).and_then(duration);
        match task {
            Task::InputSwitch(switch) => {
                if rec
                    .channel
                    .input_attachments
                    .iter()
                    .any(|a| a.key == switch.input_key)
                {
                    rec.channel.active_input = switch.input_key;
                    rec.channel.update_time = Some(ts(at));
                    self.finish_event(name, EventState::Succeeded, None, at);
                } else {
                    let error = rpc_status(
                        Code::FailedPrecondition,
                        format!(
                            "Channel '{channel}' has no input attachment '{}'",
                            switch.input_key
                        ),
                    );
                    self.finish_event(name, EventState::Failed, Some(error), at);
                }
            }
            Task::ReturnToProgram(_) => {
                self.stop_running_events(&channel, at, |_| true);
                self.finish_event(name, EventState::Succeeded, None, at);
            }
            Task::Unmute(_) => {
                if rec.muted {
                    rec.muted = false;
                    self.stop_running_events(&channel, at, |t| matches!(t, Task::Mute(_)));
                    self.finish_event(name, EventState::Succeeded, None, at);
                } else {
                    let error = rpc_status(Code::FailedPrecondition, "The stream is not muted");
                    self.finish_event(name, EventState::Failed, Some(error), at);
                }
            }
            Task::Mute(_) => {
                rec.muted = true;
                self.run_or_finish(name, has_duration, at);
            }
            Task::AdBreak(_) => self.run_or_finish(name, has_duration, at),
            Task::Slate(_) => {
                // Without a duration a slate runs until a return_to_program.
                self.set_event_state(name, EventState::Running, at);
                if let Some(d) = has_duration {
                    self.schedule(later(at, d), Timer::Event(name.into()));
                }
            }
            Task::UpdateEncryptions(_) => self.finish_event(name, EventState::Succeeded, None, at),
        }
    }

    fn run_or_finish(&mut self, name: &str, duration: Option<Duration>, at: SystemTime) {
        match duration {
            Some(d) => {
                self.set_event_state(name, EventState::Running, at);
                self.schedule(later(at, d), Timer::Event(name.into()));
            }
            None => self.finish_event(name, EventState::Succeeded, None, at),
        }
    }

    fn set_event_state(&mut self, name: &str, state: EventState, at: SystemTime) {
        if let Some(event) = self.events.get_mut(name) {
            event.state = state as i32;
            event.update_time = Some(ts(at));
        }
    }

    fn set_muted(&mut self, channel: &str, muted: bool) {
        if let Some(rec) = self.channels.get_mut(channel) {
            rec.muted = muted;
        }
    }

    fn finish_event(
        &mut self,
        name: &str,
        state: EventState,
        error: Option<crate::rpc::Status>,
        at: SystemTime,
    ) {
        let Some(event) = self.events.get_mut(name) else {
            return;
        };
        event.state = state as i32;
        event.error = error;
        event.update_time = Some(ts(at));
        let retention = self.config.event_retention;
        self.schedule(later(at, retention), Timer::EventGc(name.into()));
    }

    /// Stops the channel's RUNNING events whose task `which` selects (return_to_program,
    /// unmute, channel stop).
    pub(crate) fn stop_running_events(
        &mut self,
        channel: &str,
        at: SystemTime,
        which: impl Fn(&Task) -> bool,
    ) {
        let prefix = format!("{channel}/events/");
        let running: Vec<(String, bool)> = scan(&self.events, &prefix)
            .filter(|(_, e)| e.state() == EventState::Running)
            .filter(|(_, e)| e.task.as_ref().is_some_and(&which))
            .map(|(k, e)| (k.clone(), matches!(e.task, Some(Task::Mute(_)))))
            .collect();
        for (name, mute) in running {
            if mute {
                self.set_muted(channel, false);
            }
            self.finish_event(&name, EventState::Stopped, None, at);
        }
    }
}
