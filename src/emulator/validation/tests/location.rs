//! Input, asset and pool rules.

use super::*;
use crate::emulator::validation::{asset as check_asset, input as check_input, pool as check_pool};
use crate::v1::input::{SecurityRule, Tier, Type};
use crate::v1::preprocessing_config::{Audio, Crop, Pad};
use crate::v1::{Pool, PreprocessingConfig, pool};

/// The documentation's input: RTMP push, default tier, with preprocessing and an allow list.
fn sample_input() -> Input {
    Input {
        name: INPUT.into(),
        r#type: Type::RtmpPush.into(),
        preprocessing_config: Some(PreprocessingConfig {
            audio: Some(Audio { lufs: -23.0 }),
            crop: Some(Crop {
                top_pixels: 10,
                ..Default::default()
            }),
            pad: Some(Pad {
                left_pixels: 4,
                right_pixels: 4,
                ..Default::default()
            }),
        }),
        security_rules: Some(SecurityRule {
            ip_ranges: vec!["192.0.2.0/24".into(), "2001:db8::/32".into()],
        }),
        ..Default::default()
    }
}

/// The sample input after `edit`, validated.
fn input_violations(edit: impl FnOnce(&mut Input)) -> Vec<FieldViolation> {
    let mut input = sample_input();
    edit(&mut input);
    check_input(&input)
}

#[test]
fn documentation_inputs_are_valid() {
    assert_clean(&input_violations(|_| {}));
    assert_clean(&check_input(&Input {
        r#type: Type::RtmpPush.into(),
        ..Default::default()
    }));
    for tier in [
        Tier::Sd,
        Tier::Hd,
        Tier::Uhd,
        Tier::SdH265,
        Tier::HdH265,
        Tier::UhdH265,
    ] {
        assert_clean(&check_input(&Input {
            r#type: Type::SrtPush.into(),
            tier: tier.into(),
            ..Default::default()
        }));
    }
    // Output-only fields are ignored.
    assert_clean(&input_violations(|i| {
        i.uri = "not a uri".into();
        i.input_stream_property = Some(Default::default());
        i.update_time = Some(Timestamp {
            seconds: i64::MAX,
            nanos: i32::MAX,
        });
    }));
}

