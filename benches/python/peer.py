"""Google's official Python client against the standalone livestream-grpc emulator: times
sequential and 64-thread GetChannel calls and prints one JSON line, with the same keys as
the Rust side (`cargo bench --bench peer`).

The emulator address comes from LIVESTREAM_EMULATOR_HOST (host:port); PEER_CALLS (default
5000) calls per phase, PEER_THREADS (default 64) threads. Run through
`benches/python/run.sh`, which creates the virtualenv, starts the emulator, runs both
clients in alternation and prints the ratios. The compatibility workflow is
`scripts/python-workflow.py` (`run.sh workflow` runs it in the same virtualenv).
"""

import concurrent.futures
import json
import os
import statistics
import sys
import time
import uuid

import grpc
from google.auth.credentials import AnonymousCredentials
from google.cloud.video import live_stream_v1 as ls
from google.cloud.video.live_stream_v1.services.livestream_service.transports import (
    LivestreamServiceGrpcTransport,
)

PROJECT = "python-peer"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"


def client():
    host = os.environ.get("LIVESTREAM_EMULATOR_HOST")
    if not host:
        sys.exit("set LIVESTREAM_EMULATOR_HOST=host:port (see `livestream emulator`)")
    channel = grpc.insecure_channel(host)
    transport = LivestreamServiceGrpcTransport(channel=channel, credentials=AnonymousCredentials())
    return ls.LivestreamServiceClient(transport=transport)


def make_channel(c, suffix):
    """Creates an input and a channel attached to it; returns the channel name."""
    input_id = f"py-input-{suffix}"
    c.create_input(
        parent=PARENT,
        input_id=input_id,
        input=ls.Input(type_=ls.Input.Type.RTMP_PUSH),
    ).result(timeout=60)
    channel = ls.Channel(
        input_attachments=[ls.InputAttachment(key="my-input", input=f"{PARENT}/inputs/{input_id}")],
        output=ls.Channel.Output(uri="gs://my-bucket/outputs/"),
        elementary_streams=[
            ls.ElementaryStream(
                key="es_video",
                video_stream=ls.VideoStream(
                    h264=ls.VideoStream.H264CodecSettings(
                        profile="high", width_pixels=1280, height_pixels=720,
                        bitrate_bps=3000000, frame_rate=30,
                    )
                ),
            ),
            ls.ElementaryStream(
                key="es_audio",
                audio_stream=ls.AudioStream(codec="aac", channel_count=2, bitrate_bps=160000),
            ),
        ],
        mux_streams=[
            ls.MuxStream(key="mux_video", container="fmp4", elementary_streams=["es_video"],
                         segment_settings=ls.SegmentSettings(segment_duration={"seconds": 2})),
            ls.MuxStream(key="mux_audio", container="fmp4", elementary_streams=["es_audio"],
                         segment_settings=ls.SegmentSettings(segment_duration={"seconds": 2})),
        ],
        manifests=[
            ls.Manifest(key="manifest_hls", file_name="main.m3u8", type_=ls.Manifest.ManifestType.HLS,
                        mux_streams=["mux_video", "mux_audio"], max_segment_count=5),
        ],
    )
    channel_id = f"py-channel-{suffix}"
    created = c.create_channel(parent=PARENT, channel_id=channel_id, channel=channel).result(timeout=60)
    return created.name, f"{PARENT}/inputs/{input_id}"


def timed(fn, n):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def getchannel():
    n = int(os.environ.get("PEER_CALLS", "5000"))
    threads = int(os.environ.get("PEER_THREADS", "64"))
    c = client()
    name, _ = make_channel(c, uuid.uuid4().hex[:8])
    get = lambda: c.get_channel(name=name)  # noqa: E731
    timed(get, 200)  # warm-up
    seq = timed(get, n)
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda _: get(), range(n)))
    wall = time.perf_counter() - t0
    print(json.dumps({
        "client": f"python google-cloud-video-live-stream {ls.__version__} (grpcio {grpc.__version__})",
        "sequential_calls": n,
        "sequential_median_us": statistics.median(seq) * 1e6,
        "sequential_p90_us": statistics.quantiles(seq, n=10)[-1] * 1e6,
        "sequential_calls_per_s": n / sum(seq),
        "threads": threads,
        "concurrent_calls_per_s": n / wall,
    }))


if __name__ == "__main__":
    getchannel()
