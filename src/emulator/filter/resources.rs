//! The filterable fields of each listed resource (EMULATOR.md, "What it emulates": lists,
//! plus `execute_now` and the Operation fields the Operations mixin needs).

use prost::Message;

use super::{EnumType, Field, Filterable, Kind, Value};
use crate::longrunning::Operation;
use crate::v1::{
    Asset, Channel, Clip, DvrSession, Event, Input, OperationMetadata, asset, channel, clip,
    dvr_session, event, input,
};

/// The [`EnumType`] of a prost-generated enum.
macro_rules! enum_type {
    ($name:literal, $enum:ty) => {
        EnumType {
            name: $name,
            from_name: |s| <$enum>::from_str_name(s).map(|e| e as i32),
            to_name: |n| <$enum>::try_from(n).ok().map(|e| e.as_str_name()),
        }
    };
}

/// `impl Filterable` for a Live Stream resource: the fields every resource has (`name`,
/// `create_time`, `update_time`, `labels`) followed by its own.
macro_rules! resource {
    ($ty:ty, $kind:literal, [$($extra:expr),* $(,)?]) => {
        impl Filterable for $ty {
            const KIND: &'static str = $kind;
            const FIELDS: &'static [Field<Self>] = &[
                Field { path: "name", kind: Kind::String, get: |r| Value::str(&r.name) },
                Field {
                    path: "create_time",
                    kind: Kind::Timestamp,
                    get: |r| Value::timestamp(r.create_time.as_ref()),
                },
                Field {
                    path: "update_time",
                    kind: Kind::Timestamp,
                    get: |r| Value::timestamp(r.update_time.as_ref()),
                },
                Field { path: "labels", kind: Kind::Labels, get: |r| Value::Labels(&r.labels) },
                $($extra),*
            ];

            fn resource_name(&self) -> &str {
                &self.name
            }
        }
    };
}

/// A `state` field of enum type `$enum`.
macro_rules! state {
    ($ty:ty, $name:literal, $enum:ty) => {
        Field::<$ty> {
            path: "state",
            kind: Kind::Enum(enum_type!($name, $enum)),
            get: |r| Value::Enum(r.state),
        }
    };
}

resource!(
    Channel,
    "Channel",
    [
        Field {
            path: "streaming_state",
            kind: Kind::Enum(enum_type!(
                "Channel.StreamingState",
                channel::StreamingState
            )),
            get: |r| Value::Enum(r.streaming_state),
        },
        Field {
            path: "active_input",
            kind: Kind::String,
            get: |r| Value::str(&r.active_input),
        },
    ]
);

resource!(
    Input,
    "Input",
    [
        Field {
            path: "type",
            kind: Kind::Enum(enum_type!("Input.Type", input::Type)),
            get: |r| Value::Enum(r.r#type),
        },
        Field {
            path: "tier",
            kind: Kind::Enum(enum_type!("Input.Tier", input::Tier)),
            get: |r| Value::Enum(r.tier),
        },
    ]
);

resource!(
    Event,
    "Event",
    [
        state!(Event, "Event.State", event::State),
        Field {
            path: "execution_time",
            kind: Kind::Timestamp,
            get: |r| Value::timestamp(r.execution_time.as_ref()),
        },
        Field {
            path: "execute_now",
            kind: Kind::Bool,
            get: |r| Value::Bool(r.execute_now),
        },
    ]
);

resource!(Clip, "Clip", [state!(Clip, "Clip.State", clip::State)]);

resource!(
    DvrSession,
    "DvrSession",
    [state!(DvrSession, "DvrSession.State", dvr_session::State)]
);

resource!(Asset, "Asset", [state!(Asset, "Asset.State", asset::State)]);

/// The operation's `OperationMetadata`, if its metadata is one and decodes.
fn metadata(op: &Operation) -> Option<OperationMetadata> {
    let any = op.metadata.as_ref()?;
    // Compare the type name only, so any type URL host (or none) is accepted.
    let type_name = any.type_url.rsplit('/').next()?;
    if type_name != "google.cloud.video.livestream.v1.OperationMetadata" {
        return None;
    }
    OperationMetadata::decode(any.value.as_slice()).ok()
}

/// A string field of the decoded metadata, absent when there is none.
fn metadata_str(op: &Operation, read: fn(OperationMetadata) -> String) -> Value<'static> {
    metadata(op).map_or(Value::Absent, |m| Value::String(read(m).into()))
}

impl Filterable for Operation {
    const KIND: &'static str = "Operation";
    // The metadata is decoded on each read: it is a few dozen bytes, filters name a
    // handful of fields, and it keeps `Filterable` free of a per-item cache.
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            path: "name",
            kind: Kind::String,
            get: |op| Value::str(&op.name),
        },
        Field {
            path: "done",
            kind: Kind::Bool,
            get: |op| Value::Bool(op.done),
        },
        Field {
            path: "metadata.target",
            kind: Kind::String,
            get: |op| metadata_str(op, |m| m.target),
        },
        Field {
            path: "metadata.verb",
            kind: Kind::String,
            get: |op| metadata_str(op, |m| m.verb),
        },
        Field {
            path: "metadata.create_time",
            kind: Kind::Timestamp,
            get: |op| {
                metadata(op).map_or(Value::Absent, |m| Value::timestamp(m.create_time.as_ref()))
            },
        },
        Field {
            path: "metadata.end_time",
            kind: Kind::Timestamp,
            get: |op| metadata(op).map_or(Value::Absent, |m| Value::timestamp(m.end_time.as_ref())),
        },
        Field {
            path: "metadata.requested_cancellation",
            kind: Kind::Bool,
            get: |op| metadata(op).map_or(Value::Absent, |m| Value::Bool(m.requested_cancellation)),
        },
    ];

    fn resource_name(&self) -> &str {
        &self.name
    }
}