#[test]
fn input_type_is_required_and_known() {
    assert_only(
        &input_violations(|i| i.r#type = 0),
        "input.type",
        &["type is required", "RTMP_PUSH or SRT_PUSH"],
    );
    assert_only(
        &input_violations(|i| i.r#type = 3),
        "input.type",
        &["type 3", "Input.Type"],
    );
}

#[test]
fn h265_tiers_need_srt() {
    for tier in [Tier::SdH265, Tier::HdH265, Tier::UhdH265] {
        assert_only(
            &input_violations(|i| i.tier = tier.into()),
            "input.tier",
            &[
                &format!("tier {}", tier.as_str_name()),
                "needs type SRT_PUSH, not RTMP_PUSH",
            ],
        );
    }
    assert_only(
        &input_violations(|i| i.tier = 7),
        "input.tier",
        &["tier 7", "Input.Tier"],
    );
}

#[test]
fn preprocessing_ranges() {
    for lufs in [-24.0, -14.0, 0.0] {
        assert_clean(&input_violations(|i| {
            i.preprocessing_config = Some(PreprocessingConfig {
                audio: Some(Audio { lufs }),
                ..Default::default()
            });
        }));
    }
    for lufs in [-24.5, 0.1, f64::NAN, f64::NEG_INFINITY] {
        assert_only(
            &input_violations(|i| {
                i.preprocessing_config = Some(PreprocessingConfig {
                    audio: Some(Audio { lufs }),
                    ..Default::default()
                });
            }),
            "input.preprocessing_config.audio.lufs",
            &[&format!("lufs {lufs}"), "within [-24, 0]"],
        );
    }
    let violations = input_violations(|i| {
        i.preprocessing_config = Some(PreprocessingConfig {
            crop: Some(Crop {
                top_pixels: -1,
                right_pixels: -2,
                ..Default::default()
            }),
            pad: Some(Pad {
                bottom_pixels: i32::MIN,
                ..Default::default()
            }),
            ..Default::default()
        });
    });
    assert_fields(
        &violations,
        &[
            "input.preprocessing_config.crop.top_pixels",
            "input.preprocessing_config.crop.right_pixels",
            "input.preprocessing_config.pad.bottom_pixels",
        ],
    );
    assert_violation(
        &violations[1],
        "input.preprocessing_config.crop.right_pixels",
        &["right_pixels -2", "must not be negative"],
    );
}

#[test]
fn ip_ranges_are_cidr_blocks() {
    let with_range = |range: &str| {
        input_violations(|i| {
            i.security_rules = Some(SecurityRule {
                ip_ranges: vec![range.into()],
            });
        })
    };
    for good in [
        "0.0.0.0/0",
        "192.0.1.0/32",
        "192.0.2.7/24",
        "::/0",
        "2001:db8::1/128",
        "::ffff:192.0.2.1/96",
    ] {
        assert_clean(&with_range(good));
    }
    for (bad, fragment) in [
        ("192.0.2.0", "must be a CIDR block"),
        ("", "must be a CIDR block"),
        ("192.0.2.0/33", "invalid prefix length \"33\" (0 to 32)"),
        ("2001:db8::/129", "invalid prefix length \"129\" (0 to 128)"),
        ("192.0.2.0/", "invalid prefix length \"\""),
        ("192.0.2.0/+8", "invalid prefix length \"+8\""),
        ("192.0.2.0/0008", "invalid prefix length \"0008\""),
        ("192.0.2.0/24/8", "invalid prefix length \"24/8\""),
        ("300.0.2.0/8", "invalid IP address \"300.0.2.0\""),
        ("192.0.2/24", "invalid IP address \"192.0.2\""),
        ("010.0.0.0/8", "invalid IP address \"010.0.0.0\""),
        ("fe80::1%eth0/64", "invalid IP address"),
        ("example.com/24", "invalid IP address"),
    ] {
        assert_only(
            &with_range(bad),
            "input.security_rules.ip_ranges[0]",
            &[&format!("ip_ranges {bad:?}"), fragment],
        );
    }
    let violations = input_violations(|i| {
        i.security_rules = Some(SecurityRule {
            ip_ranges: vec!["10.0.0.0/8".into(), "bad".into(), "10.0.0.0/40".into()],
        });
    });
    assert_fields(
        &violations,
        &[
            "input.security_rules.ip_ranges[1]",
            "input.security_rules.ip_ranges[2]",
        ],
    );
}

/// A video asset at `uri`.
fn video(uri: &str) -> Asset {
    Asset {
        resource: Some(asset::Resource::Video(asset::VideoAsset {
            uri: uri.into(),
        })),
        ..Default::default()
    }
}

/// An image asset at `uri`.
fn image(uri: &str) -> Asset {
    Asset {
        resource: Some(asset::Resource::Image(asset::ImageAsset {
            uri: uri.into(),
        })),
        ..Default::default()
    }
}

#[test]
fn documentation_assets_are_valid() {
    assert_clean(&check_asset(&video("gs://my-bucket/my-video.mp4")));
    assert_clean(&check_asset(&Asset {
        crc32c: "AAAAAA==".into(),
        state: 99,
        error: Some(Default::default()),
        ..image("gs://my-bucket/images/logo.png")
    }));
}

#[test]
fn asset_needs_one_resource_with_a_cloud_storage_object() {
    assert_only(
        &check_asset(&Asset::default()),
        "asset",
        &["exactly one of video or image"],
    );
    assert_only(
        &check_asset(&video("")),
        "asset.video.uri",
        &["uri is required"],
    );
    for (uri, fragment) in [
        ("gs://my-bucket", "must name an object"),
        ("gs://my-bucket/", "must name an object"),
        ("https://example.com/x.png", "starting with gs://"),
        ("gs://-bucket/x.png", "invalid bucket name \"-bucket\""),
        ("gs://my-bucket/a\nb", "invalid object name"),
    ] {
        assert_only(
            &check_asset(&image(uri)),
            "asset.image.uri",
            &[&format!("uri {uri:?}"), fragment],
        );
    }
    let long_object = format!("gs://my-bucket/{}", "o".repeat(1025));
    assert_only(
        &check_asset(&image(&long_object)),
        "asset.image.uri",
        &["invalid object name", "…"],
    );
}

#[test]
fn asset_crc32c_is_base64_of_four_bytes() {
    for bad in ["abc", "AAAAAAAA", "AAAA", "!!!!!!==", "AAAAAA"] {
        assert_only(
            &check_asset(&Asset {
                crc32c: bad.into(),
                ..video("gs://b-1/v.mp4")
            }),
            "asset.crc32c",
            &[&format!("crc32c {bad:?}"), "base64 encoding of a 4-byte"],
        );
    }
    assert_clean(&check_asset(&Asset {
        crc32c: "yZRlqg==".into(),
        ..video("gs://b-1/v.mp4")
    }));
}

#[test]
fn pool_peered_network_is_empty_or_a_network_of_a_project_number() {
    let with_network = |network: &str| Pool {
        network_config: Some(pool::NetworkConfig {
            peered_network: network.into(),
        }),
        ..Default::default()
    };
    assert_clean(&check_pool(&Pool::default()));
    assert_clean(&check_pool(&with_network("")));
    assert_clean(&check_pool(&with_network(
        "projects/123456789/global/networks/my-vpc",
    )));
    let field = "pool.network_config.peered_network";
    assert_only(
        &check_pool(&with_network("projects/my-project/global/networks/my-vpc")),
        field,
        &["project by number", "not by ID \"my-project\""],
    );
    for bad in [
        "projects/123/networks/my-vpc",
        "projects/123/global/networks/",
        "my-vpc",
    ] {
        assert_only(
            &check_pool(&with_network(bad)),
            field,
            &[
                &format!("peered_network {bad:?}"),
                "projects/{project}/global/networks/{network}",
            ],
        );
    }
}
