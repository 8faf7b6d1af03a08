//! Event validation.

use std::time::SystemTime;

use super::{
    AssetUse, FieldViolation, NANOS_PER_SECOND, Path, Presence, References, Report, Sign,
    asset_reference, format_duration, format_timestamp, system_time_nanos,
};
use crate::names::ChannelName;
use crate::v1::encryption_update::SecretSource;
use crate::v1::event::{Task, UpdateEncryptionsTask};
use crate::v1::{Channel, Event};

/// How far ahead of now a scheduled event must be (proto `Event.execution_time`).
const MIN_LEAD_TIME: i128 = 10 * NANOS_PER_SECOND;

/// Validates an event (see [`super::event()`]).
pub(super) fn check(
    event: &Event,
    channel: &Channel,
    refs: &dyn References,
    now: SystemTime,
) -> Vec<FieldViolation> {
    let mut report = Report::default();
    let root = Path::root("event");
    execution_time(&mut report, &root, event, now);
    match &event.task {
        None => report.invalid(
            &root,
            "exactly one task must be set: input_switch, ad_break, return_to_program, slate, \
             mute, unmute or update_encryptions",
        ),
        Some(Task::InputSwitch(task)) => {
            let path = root.field("input_switch").field("input_key");
            if report.present(&path, &task.input_key, Presence::Required)
                && !channel
                    .input_attachments
                    .iter()
                    .any(|a| a.key == task.input_key)
            {
                report.unknown_key(&path, &task.input_key, "key", "input_attachments");
            }
        }
        Some(Task::AdBreak(task)) => {
            // The proto says "Must be greater than 0" without "if specified" (unlike the
            // slate): required. (The event state machine in events.rs still handles an ad
            // break without a duration; we follow the proto.)
            let path = root.field("ad_break").field("duration");
            match &task.duration {
                None => report.required_as(&path, "a duration greater than 0s"),
                Some(duration) => report.duration_sign(&path, Some(duration), Sign::Positive),
            }
        }
        Some(Task::Slate(task)) => {
            let path = root.field("slate");
            report.duration_sign(
                &path.field("duration"),
                task.duration.as_ref(),
                Sign::Positive,
            );
            let location = channel.name.parse::<ChannelName>().ok().map(|n| n.parent());
            asset_reference(
                &mut report,
                &path.field("asset"),
                &task.asset,
                refs,
                location.as_ref(),
                AssetUse::Any,
            );
        }
        Some(Task::Mute(task)) => {
            report.duration_sign(
                &root.field("mute").field("duration"),
                task.duration.as_ref(),
                Sign::Positive,
            );
        }
        Some(Task::UpdateEncryptions(task)) => {
            update_encryptions(
                &mut report,
                &root.field("update_encryptions"),
                task,
                channel,
            );
        }
        Some(Task::ReturnToProgram(_) | Task::Unmute(_)) => {}
    }
    report.finish()
}

/// `execute_now` and `execution_time`: exactly one of them, and a scheduled time at least
/// 10 s ahead of `now`.
fn execution_time(report: &mut Report, root: &Path, event: &Event, now: SystemTime) {
    let path = root.field("execution_time");
    match (&event.execution_time, event.execute_now) {
        (Some(_), true) => report.invalid(
            &path,
            "execution_time must not be set when execute_now is true; the server chooses the time",
        ),
        (None, false) => report.required_as(
            &path,
            "a time at least 10s in the future, unless execute_now is true",
        ),
        (Some(time), false) => {
            let Some(time) = report.timestamp(&path, time) else {
                return;
            };
            let now = system_time_nanos(now);
            if time < now.saturating_add(MIN_LEAD_TIME) {
                report.invalid(
                    &path,
                    format!(
                        "execution_time {} must be at least {} after the current time {}",
                        format_timestamp(time),
                        format_duration(MIN_LEAD_TIME),
                        format_timestamp(now)
                    ),
                );
            }
        }
        (None, true) => {}
    }
}

/// `update_encryptions.encryptions`: required; each names an encryption of the channel once,
/// with a new key source.
fn update_encryptions(
    report: &mut Report,
    path: &Path,
    task: &UpdateEncryptionsTask,
    channel: &Channel,
) {
    let list = path.field("encryptions");
    if task.encryptions.is_empty() {
        report.required(&list);
    }
    // An ID updated twice in one event is ambiguous (*inferred*).
    report.unique(
        task.encryptions
            .iter()
            .enumerate()
            .map(|(e, update)| (list.index(e).field("id"), update.id.as_str())),
    );
    for (e, update) in task.encryptions.iter().enumerate() {
        let path = list.index(e);
        let id = path.field("id");
        if report.present(&id, &update.id, Presence::Required)
            && !channel.encryptions.iter().any(|c| c.id == update.id)
        {
            report.unknown_key(&id, &update.id, "id", "encryptions");
        }
        report.key_source(
            &path,
            update
                .secret_source
                .as_ref()
                .map(|SecretSource::SecretManagerKeySource(s)| s),
        );
    }
}
