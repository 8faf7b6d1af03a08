//! Typed names compare with the `name` strings of messages, both ways (issue 12, item 6).

use livestream_grpc::names::{ChannelName, InputName, LocationName, OperationName};
use livestream_grpc::v1::Input;

#[test]
fn typed_names_compare_with_strings_both_ways() {
    let name: InputName = "projects/p/locations/l/inputs/i".parse().unwrap();
    let input = Input {
        name: name.to_string(),
        ..Default::default()
    };
    // The comparisons a user writes against a message's `name` field.
    assert_eq!(input.name, name);
    assert_eq!(name, input.name);
    assert_eq!(name, *input.name.as_str());
    assert_eq!(name, "projects/p/locations/l/inputs/i");
    assert_eq!("projects/p/locations/l/inputs/i", name);
    assert_eq!(*"projects/p/locations/l/inputs/i", name);

    // Not equal: a prefix, a longer string, another resource.
    assert_ne!(name, "projects/p/locations/l/inputs/");
    assert_ne!(name, "projects/p/locations/l/inputs/ix");
    assert_ne!(name, "projects/p/locations/l/inputs/j");
    assert_ne!(String::new(), name);
    let channel = ChannelName::new("p", "l", "i").unwrap();
    assert_ne!(channel, name.to_string());
    let location = LocationName::new("p", "l").unwrap();
    assert_eq!(location, "projects/p/locations/l");
    let operation: OperationName = "projects/p/locations/l/operations/op-1".parse().unwrap();
    assert_eq!(
        operation,
        String::from("projects/p/locations/l/operations/op-1")
    );
}
