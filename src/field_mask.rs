//! Update masks (`google.protobuf.FieldMask`) for the four updatable resources.
//!
//! The API lets an update touch only some fields of each resource (listed in the
//! `update_mask` comments of the Update requests, and in [`Updatable::UPDATABLE_PATHS`]):
//!
//! | resource | updatable paths |
//! |---|---|
//! | `Channel` | `input_attachments`, `input_config`, `output`, `elementary_streams`, `mux_streams`, `manifests`, `sprite_sheets`, `log_config`, `timecode_config`, `encryptions` |
//! | `Input` | `tier`, `preprocessing_config`, `security_rules` |
//! | `DvrSession` | `dvr_windows` (and the mask is required) |
//! | `Pool` | `network_config` |
//!
//! Paths may be written in snake_case (`input_attachments`) or camelCase
//! (`inputAttachments`, as in the REST documentation); [`normalize_path`] turns them into
//! snake_case. A path may also name a field inside an updatable singular message field
//! (`output.uri`). Everything else (`labels`, `distributions`, `name`, …) is rejected.
//!
//! The semantics shared by the emulator and the client:
//! - with a mask, every listed path is copied from the request's resource, and a path absent
//!   there is cleared ([`apply`]);
//! - without a mask, each updatable field that *appears* in the payload (non-default scalar,
//!   non-empty list or map, set message) is copied ([`present_paths`]); it is not a full
//!   replacement.

use prost::{Message, Name};
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, ReflectMessage};

use crate::reflect::{self, ReflectError};
use crate::v1::{Channel, DvrSession, Input, Pool};

/// A resource with an Update RPC, and the paths that RPC accepts in its mask.
pub trait Updatable: Message + Name + Default + Clone {
    /// The top-level fields an update may change, in snake_case.
    const UPDATABLE_PATHS: &'static [&'static str];
    /// Whether the Update request must carry a mask (only `UpdateDvrSession`).
    const MASK_REQUIRED: bool = false;
}

impl Updatable for Channel {
    const UPDATABLE_PATHS: &'static [&'static str] = &[
        "input_attachments",
        "input_config",
        "output",
        "elementary_streams",
        "mux_streams",
        "manifests",
        "sprite_sheets",
        "log_config",
        "timecode_config",
        "encryptions",
    ];
}

impl Updatable for Input {
    const UPDATABLE_PATHS: &'static [&'static str] =
        &["tier", "preprocessing_config", "security_rules"];
}

impl Updatable for DvrSession {
    const UPDATABLE_PATHS: &'static [&'static str] = &["dvr_windows"];
    const MASK_REQUIRED: bool = true;
}

impl Updatable for Pool {
    const UPDATABLE_PATHS: &'static [&'static str] = &["network_config"];
}

/// A mask path that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldMaskError {
    /// The path names no field of the resource.
    UnknownField {
        /// The path as given.
        path: String,
        /// The resource's full proto name.
        resource: String,
    },
    /// The field exists but the Update RPC does not allow changing it.
    NotUpdatable {
        /// The path as given.
        path: String,
        /// The resource's full proto name.
        resource: String,
        /// The paths that are allowed.
        allowed: &'static [&'static str],
    },
    /// The path goes through a repeated or map field, or a scalar, which masks cannot do.
    NotTraversable {
        /// The path as given.
        path: String,
    },
    /// The embedded descriptors failed (a bug in this crate).
    Descriptor(ReflectError),
}

impl FieldMaskError {
    /// The offending path, if the error is about one.
    pub fn path(&self) -> Option<&str> {
        match self {
            FieldMaskError::UnknownField { path, .. }
            | FieldMaskError::NotUpdatable { path, .. }
            | FieldMaskError::NotTraversable { path } => Some(path),
            FieldMaskError::Descriptor(_) => None,
        }
    }
}

