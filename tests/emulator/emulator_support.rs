//! Shared helpers for the emulator tests (`tests/emulator/emulator_*.rs`): a started emulator
//! with the three generated clients, valid resource bodies, and LRO unpacking. The client's
//! tests against the emulator include it too, through `#[path]`.
#![allow(dead_code, unreachable_pub)]

use livestream_grpc::emulator::{Emulator, EmulatorConfig, RunningEmulator};
use livestream_grpc::location::locations_client::LocationsClient;
use livestream_grpc::longrunning::operations_client::OperationsClient;
use livestream_grpc::longrunning::{GetOperationRequest, Operation, operation};
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use prost::{Message, Name};
use tonic::transport::Channel as Transport;
use tonic_types::{ErrorDetails, StatusExt};

pub const PROJECT: &str = "test-project";
pub const LOC: &str = "projects/test-project/locations/us-central1";

/// A started emulator and clients connected to it.
pub struct Env {
    pub emu: RunningEmulator,
    pub ls: LivestreamServiceClient<Transport>,
    pub ops: OperationsClient<Transport>,
    pub locs: LocationsClient<Transport>,
}

impl std::ops::Deref for Env {
    type Target = Emulator;
    fn deref(&self) -> &Emulator {
        &self.emu
    }
}

pub async fn start() -> Env {
    start_with(EmulatorConfig::default()).await
}

pub async fn start_with(config: EmulatorConfig) -> Env {
    let emu = Emulator::builder()
        .config(config)
        .start()
        .await
        .expect("emulator starts");
    Env {
        ls: LivestreamServiceClient::new(emu.channel()),
        ops: OperationsClient::new(emu.channel()),
        locs: LocationsClient::new(emu.channel()),
        emu,
    }
}

pub fn input_name(id: &str) -> String {
    format!("{LOC}/inputs/{id}")
}

pub fn channel_name(id: &str) -> String {
    format!("{LOC}/channels/{id}")
}

pub fn asset_name(id: &str) -> String {
    format!("{LOC}/assets/{id}")
}

/// A channel body the real service would accept: one input, H.264 + AAC, an HLS manifest
/// keyed `manifest_hls`, a retention config.
pub fn channel_body(input: Option<&str>) -> Channel {
    use livestream_grpc::v1::channel::Output;
    use livestream_grpc::v1::elementary_stream::ElementaryStream as StreamType;
    use livestream_grpc::v1::video_stream::{CodecSettings, H264CodecSettings};
    Channel {
        input_attachments: input
            .map(|i| InputAttachment {
                key: "my-input".into(),
                input: input_name(i),
                ..Default::default()
            })
            .into_iter()
            .collect(),
        output: Some(Output {
            uri: "gs://my-bucket/outputs".into(),
        }),
        elementary_streams: vec![
            ElementaryStream {
                key: "es_video".into(),
                elementary_stream: Some(StreamType::VideoStream(VideoStream {
                    codec_settings: Some(CodecSettings::H264(H264CodecSettings {
                        width_pixels: 1280,
                        height_pixels: 720,
                        frame_rate: 30.0,
                        bitrate_bps: 3_000_000,
                        ..Default::default()
                    })),
                    ..Default::default()
                })),
                ..Default::default()
            },
            ElementaryStream {
                key: "es_audio".into(),
                elementary_stream: Some(StreamType::AudioStream(AudioStream {
                    codec: "aac".into(),
                    channel_count: 2,
                    bitrate_bps: 160_000,
                    ..Default::default()
                })),
                ..Default::default()
            },
        ],
        mux_streams: vec![
            MuxStream {
                key: "mux_video".into(),
                container: "fmp4".into(),
                elementary_streams: vec!["es_video".into()],
                ..Default::default()
            },
            MuxStream {
                key: "mux_audio".into(),
                container: "fmp4".into(),
                elementary_streams: vec!["es_audio".into()],
                ..Default::default()
            },
        ],
        manifests: vec![Manifest {
            key: "manifest_hls".into(),
            file_name: "main.m3u8".into(),
            r#type: manifest::ManifestType::Hls as i32,
            mux_streams: vec!["mux_video".into(), "mux_audio".into()],
            max_segment_count: 5,
            ..Default::default()
        }],
        retention_config: Some(RetentionConfig {
            retention_window_duration: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 0,
            }),
        }),
        ..Default::default()
    }
}

