//! Event rules.

use super::*;
use crate::v1::encryption::{self, Aes128Encryption, DrmSystems, EncryptionMode};
use crate::v1::encryption_update::SecretSource;
use crate::v1::event::{
    AdBreakTask, InputSwitchTask, MuteTask, ReturnToProgramTask, SlateTask, Task, UnmuteTask,
    UpdateEncryptionsTask,
};
use crate::v1::{Encryption, EncryptionUpdate, Event};

/// The sample channel with an AES-128 encryption `aes`.
fn encrypted_channel() -> Channel {
    Channel {
        encryptions: vec![Encryption {
            id: "aes".into(),
            drm_systems: Some(DrmSystems {
                clearkey: Some(encryption::Clearkey {}),
                ..Default::default()
            }),
            secret_source: Some(encryption::SecretSource::SecretManagerKeySource(
                encryption::SecretManagerSource {
                    secret_version: SECRET.into(),
                },
            )),
            encryption_mode: Some(EncryptionMode::Aes128(Aes128Encryption {})),
        }],
        ..sample_channel()
    }
}

/// An event running `task` now.
fn now_event(task: Task) -> Event {
    Event {
        task: Some(task),
        execute_now: true,
        ..Default::default()
    }
}

/// Validates an event on [`encrypted_channel`] at [`now`].
fn check(event: &Event) -> Vec<FieldViolation> {
    crate::emulator::validation::event(event, &encrypted_channel(), &refs(), now())
}

/// An encryption update of `id` to new keys.
fn update(id: &str) -> EncryptionUpdate {
    EncryptionUpdate {
        id: id.into(),
        secret_source: Some(SecretSource::SecretManagerKeySource(
            encryption::SecretManagerSource {
                secret_version: "projects/my-project/secrets/my-secret/versions/2".into(),
            },
        )),
    }
}

#[test]
fn every_task_has_a_valid_form() {
    let tasks = [
        Task::InputSwitch(InputSwitchTask {
            input_key: "my-input".into(),
        }),
        Task::AdBreak(AdBreakTask {
            duration: Some(seconds(30)),
        }),
        Task::ReturnToProgram(ReturnToProgramTask {}),
        Task::Slate(SlateTask {
            duration: Some(seconds(60)),
            asset: VIDEO_ASSET.into(),
        }),
        // A long-running slate, and an image slate.
        Task::Slate(SlateTask {
            duration: None,
            asset: IMAGE_ASSET.into(),
        }),
        Task::Mute(MuteTask {
            duration: Some(seconds(10)),
        }),
        Task::Mute(MuteTask { duration: None }),
        Task::Unmute(UnmuteTask {}),
        Task::UpdateEncryptions(UpdateEncryptionsTask {
            encryptions: vec![update("aes")],
        }),
    ];
    for task in tasks {
        assert_clean(&check(&now_event(task.clone())));
        // Scheduled exactly 10 s ahead, or later.
        for offset in [10, 3600] {
            let scheduled = Event {
                task: Some(task.clone()),
                execution_time: Some(at(offset)),
                ..Default::default()
            };
            assert_clean(&check(&scheduled));
        }
    }
}

#[test]
fn task_is_required() {
    let violations = check(&Event {
        execute_now: true,
        ..Default::default()
    });
    assert_only(
        &violations,
        "event",
        &["exactly one task", "input_switch", "update_encryptions"],
    );
}

#[test]
fn execute_now_and_execution_time_are_exclusive() {
    let mut event = now_event(Task::Unmute(UnmuteTask {}));
    event.execution_time = Some(at(60));
    assert_only(
        &check(&event),
        "event.execution_time",
        &["must not be set when execute_now is true"],
    );
    event.execute_now = false;
    event.execution_time = None;
    assert_only(
        &check(&event),
        "event.execution_time",
        &["execution_time is required", "unless execute_now is true"],
    );
}

#[test]
fn scheduled_time_is_at_least_ten_seconds_ahead() {
    let scheduled = |time| Event {
        task: Some(Task::Unmute(UnmuteTask {})),
        execution_time: Some(time),
        ..Default::default()
    };
    for offset in [-3600, 0, 9] {
        assert_only(
            &check(&scheduled(at(offset))),
            "event.execution_time",
            &["at least 10s after the current time 2023-11-14T22:13:20Z"],
        );
    }
    let almost = Timestamp {
        seconds: NOW_SECONDS + 9,
        nanos: 999_999_999,
    };
    assert_only(
        &check(&scheduled(almost)),
        "event.execution_time",
        &["execution_time 2023-11-14T22:13:29.999999999Z"],
    );
    for bad in [
        Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        },
        Timestamp {
            seconds: NOW_SECONDS + 60,
            nanos: -1,
        },
        Timestamp {
            seconds: i64::MIN,
            nanos: i32::MIN,
        },
    ] {
        assert_only(
            &check(&scheduled(bad)),
            "event.execution_time",
            &["not a valid timestamp"],
        );
    }
}