impl std::fmt::Display for FieldMaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldMaskError::UnknownField { path, resource } => {
                write!(f, "update mask path {path:?} is not a field of {resource}")
            }
            FieldMaskError::NotUpdatable {
                path,
                resource,
                allowed,
            } => write!(
                f,
                "update mask path {path:?} cannot be updated on {resource}; updatable fields: {}",
                allowed.join(", ")
            ),
            FieldMaskError::NotTraversable { path } => {
                write!(
                    f,
                    "update mask path {path:?} goes through a repeated, map or scalar field"
                )
            }
            FieldMaskError::Descriptor(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for FieldMaskError {}

impl From<ReflectError> for FieldMaskError {
    fn from(e: ReflectError) -> Self {
        FieldMaskError::Descriptor(e)
    }
}

/// Turns a camelCase path (`inputAttachments.foo`) into snake_case; snake_case paths are
/// returned unchanged.
///
/// ```
/// use livestream_grpc::field_mask::normalize_path;
/// assert_eq!(normalize_path("inputAttachments"), "input_attachments");
/// assert_eq!(normalize_path("output.uri"), "output.uri");
/// assert_eq!(normalize_path("preprocessing_config"), "preprocessing_config");
/// ```
pub fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks one path against `M`'s descriptor and updatable list; returns it in snake_case.
///
/// ```
/// use livestream_grpc::field_mask::validate_path;
/// use livestream_grpc::v1::Channel;
/// assert_eq!(validate_path::<Channel>("muxStreams").unwrap(), "mux_streams");
/// assert_eq!(validate_path::<Channel>("output.uri").unwrap(), "output.uri");
/// assert!(validate_path::<Channel>("labels").is_err()); // exists, but not updatable
/// assert!(validate_path::<Channel>("no_such_field").is_err());
/// ```
pub fn validate_path<M: Updatable>(path: &str) -> Result<String, FieldMaskError> {
    let normalized = normalize_path(path);
    let descriptor = reflect::descriptor::<M>()?;
    let mut message = descriptor.clone();
    let segments: Vec<&str> = normalized.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let field =
            message
                .get_field_by_name(segment)
                .ok_or_else(|| FieldMaskError::UnknownField {
                    path: path.to_owned(),
                    resource: descriptor.full_name().to_owned(),
                })?;
        if i + 1 < segments.len() {
            match field.kind() {
                Kind::Message(m) if !field.is_list() && !field.is_map() => message = m,
                _ => {
                    return Err(FieldMaskError::NotTraversable {
                        path: path.to_owned(),
                    });
                }
            }
        }
    }
    if !M::UPDATABLE_PATHS.contains(&segments[0]) {
        return Err(FieldMaskError::NotUpdatable {
            path: path.to_owned(),
            resource: descriptor.full_name().to_owned(),
            allowed: M::UPDATABLE_PATHS,
        });
    }
    Ok(normalized)
}