/// `body` with one SRT distribution keyed `dist`, of a TS stream of its video and audio.
pub fn with_distribution(body: Channel) -> Channel {
    let srt = distribution::Endpoint::SrtPush(SrtPushOutputEndpoint {
        uri: "srt://203.0.113.1:4201?streamid=x".into(),
        ..Default::default()
    });
    with_distribution_to(body, "dist", "ts", srt)
}

/// `body` with one distribution `key` to `endpoint`, of a `container` stream of its video
/// and audio.
pub fn with_distribution_to(
    body: Channel,
    key: &str,
    container: &str,
    endpoint: distribution::Endpoint,
) -> Channel {
    Channel {
        distribution_streams: vec![DistributionStream {
            key: "dist-stream".into(),
            container: container.into(),
            elementary_streams: vec!["es_video".into(), "es_audio".into()],
        }],
        distributions: vec![Distribution {
            key: key.into(),
            distribution_stream: "dist-stream".into(),
            endpoint: Some(endpoint),
            ..Default::default()
        }],
        ..body
    }
}

/// A CreateInput request for an RTMP push input `id` in [`LOC`].
pub fn create_input_request(id: &str) -> CreateInputRequest {
    CreateInputRequest {
        parent: LOC.into(),
        input_id: id.into(),
        input: Some(Input {
            r#type: input::Type::RtmpPush as i32,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A CreateChannel request for channel `id` in [`LOC`] with `body`.
pub fn create_channel_request(id: &str, body: Channel) -> CreateChannelRequest {
    CreateChannelRequest {
        parent: LOC.into(),
        channel_id: id.into(),
        channel: Some(body),
        ..Default::default()
    }
}

/// A CreateAsset request for the image `gs://my-bucket/{id}.png` in [`LOC`].
pub fn create_asset_request(id: &str) -> CreateAssetRequest {
    CreateAssetRequest {
        parent: LOC.into(),
        asset_id: id.into(),
        asset: Some(Asset {
            resource: Some(asset::Resource::Image(asset::ImageAsset {
                uri: format!("gs://my-bucket/{id}.png"),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The response of a done, successful operation.
pub fn response<T: Message + Name + Default>(op: &Operation) -> T {
    assert!(op.done, "operation {} is not done", op.name);
    match &op.result {
        Some(operation::Result::Response(any)) => any.to_msg::<T>().expect("response type"),
        other => panic!("operation {} has no response: {other:?}", op.name),
    }
}

/// The error of a done, failed operation.
pub fn op_error(op: &Operation) -> livestream_grpc::rpc::Status {
    assert!(op.done, "operation {} is not done", op.name);
    match &op.result {
        Some(operation::Result::Error(e)) => e.clone(),
        other => panic!("operation {} has no error: {other:?}", op.name),
    }
}

/// The rich error details of a status.
pub fn details(status: &tonic::Status) -> ErrorDetails {
    status.get_error_details()
}

impl Env {
    pub async fn create_input(&mut self, id: &str) -> Input {
        let op = self
            .ls
            .create_input(create_input_request(id))
            .await
            .expect("create input")
            .into_inner();
        response(&op)
    }

    pub async fn create_channel(&mut self, id: &str, input: Option<&str>) -> Channel {
        let op = self
            .ls
            .create_channel(create_channel_request(id, channel_body(input)))
            .await
            .expect("create channel")
            .into_inner();
        response(&op)
    }

    /// An input and a channel using it, both created.
    pub async fn channel_with_input(&mut self, id: &str) -> Channel {
        let input = format!("{id}-in");
        self.create_input(&input).await;
        self.create_channel(id, Some(&input)).await
    }

    pub async fn start_channel(&mut self, id: &str) -> Operation {
        self.ls
            .start_channel(StartChannelRequest {
                name: channel_name(id),
                ..Default::default()
            })
            .await
            .expect("start channel")
            .into_inner()
    }

    pub async fn stop_channel(&mut self, id: &str) -> Result<Operation, tonic::Status> {
        self.ls
            .stop_channel(StopChannelRequest {
                name: channel_name(id),
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner())
    }

    pub async fn get_channel(&mut self, id: &str) -> Channel {
        self.ls
            .get_channel(GetChannelRequest {
                name: channel_name(id),
            })
            .await
            .expect("get channel")
            .into_inner()
    }

    pub async fn get_operation(&mut self, name: &str) -> Result<Operation, tonic::Status> {
        self.ops
            .get_operation(GetOperationRequest { name: name.into() })
            .await
            .map(|r| r.into_inner())
    }

    pub async fn create_asset(&mut self, id: &str) -> Result<Operation, tonic::Status> {
        self.ls
            .create_asset(create_asset_request(id))
            .await
            .map(|r| r.into_inner())
    }

    /// Creates an event executing now on a started channel.
    pub async fn create_event(
        &mut self,
        channel: &str,
        id: &str,
        task: event::Task,
    ) -> Result<Event, tonic::Status> {
        self.ls
            .create_event(CreateEventRequest {
                parent: channel_name(channel),
                event_id: id.into(),
                event: Some(Event {
                    task: Some(task),
                    execute_now: true,
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner())
    }

    pub async fn get_event(&mut self, channel: &str, id: &str) -> Event {
        self.ls
            .get_event(GetEventRequest {
                name: format!("{}/events/{id}", channel_name(channel)),
            })
            .await
            .expect("get event")
            .into_inner()
    }
}

pub fn secs(s: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: s,
        nanos: 0,
    }
}

pub fn at(t: std::time::SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}

/// A codec that sends and receives message bodies as they are: what a caller that
/// encodes its own (possibly malformed) requests puts on the wire.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawCodec;

#[derive(Debug)]
pub struct RawEncoder;

#[derive(Debug)]
pub struct RawDecoder;

impl tonic::codec::Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        use bytes::BufMut as _;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf as _;
        let n = src.remaining();
        Ok(Some(src.copy_to_bytes(n).to_vec()))
    }
}

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// Sends `body` as the request message of the RPC at `path` (`/package.Service/Method`)
/// to the in-process emulator, and returns the encoded response.
pub async fn raw_call(emu: &Emulator, path: &str, body: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(emu.service());
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unknown(format!("not ready: {e:?}")))?;
    let path = http::uri::PathAndQuery::try_from(path)
        .map_err(|e| tonic::Status::invalid_argument(e.to_string()))?;
    grpc.unary(tonic::Request::new(body), path, RawCodec)
        .await
        .map(|r| r.into_inner())
}

/// Every unary RPC the emulator serves, as `(gRPC path, request descriptor)`: the 41 of the
/// API and those of the admin service.
pub fn every_rpc() -> Vec<(String, prost_reflect::MessageDescriptor)> {
    let pool = livestream_grpc::reflect::descriptor_pool().expect("descriptor pool");
    let mut rpcs = Vec::new();
    for service in [
        "google.cloud.video.livestream.v1.LivestreamService",
        "google.longrunning.Operations",
        "google.cloud.location.Locations",
        "livestream.emulator.v1.EmulatorAdmin",
    ] {
        let service = pool.get_service_by_name(service).expect("service");
        for method in service.methods() {
            rpcs.push((
                format!("/{}/{}", service.full_name(), method.name()),
                method.input(),
            ));
        }
    }
    rpcs
}

/// One length-prefixed gRPC message.
pub fn framed(flag: u8, message: &[u8]) -> Vec<u8> {
    let mut out = vec![flag];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// A body of these bytes.
pub struct Bytes(pub Option<bytes::Bytes>);

impl http_body::Body for Bytes {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// What came back: the HTTP status, the gRPC status (from the headers of a trailers-only
/// response, or the trailers).
pub struct Answer {
    pub http: http::StatusCode,
    pub status: tonic::Status,
}

/// Sends a raw HTTP/2 request (any headers, any body) to a tower service: the in-process
/// emulator, or a `tonic::transport::Channel` to a socket one.
pub async fn send<S>(service: S, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer
where
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
        >,
    S::Error: std::fmt::Debug,
{
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("http://emulator{path}"))
        .header("te", "trailers");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request
        .body(tonic::body::Body::new(Bytes(Some(body.into()))))
        .unwrap();
    let response = tower::ServiceExt::oneshot(service, request)
        .await
        .expect("an HTTP response");
    let http = response.status();
    if let Some(status) = tonic::Status::from_header_map(response.headers()) {
        return Answer { http, status };
    }
    let mut body = response.into_body();
    loop {
        let frame = std::future::poll_fn(|cx| {
            http_body::Body::poll_frame(std::pin::Pin::new(&mut body), cx)
        })
        .await;
        match frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(status) = tonic::Status::from_header_map(trailers)
                {
                    return Answer { http, status };
                }
            }
            Some(Err(status)) => return Answer { http, status },
            None => panic!("no grpc-status in the response to {path}"),
        }
    }
}