#[test]
fn input_switch_names_an_attachment() {
    let switch = |key: &str| {
        now_event(Task::InputSwitch(InputSwitchTask {
            input_key: key.into(),
        }))
    };
    assert_only(
        &check(&switch("")),
        "event.input_switch.input_key",
        &["input_key is required"],
    );
    assert_only(
        &check(&switch("backup")),
        "event.input_switch.input_key",
        &[
            "\"backup\"",
            "not the key of any of the channel's input_attachments",
        ],
    );
}

#[test]
fn ad_break_duration_is_required_and_positive() {
    let ad_break = |duration| now_event(Task::AdBreak(AdBreakTask { duration }));
    assert_only(
        &check(&ad_break(None)),
        "event.ad_break.duration",
        &["duration is required", "greater than 0s"],
    );
    for (duration, shown) in [(seconds(0), "0s"), (seconds(-5), "-5s")] {
        assert_only(
            &check(&ad_break(Some(duration))),
            "event.ad_break.duration",
            &[&format!("duration {shown}"), "must be greater than 0s"],
        );
    }
}

#[test]
fn slate_needs_an_existing_active_asset_and_a_positive_duration() {
    let slate = |asset: &str, duration| {
        now_event(Task::Slate(SlateTask {
            duration,
            asset: asset.into(),
        }))
    };
    let field = "event.slate.asset";
    assert_only(&check(&slate("", None)), field, &["asset is required"]);
    assert_only(
        &check(&slate("assets/x", None)),
        field,
        &[
            "\"assets/x\"",
            "projects/{project}/locations/{location}/assets/{asset}",
        ],
    );
    let missing = format!("{LOCATION}/assets/nope");
    assert_missing(&check(&slate(&missing, None)), field, &missing);
    assert_only(
        &check(&slate(CREATING_ASSET, None)),
        field,
        &[CREATING_ASSET, "is CREATING", "must be ACTIVE"],
    );
    let elsewhere = "projects/my-project/locations/us-east1/assets/my-slate";
    assert_only(
        &check(&slate(elsewhere, None)),
        field,
        &[elsewhere, "same project and location"],
    );
    assert_only(
        &check(&slate(VIDEO_ASSET, Some(seconds(0)))),
        "event.slate.duration",
        &["duration 0s", "greater than 0s"],
    );
}

#[test]
fn mute_duration_is_optional_but_positive() {
    let violations = check(&now_event(Task::Mute(MuteTask {
        duration: Some(Duration {
            seconds: 0,
            nanos: -1,
        }),
    })));
    assert_only(
        &violations,
        "event.mute.duration",
        &["duration -0.000000001s", "greater than 0s"],
    );
}

#[test]
fn update_encryptions_names_channel_encryptions_with_new_keys() {
    let task = |encryptions| {
        now_event(Task::UpdateEncryptions(UpdateEncryptionsTask {
            encryptions,
        }))
    };
    assert_only(
        &check(&task(Vec::new())),
        "event.update_encryptions.encryptions",
        &["encryptions is required"],
    );
    let mut no_source = update("aes");
    no_source.secret_source = None;
    let mut bad_source = update("aes");
    bad_source.secret_source = Some(SecretSource::SecretManagerKeySource(
        encryption::SecretManagerSource {
            secret_version: "my-secret".into(),
        },
    ));
    let violations = check(&task(vec![
        update("drm"),
        update(""),
        update("aes"),
        no_source,
        bad_source,
    ]));
    let list = "event.update_encryptions.encryptions";
    assert_fields(
        &violations,
        &[
            &format!("{list}[3].id"),
            &format!("{list}[4].id"),
            &format!("{list}[0].id"),
            &format!("{list}[1].id"),
            &format!("{list}[3].secret_manager_key_source"),
            &format!("{list}[4].secret_manager_key_source.secret_version"),
        ],
    );
    assert_violation(
        &violations[0],
        &format!("{list}[3].id"),
        &[
            "id \"aes\"",
            "already used by event.update_encryptions.encryptions[2].id",
        ],
    );
    assert_violation(
        &violations[2],
        &format!("{list}[0].id"),
        &[
            "id \"drm\"",
            "not the id of any of the channel's encryptions",
        ],
    );
    assert_violation(
        &violations[3],
        &format!("{list}[1].id"),
        &["id is required"],
    );
    assert_violation(
        &violations[4],
        &format!("{list}[3].secret_manager_key_source"),
        &["secret_manager_key_source is required"],
    );
    assert_violation(
        &violations[5],
        &format!("{list}[4].secret_manager_key_source.secret_version"),
        &["\"my-secret\""],
    );
}

#[test]
fn output_only_fields_are_ignored() {
    let mut event = now_event(Task::Unmute(UnmuteTask {}));
    event.state = 99;
    event.error = Some(Default::default());
    event.create_time = Some(Timestamp {
        seconds: i64::MIN,
        nanos: -5,
    });
    assert_clean(&check(&event));
}