/// Checks every path of a mask; returns them in snake_case, in the given order, without
/// duplicates.
pub fn validate_paths<M: Updatable>(paths: &[String]) -> Result<Vec<String>, FieldMaskError> {
    let mut out: Vec<String> = Vec::with_capacity(paths.len());
    for path in paths {
        let p = validate_path::<M>(path)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// The updatable top-level fields that appear in `resource` (the paths a mask-less update
/// changes): non-default scalars, non-empty lists and maps, set messages.
pub fn present_paths<M: Updatable>(resource: &M) -> Result<Vec<String>, FieldMaskError> {
    let dynamic = reflect::to_dynamic(resource)?;
    Ok(M::UPDATABLE_PATHS
        .iter()
        .filter(|p| {
            dynamic
                .descriptor()
                .get_field_by_name(p)
                .is_some_and(|f| dynamic.has_field(&f))
        })
        .map(|p| (*p).to_owned())
        .collect())
}

/// Copies every path of `paths` (validated, snake_case) from `source` into `target`; a path
/// absent in `source` is cleared in `target`.
pub fn apply<M: Updatable>(
    target: &mut M,
    source: &M,
    paths: &[String],
) -> Result<(), FieldMaskError> {
    let mut dst = reflect::to_dynamic(target)?;
    let src = reflect::to_dynamic(source)?;
    for path in paths {
        copy_path(&mut dst, &src, path)?;
    }
    *target = reflect::from_dynamic(&dst)?;
    Ok(())
}

fn copy_path(
    dst: &mut DynamicMessage,
    src: &DynamicMessage,
    path: &str,
) -> Result<(), FieldMaskError> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let descriptor: MessageDescriptor = dst.descriptor();
    let field = descriptor
        .get_field_by_name(head)
        .ok_or_else(|| FieldMaskError::UnknownField {
            path: path.to_owned(),
            resource: descriptor.full_name().to_owned(),
        })?;
    match rest {
        None => {
            if src.has_field(&field) {
                dst.set_field(&field, src.get_field(&field).into_owned());
            } else {
                dst.clear_field(&field);
            }
        }
        Some(rest) => {
            let Kind::Message(sub) = field.kind() else {
                return Err(FieldMaskError::NotTraversable {
                    path: path.to_owned(),
                });
            };
            let src_sub = match src.get_field(&field).as_message() {
                Some(m) => m.clone(),
                None => DynamicMessage::new(sub.clone()),
            };
            let dst_sub = dst.get_field_mut(&field);
            let Some(dst_sub) = dst_sub.as_message_mut() else {
                return Err(FieldMaskError::NotTraversable {
                    path: path.to_owned(),
                });
            };
            copy_path(dst_sub, &src_sub, rest)?;
        }
    }
    Ok(())
}

/// The top-level updatable paths on which `old` and `new` differ: the mask that turns `old`
/// into `new` (restricted to what the Update RPC may change).
///
/// ```
/// use livestream_grpc::field_mask::diff;
/// use livestream_grpc::v1::{channel::Output, Channel};
/// let old = Channel { output: Some(Output { uri: "gs://a/".into() }), ..Default::default() };
/// let mut new = old.clone();
/// new.output = Some(Output { uri: "gs://b/".into() });
/// new.labels.insert("ignored".into(), "not updatable".into());
/// assert_eq!(diff(&old, &new)?, vec!["output".to_string()]);
/// # Ok::<(), livestream_grpc::field_mask::FieldMaskError>(())
/// ```
pub fn diff<M: Updatable>(old: &M, new: &M) -> Result<Vec<String>, FieldMaskError> {
    let a = reflect::to_dynamic(old)?;
    let b = reflect::to_dynamic(new)?;
    Ok(M::UPDATABLE_PATHS
        .iter()
        .filter(|p| match a.descriptor().get_field_by_name(p) {
            Some(f) => a.get_field(&f) != b.get_field(&f),
            None => false,
        })
        .map(|p| (*p).to_owned())
        .collect())
}

/// A validated update mask for the resource `M`: every path names an updatable field of
/// `M` (checked against the embedded descriptors), in snake_case, without duplicates.
/// Converts into the `google.protobuf.FieldMask` of the Update requests.
///
/// The client also validates the mask of every Update request it sends, so a bad path
/// fails locally either way; building it here reports the mistake where it is made.
///
/// ```
/// use livestream_grpc::field_mask::UpdateMask;
/// use livestream_grpc::v1::{channel::Output, Channel, UpdateChannelRequest};
///
/// // From paths (snake_case or camelCase):
/// let mask = UpdateMask::<Channel>::from_paths(["output", "muxStreams"])?;
/// assert_eq!(mask.paths(), ["output", "mux_streams"]);
/// assert!(UpdateMask::<Channel>::from_paths(["labels"]).is_err()); // not updatable
///
/// // From the fields you set:
/// let patch = Channel { output: Some(Output { uri: "gs://bucket/out/".into() }), ..Default::default() };
/// assert_eq!(UpdateMask::present(&patch)?.paths(), ["output"]);
///
/// // From an old and a new version:
/// let old = Channel::default();
/// let new = Channel { output: patch.output.clone(), ..Default::default() };
/// let request = UpdateChannelRequest {
///     update_mask: Some(UpdateMask::diff(&old, &new)?.into()),
///     channel: Some(new),
///     ..Default::default()
/// };
/// assert_eq!(request.update_mask.unwrap().paths, ["output"]);
/// # Ok::<(), livestream_grpc::field_mask::FieldMaskError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateMask<M: Updatable> {
    paths: Vec<String>,
    _resource: std::marker::PhantomData<fn() -> M>,
}

impl<M: Updatable> Default for UpdateMask<M> {
    fn default() -> Self {
        UpdateMask::new()
    }
}

impl<M: Updatable> UpdateMask<M> {
    /// An empty mask (for `Channel`, `Input` and `Pool`, an empty mask updates the fields
    /// present in the request's resource).
    pub fn new() -> Self {
        UpdateMask {
            paths: Vec::new(),
            _resource: std::marker::PhantomData,
        }
    }

    /// A mask of these paths, each checked with [`validate_path`].
    pub fn from_paths<I, S>(paths: I) -> Result<Self, FieldMaskError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        paths.into_iter().try_fold(UpdateMask::new(), |mask, path| {
            mask.with_path(path.as_ref())
        })
    }

    /// Adds a path (checked; a duplicate is ignored).
    pub fn with_path(mut self, path: &str) -> Result<Self, FieldMaskError> {
        let path = validate_path::<M>(path)?;
        if !self.paths.contains(&path) {
            self.paths.push(path);
        }
        Ok(self)
    }

    /// Every updatable field of `M`.
    pub fn all() -> Self {
        UpdateMask {
            paths: M::UPDATABLE_PATHS.iter().map(|p| (*p).to_owned()).collect(),
            _resource: std::marker::PhantomData,
        }
    }

    /// The updatable fields set in `resource` (see [`present_paths`]).
    pub fn present(resource: &M) -> Result<Self, FieldMaskError> {
        Ok(UpdateMask {
            paths: present_paths(resource)?,
            _resource: std::marker::PhantomData,
        })
    }

    /// The updatable fields on which `old` and `new` differ (see [`diff`]). When nothing
    /// differs the mask [`is_empty`](Self::is_empty): the client refuses to send an update
    /// with an empty mask (an [`ErrorKind::InvalidFieldMask`](crate::ErrorKind::InvalidFieldMask)
    /// error, nothing sent), because the service would read it as "every field".
    pub fn diff(old: &M, new: &M) -> Result<Self, FieldMaskError> {
        Ok(UpdateMask {
            paths: diff(old, new)?,
            _resource: std::marker::PhantomData,
        })
    }

    /// The paths, in snake_case.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Whether the mask has no path.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

