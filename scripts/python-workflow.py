#!/usr/bin/env python3
"""A whole Live Stream workflow with Google's official Python client against the emulator.

    pip install google-cloud-video-live-stream
    livestream emulator --port 0 --lro-delay 1s &      # prints LIVESTREAM_EMULATOR_HOST
    LIVESTREAM_EMULATOR_HOST=127.0.0.1:PORT python3 scripts/python-workflow.py [grpc|rest]

A compatibility check for the emulator. It exercises LRO polling, typed LRO results, pagers,
events, errors and the mixins, over plaintext gRPC (the default) or over REST
(`transport="rest"`, HTTP/1.1 + JSON to `http://HOST`, anonymous credentials: the emulator
serves both on one port). `benches/python/run.sh workflow` and `... workflow-rest` do all
of the above in one command (pinned virtualenv, emulator with 1 s operations);
`benches/compat/run.sh` runs the REST one beside Google's Rust crate (CI runs it).
"""
import os
import sys

import grpc
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud.location import locations_pb2
from google.cloud.video import live_stream_v1 as ls
from google.cloud.video.live_stream_v1.services.livestream_service.transports import (
    LivestreamServiceGrpcTransport,
)
from google.longrunning import operations_pb2
from google.protobuf import duration_pb2, field_mask_pb2

host = os.environ["LIVESTREAM_EMULATOR_HOST"]
transport = sys.argv[1] if len(sys.argv) > 1 else "grpc"
if transport == "grpc":
    client = ls.LivestreamServiceClient(
        transport=LivestreamServiceGrpcTransport(channel=grpc.insecure_channel(host))
    )
elif transport == "rest":
    client = ls.LivestreamServiceClient(
        transport="rest",
        client_options={"api_endpoint": f"http://{host}"},
        credentials=AnonymousCredentials(),
    )
else:
    sys.exit(f"usage: {sys.argv[0]} [grpc|rest]")
print(f"transport: {transport}")
project, location = "my-project", "us-central1"
parent = f"projects/{project}/locations/{location}"


def check(condition, what):
    if not condition:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


def status_name(error):
    """The canonical code of an error, whichever transport raised it.

    Over REST the exception class follows the HTTP status (FAILED_PRECONDITION is HTTP 400,
    so api_core raises BadRequest); the code's name is in the AIP-193 body's `status`.
    """
    if transport == "grpc":
        return error.grpc_status_code.name
    return error.response.json()["error"]["status"]


input_ = client.create_input(
    parent=parent, input_id="my-input", input=ls.Input(type_=ls.Input.Type.RTMP_PUSH)
).result(timeout=60)
check(input_.uri.startswith("rtmp://"), f"input created with uri {input_.uri}")

channel = ls.Channel(
    input_attachments=[ls.InputAttachment(key="my-input", input=input_.name)],
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
        ls.MuxStream(key="mux_video", elementary_streams=["es_video"],
                     segment_settings=ls.SegmentSettings(segment_duration=duration_pb2.Duration(seconds=2))),
        ls.MuxStream(key="mux_audio", elementary_streams=["es_audio"],
                     segment_settings=ls.SegmentSettings(segment_duration=duration_pb2.Duration(seconds=2))),
    ],
    manifests=[
        ls.Manifest(file_name="manifest.m3u8", type_=ls.Manifest.ManifestType.HLS,
                    mux_streams=["mux_video", "mux_audio"], max_segment_count=5, key="manifest_hls"),
    ],
)
created = client.create_channel(parent=parent, channel_id="my-channel", channel=channel).result(timeout=60)
check(created.streaming_state == ls.Channel.StreamingState.STOPPED, "channel created STOPPED")

op = client.start_channel(name=created.name)
op.result(timeout=60)
got = client.get_channel(name=created.name)
check(got.streaming_state == ls.Channel.StreamingState.AWAITING_INPUT, "started: AWAITING_INPUT")

event = client.create_event(
    parent=created.name, event_id="ad-break",
    event=ls.Event(ad_break=ls.Event.AdBreakTask(duration=duration_pb2.Duration(seconds=30)), execute_now=True),
)
check(event.execution_time is not None, "event created with an execution time")
check([e.name for e in client.list_events(parent=created.name)] == [event.name], "events listed")
client.delete_event(name=event.name)

try:
    client.delete_channel(name=created.name).result(timeout=60)
    sys.exit("FAILED: deleting a running channel should fail")
except exceptions.BadRequest as e:  # FailedPrecondition over gRPC is a BadRequest
    check(status_name(e) == "FAILED_PRECONDITION", f"running channel cannot be deleted: {e.message}")

client.stop_channel(name=created.name).result(timeout=60)
try:
    client.stop_channel(name=created.name)
    sys.exit("FAILED: stopping a stopped channel should fail")
except exceptions.BadRequest as e:
    check(status_name(e) == "FAILED_PRECONDITION", "stopping a stopped channel fails")

updated = client.update_channel(
    channel=ls.Channel(name=created.name, output=ls.Channel.Output(uri="gs://my-bucket/other/")),
    update_mask=field_mask_pb2.FieldMask(paths=["output"]),
).result(timeout=60)
check(updated.output.uri == "gs://my-bucket/other/", "channel output updated through a mask")

names = [c.name for c in client.list_channels(request=ls.ListChannelsRequest(parent=parent, page_size=1))]
check(names == [created.name], "channels listed through the pager")

pool = client.get_pool(name=f"{parent}/pools/default")
check(pool.name.endswith("/pools/default"), "pool exists after the first input")

ops = client.list_operations(operations_pb2.ListOperationsRequest(name=parent))
check(len(ops.operations) >= 4, f"{len(ops.operations)} operations listed")
op_again = client.get_operation(operations_pb2.GetOperationRequest(name=ops.operations[0].name))
check(op_again.done, "GetOperation through the mixin")
loc = client.get_location(locations_pb2.GetLocationRequest(name=parent))
check(loc.location_id == location, "GetLocation through the mixin")

client.delete_channel(name=created.name).result(timeout=60)
client.delete_input(name=input_.name).result(timeout=60)
try:
    client.get_input(name=input_.name)
    sys.exit("FAILED: the input should be gone")
except exceptions.NotFound:
    check(True, "deleted input is NOT_FOUND")
print("python workflow passed")
