//! Runtime descriptors: the embedded [`FILE_DESCRIPTOR_SET`](crate::FILE_DESCRIPTOR_SET)
//! decoded once into a `prost_reflect::DescriptorPool`, and conversions between the prost
//! messages and `prost_reflect::DynamicMessage` (field masks, proto3 JSON, filters).

use std::sync::LazyLock;

use prost::{Message, Name};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

static POOL: LazyLock<Result<DescriptorPool, String>> =
    LazyLock::new(|| DescriptorPool::decode(crate::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string()));

/// An error of the reflection layer: the embedded descriptors do not describe a type, or a
/// message could not be converted. Both indicate a bug in this crate, never bad user input,
/// but they are reported rather than panicking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReflectError(String);

impl std::fmt::Display for ReflectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "descriptor error: {}", self.0)
    }
}

impl std::error::Error for ReflectError {}

/// The descriptor pool of every proto compiled into this crate.
///
/// ```
/// let pool = livestream_grpc::reflect::descriptor_pool()?;
/// assert!(pool.get_message_by_name("google.cloud.video.livestream.v1.Channel").is_some());
/// # Ok::<(), livestream_grpc::reflect::ReflectError>(())
/// ```
pub fn descriptor_pool() -> Result<&'static DescriptorPool, ReflectError> {
    POOL.as_ref().map_err(|e| ReflectError(e.clone()))
}

/// The descriptor of the prost message type `M`.
pub fn descriptor<M: Name>() -> Result<MessageDescriptor, ReflectError> {
    let full_name = M::full_name();
    descriptor_pool()?
        .get_message_by_name(&full_name)
        .ok_or_else(|| ReflectError(format!("no descriptor for {full_name}")))
}

/// Converts a prost message into a dynamic one (through its wire encoding).
pub fn to_dynamic<M: Message + Name>(message: &M) -> Result<DynamicMessage, ReflectError> {
    DynamicMessage::decode(descriptor::<M>()?, message.encode_to_vec().as_slice())
        .map_err(|e| ReflectError(format!("{}: {e}", M::full_name())))
}

/// Converts a dynamic message back into the prost message type `M`.
pub fn from_dynamic<M: Message + Name + Default>(
    message: &DynamicMessage,
) -> Result<M, ReflectError> {
    M::decode(message.encode_to_vec().as_slice())
        .map_err(|e| ReflectError(format!("{}: {e}", M::full_name())))
}