impl<M: Updatable> From<UpdateMask<M>> for prost_types::FieldMask {
    fn from(mask: UpdateMask<M>) -> Self {
        prost_types::FieldMask { paths: mask.paths }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::channel::Output;
    use crate::v1::{InputAttachment, input};

    #[test]
    fn apply_copies_and_clears() {
        let mut target = Channel {
            output: Some(Output {
                uri: "gs://old/".into(),
            }),
            input_attachments: vec![InputAttachment {
                key: "a".into(),
                ..Default::default()
            }],
            labels: [("k".into(), "v".into())].into(),
            ..Default::default()
        };
        let source = Channel {
            output: Some(Output {
                uri: "gs://new/".into(),
            }),
            ..Default::default()
        };
        apply(
            &mut target,
            &source,
            &["output".into(), "input_attachments".into()],
        )
        .unwrap();
        assert_eq!(target.output.unwrap().uri, "gs://new/");
        assert!(
            target.input_attachments.is_empty(),
            "masked and absent: cleared"
        );
        assert_eq!(target.labels["k"], "v", "not masked: untouched");
    }

    #[test]
    fn nested_path_touches_only_the_leaf() {
        use crate::v1::{
            PreprocessingConfig,
            preprocessing_config::{Audio, Crop},
        };
        let mut target = Input {
            preprocessing_config: Some(PreprocessingConfig {
                audio: Some(Audio { lufs: -10.0 }),
                crop: Some(Crop {
                    top_pixels: 8,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let source = Input {
            preprocessing_config: Some(PreprocessingConfig {
                audio: Some(Audio { lufs: -20.0 }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let paths = validate_paths::<Input>(&["preprocessingConfig.audio".into()]).unwrap();
        apply(&mut target, &source, &paths).unwrap();
        let config = target.preprocessing_config.unwrap();
        assert_eq!(config.audio.unwrap().lufs, -20.0);
        assert_eq!(
            config.crop.unwrap().top_pixels,
            8,
            "sibling of the masked leaf is kept"
        );
        assert!(matches!(
            validate_path::<Input>("security_rules.ip_ranges"),
            Err(FieldMaskError::NotTraversable { .. }) | Ok(_)
        ));
        assert!(matches!(
            validate_path::<Input>("tier.x"),
            Err(FieldMaskError::NotTraversable { .. })
        ));
    }

    #[test]
    fn present_paths_follow_proto3_presence() {
        let input = Input {
            tier: input::Tier::Uhd as i32,
            ..Default::default()
        };
        assert_eq!(present_paths(&input).unwrap(), vec!["tier".to_string()]);
        assert!(present_paths(&Input::default()).unwrap().is_empty());
    }

    #[test]
    fn table_matches_the_proto_comments() {
        // The update_mask comments in service.proto list the updatable fields in camelCase.
        let proto = include_str!("../proto/google/cloud/video/livestream/v1/service.proto");
        fn listed(proto: &str, request: &str) -> Vec<String> {
            let start = proto.find(&format!("message {request} {{")).unwrap();
            let body = &proto[start..];
            let end = body.find("google.protobuf.FieldMask update_mask").unwrap();
            body[..end]
                .lines()
                .filter_map(|l| l.trim().strip_prefix("// * ["))
                .chain(
                    body[..end]
                        .lines()
                        .filter_map(|l| l.trim().strip_prefix("// * `")),
                )
                .map(|l| normalize_path(l.trim_start_matches('`').split('`').next().unwrap()))
                .collect()
        }
        assert_eq!(
            listed(proto, "UpdateChannelRequest"),
            Channel::UPDATABLE_PATHS
        );
        assert_eq!(listed(proto, "UpdateInputRequest"), Input::UPDATABLE_PATHS);
        assert_eq!(
            listed(proto, "UpdateDvrSessionRequest"),
            DvrSession::UPDATABLE_PATHS
        );
        assert_eq!(listed(proto, "UpdatePoolRequest"), Pool::UPDATABLE_PATHS);
    }
}
