//! Feeds arbitrary text to the emulator's AIP-160 filter and AIP-132 order_by parsers for
//! every resource type, and evaluates whatever parses. Any panic is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // List requests carry UTF-8 strings; the interesting bugs are past decoding.
    if let Ok(text) = std::str::from_utf8(data) {
        livestream_grpc::__fuzz::filter(text);
    }
});
