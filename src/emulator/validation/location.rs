//! Validation of the resources that live directly under a location and need no channel:
//! inputs, assets and the pool.

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{FieldViolation, Path, Presence, Report, quoted};
use crate::names::NetworkName;
use crate::v1::asset::Resource;
use crate::v1::input::{Tier, Type};
use crate::v1::{Asset, Input, Pool};

/// The valid range of `preprocessing_config.audio.lufs` (proto; 0 disables normalization).
const LUFS: std::ops::RangeInclusive<f64> = -24.0..=0.0;

/// The tiers of H.265 input, which only SRT carries (D-QUOTA "General limits").
const H265_TIERS: &[Tier] = &[Tier::SdH265, Tier::HdH265, Tier::UhdH265];

/// Validates an input (see [`super::input()`]).
pub(super) fn input(input: &Input) -> Vec<FieldViolation> {
    let mut report = Report::default();
    let root = Path::root("input");
    let type_path = root.field("type");
    let input_type = if input.r#type == Type::Unspecified as i32 {
        report.required_as(&type_path, "RTMP_PUSH or SRT_PUSH");
        None
    } else {
        report.known_enum::<Type>(&type_path, input.r#type, "Input.Type")
    };
    // TIER_UNSPECIFIED is fine: the tier defaults to HD (proto).
    let tier = report.known_enum::<Tier>(&root.field("tier"), input.tier, "Input.Tier");
    if let (Some(tier), Some(input_type)) = (tier, input_type)
        && H265_TIERS.contains(&tier)
        && input_type != Type::SrtPush
    {
        report.invalid(
            &root.field("tier"),
            format!(
                "tier {} needs type SRT_PUSH, not {}: H.265 input is supported only over SRT",
                tier.as_str_name(),
                input_type.as_str_name()
            ),
        );
    }
    if let Some(config) = &input.preprocessing_config {
        let path = root.field("preprocessing_config");
        if let Some(audio) = &config.audio {
            report.within(&path.field("audio").field("lufs"), audio.lufs, LUFS);
        }
        let edges = |name: &str, [top, bottom, left, right]: [i32; 4]| {
            let path = path.field(name);
            [
                (path.field("top_pixels"), top),
                (path.field("bottom_pixels"), bottom),
                (path.field("left_pixels"), left),
                (path.field("right_pixels"), right),
            ]
        };
        let crop = config.crop.as_ref().map(|c| {
            edges(
                "crop",
                [c.top_pixels, c.bottom_pixels, c.left_pixels, c.right_pixels],
            )
        });
        let pad = config.pad.as_ref().map(|p| {
            edges(
                "pad",
                [p.top_pixels, p.bottom_pixels, p.left_pixels, p.right_pixels],
            )
        });
        for (path, pixels) in crop.into_iter().chain(pad).flatten() {
            report.non_negative(&path, pixels);
        }
    }
    if let Some(rules) = &input.security_rules {
        let list = root.field("security_rules").field("ip_ranges");
        for (i, range) in rules.ip_ranges.iter().enumerate() {
            if let Some(problem) = cidr_problem(range) {
                report.invalid(
                    &list.index(i),
                    format!("ip_ranges {} {problem}", quoted(range)),
                );
            }
        }
    }
    report.finish()
}

/// What is wrong with a CIDR block such as `192.0.2.0/24` or `2001:db8::/32`, if anything.
/// Host bits may be set (`192.0.2.1/24`): the block is still unambiguous.
fn cidr_problem(value: &str) -> Option<String> {
    let Some((address, prefix)) = value.split_once('/') else {
        return Some("must be a CIDR block such as 192.0.2.0/24 or 2001:db8::/32".to_owned());
    };
    let max = match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => 32,
        Ok(IpAddr::V6(_)) => 128,
        Err(_) => return Some(format!("has an invalid IP address {}", quoted(address))),
    };
    let prefix_ok = (1..=3).contains(&prefix.len())
        && prefix.bytes().all(|b| b.is_ascii_digit())
        && prefix.parse::<u8>().is_ok_and(|p| p <= max);
    if prefix_ok {
        None
    } else {
        Some(format!(
            "has an invalid prefix length {} (0 to {max})",
            quoted(prefix)
        ))
    }
}

/// Validates an asset (see [`super::asset()`]).
pub(super) fn asset(asset: &Asset) -> Vec<FieldViolation> {
    let mut report = Report::default();
    let root = Path::root("asset");
    let uri = match &asset.resource {
        None => {
            report.invalid(&root, "exactly one of video or image must be set");
            None
        }
        Some(Resource::Video(video)) => Some((root.field("video").field("uri"), &video.uri)),
        Some(Resource::Image(image)) => Some((root.field("image").field("uri"), &image.uri)),
    };
    if let Some((path, uri)) = uri
        && report.present(&path, uri, Presence::Required)
    {
        report.gcs_uri(&path, uri, Presence::Required);
    }
    let crc32c = &asset.crc32c;
    if !crc32c.is_empty() && BASE64.decode(crc32c).map_or(true, |bytes| bytes.len() != 4) {
        report.invalid(
            &root.field("crc32c"),
            format!(
                "crc32c {} must be the base64 encoding of a 4-byte CRC32C checksum, such as \
                 \"AAAAAA==\"",
                quoted(crc32c)
            ),
        );
    }
    report.finish()
}

/// Validates a pool (see [`super::pool()`]).
pub(super) fn pool(pool: &Pool) -> Vec<FieldViolation> {
    let mut report = Report::default();
    let Some(config) = &pool.network_config else {
        return report.finish();
    };
    let path = Path::root("pool")
        .field("network_config")
        .field("peered_network");
    let network = &config.peered_network;
    // Empty means public endpoints (proto).
    if !network.is_empty()
        && let Some(name) = report.name::<NetworkName>(&path, network)
        && !name.project().bytes().all(|b| b.is_ascii_digit())
    {
        report.invalid(
            &path,
            format!(
                "peered_network {} must name the network's project by number \
                 (projects/NETWORK_PROJECT_NUMBER/global/networks/NETWORK_NAME), not by ID {}",
                quoted(network),
                quoted(name.project())
            ),
        );
    }
    report.finish()
}
