//! The embedded descriptor set decodes and describes the API surface we promise.

use prost_reflect::{DescriptorPool, Value};

fn pool() -> DescriptorPool {
    DescriptorPool::decode(livestream_grpc::FILE_DESCRIPTOR_SET).expect("descriptor set decodes")
}

#[test]
fn livestream_service_has_34_methods_18_of_them_lros() {
    let pool = pool();
    let service = pool
        .get_service_by_name("google.cloud.video.livestream.v1.LivestreamService")
        .expect("LivestreamService");
    assert_eq!(service.methods().len(), 34);
    let operation_info = pool
        .get_extension_by_name("google.longrunning.operation_info")
        .expect("operation_info extension");
    let lros: Vec<String> = service
        .methods()
        .filter(|m| m.options().has_extension(&operation_info))
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(lros.len(), 18, "{lros:?}");
    for m in service
        .methods()
        .filter(|m| m.options().has_extension(&operation_info))
    {
        assert_eq!(
            m.output().full_name(),
            "google.longrunning.Operation",
            "{}",
            m.name()
        );
        let info = m.options().get_extension(&operation_info).into_owned();
        let Value::Message(info) = info else {
            panic!("operation_info is a message")
        };
        let metadata = info
            .get_field_by_name("metadata_type")
            .expect("metadata_type");
        assert_eq!(metadata.as_str(), Some("OperationMetadata"), "{}", m.name());
    }
}

#[test]
fn mixin_services_are_present() {
    let pool = pool();
    let operations = pool
        .get_service_by_name("google.longrunning.Operations")
        .expect("Operations");
    let names: Vec<String> = operations.methods().map(|m| m.name().to_owned()).collect();
    for rpc in [
        "ListOperations",
        "GetOperation",
        "DeleteOperation",
        "CancelOperation",
        "WaitOperation",
    ] {
        assert!(
            names.iter().any(|n| n == rpc),
            "{rpc} missing from {names:?}"
        );
    }
    let locations = pool
        .get_service_by_name("google.cloud.location.Locations")
        .expect("Locations");
    assert_eq!(locations.methods().len(), 2);
}

#[test]
fn resource_messages_and_type_names_are_available() {
    use prost::Name;
    let pool = pool();
    for message in [
        "Channel",
        "Input",
        "Event",
        "Clip",
        "DvrSession",
        "Asset",
        "Pool",
        "OperationMetadata",
    ] {
        let full = format!("google.cloud.video.livestream.v1.{message}");
        assert!(pool.get_message_by_name(&full).is_some(), "{full}");
    }
    assert_eq!(
        livestream_grpc::v1::OperationMetadata::type_url(),
        "type.googleapis.com/google.cloud.video.livestream.v1.OperationMetadata"
    );
}
