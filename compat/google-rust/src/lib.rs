//! Shared by the workflow and the benchmark: Google's REST client for the Live Stream API,
//! `google-cloud-video-livestream-v1`, pointed at our emulator as its users would point it
//! at any HTTP endpoint (`with_endpoint("http://HOST")`, anonymous credentials).

use google_cloud_auth::credentials::anonymous;
use google_cloud_video_livestream_v1::client::LivestreamService;
use google_cloud_video_livestream_v1::model::{
    AudioStream, Channel, ElementaryStream, InputAttachment, Manifest, MuxStream, RetentionConfig,
    SegmentSettings, VideoStream, channel, manifest, video_stream,
};
use google_cloud_wkt::Duration;

/// The error type of both programs: anything, with its message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `LIVESTREAM_EMULATOR_HOST` (`127.0.0.1:PORT`, as `livestream emulator` prints it).
pub fn emulator_host() -> Result<String, BoxError> {
    std::env::var("LIVESTREAM_EMULATOR_HOST")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| "LIVESTREAM_EMULATOR_HOST is not set (start `livestream emulator`)".into())
}

/// Google's client over plaintext HTTP/1.1 + JSON to the emulator, no credentials sent.
pub fn builder(
    host: &str,
) -> google_cloud_video_livestream_v1::builder::livestream_service::ClientBuilder {
    LivestreamService::builder()
        .with_endpoint(format!("http://{host}"))
        .with_credentials(anonymous::Builder::new().build())
}

/// A quickstart-like channel (the same body as `benches/support::quickstart_channel` of
/// livestream-grpc): one input attachment, H.264 720p + AAC, two fMP4 mux streams with 2 s
/// segments, an HLS manifest, a one-hour retention window.
pub fn quickstart_channel(input: &str) -> Channel {
    let segments = || SegmentSettings::new().set_segment_duration(Duration::clamp(2, 0));
    let mux = |key: &str, es: &str| {
        MuxStream::new()
            .set_key(key)
            .set_container("fmp4")
            .set_elementary_streams([es])
            .set_segment_settings(segments())
    };
    Channel::new()
        .set_input_attachments([InputAttachment::new().set_key("my-input").set_input(input)])
        .set_output(channel::Output::new().set_uri("gs://my-bucket/outputs/"))
        .set_elementary_streams([
            ElementaryStream::new()
                .set_key("es_video")
                .set_video_stream(
                    VideoStream::new().set_h264(
                        video_stream::H264CodecSettings::new()
                            .set_profile("high")
                            .set_width_pixels(1280)
                            .set_height_pixels(720)
                            .set_frame_rate(30.0)
                            .set_bitrate_bps(3_000_000),
                    ),
                ),
            ElementaryStream::new()
                .set_key("es_audio")
                .set_audio_stream(
                    AudioStream::new()
                        .set_codec("aac")
                        .set_channel_count(2)
                        .set_bitrate_bps(160_000),
                ),
        ])
        .set_mux_streams([mux("mux_video", "es_video"), mux("mux_audio", "es_audio")])
        .set_manifests([Manifest::new()
            .set_key("manifest_hls")
            .set_file_name("main.m3u8")
            .set_type(manifest::ManifestType::Hls)
            .set_mux_streams(["mux_video", "mux_audio"])
            .set_max_segment_count(5)])
        .set_retention_config(
            RetentionConfig::new().set_retention_window_duration(Duration::clamp(3600, 0)),
        )
}

/// A run-unique suffix (hex of the clock's nanoseconds), so that a reused emulator never
/// sees an ID twice.
pub fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}", nanos & 0xffff_ffff_ffff)
}
