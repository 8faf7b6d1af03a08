//! The emulator's REST mapping (feature `rest`) over real HTTP/1.1 on the gRPC port: every
//! annotated RPC and every mixin route in one workflow (checked against the descriptor set,
//! so an annotated RPC without a route fails it), the mapping rules Google's REST clients
//! rely on, AIP-193 errors, bad input, and faults, call counts, replay and the request log
//! behaving as over gRPC.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::emulator_support::*;
use crate::rest_support::*;
use livestream_grpc::Method;
use livestream_grpc::emulator::{Emulator, Fault, FaultScript, LroTiming, Transport};
use livestream_grpc::longrunning::Operation;
use livestream_grpc::v1::*;
use prost::Name;
use serde_json::{Value, json};
use tonic::Code;

fn v1(path: &str) -> String {
    format!("/v1/{path}")
}

fn at(emu: &Emulator, ago: Duration) -> String {
    let t: prost_types::Timestamp = (emu.now() - ago).into();
    t.to_string()
}

/// The RPCs that must have a REST route: every method of the API's service with a
/// `google.api.http` annotation in the descriptor set, and the six mixin routes of the
/// service configuration.
fn routed_methods() -> BTreeSet<Method> {
    let pool = livestream_grpc::reflect::descriptor_pool().unwrap();
    let http = pool.get_extension_by_name("google.api.http").unwrap();
    let service = pool
        .get_service_by_name("google.cloud.video.livestream.v1.LivestreamService")
        .unwrap();
    let mut methods: BTreeSet<Method> = service
        .methods()
        .filter(|m| m.options().has_extension(&http))
        .map(|m| m.name().parse().unwrap())
        .collect();
    assert_eq!(methods.len(), 34, "the API's annotated RPCs");
    methods.extend([
        Method::GetOperation,
        Method::ListOperations,
        Method::CancelOperation,
        Method::DeleteOperation,
        Method::GetLocation,
        Method::ListLocations,
    ]);
    methods
}

/// The operation's response, checking its `@type`.
fn response_of<T: prost::Message + Name + Default>(op: &Value) -> T {
    assert_eq!(op["done"], true, "{op}");
    assert_eq!(op["response"]["@type"], T::type_url(), "{op}");
    let operation: Operation = from_json(op);
    response(&operation)
}

#[tokio::test]
async fn every_annotated_rpc_and_mixin_route_over_rest() {
    let env = start().await;
    let emu = &env.emu;
    let rest = Rest::new(emu.address());
    let loc = LOC;

    // Locations
    let locations = rest.get(&v1("projects/test-project/locations")).await.ok();
    assert!(
        locations["locations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["locationId"] == "us-central1")
    );
    let here = rest.get(&v1(loc)).await.ok();
    assert_eq!(here["name"], loc);

    // Inputs, and the pool that appears with the first.
    let input = to_json(&create_input_request("in").input.unwrap());
    let op = rest
        .post(&v1(&format!("{loc}/inputs?inputId=in")), &input)
        .await
        .ok();
    let created: Input = response_of(&op);
    assert_eq!(created.name, input_name("in"));
    assert_eq!(
        rest.get(&v1(&input_name("in"))).await.ok()["name"],
        input_name("in")
    );
    let listed = rest.get(&v1(&format!("{loc}/inputs"))).await.ok();
    assert_eq!(listed["inputs"].as_array().unwrap().len(), 1);
    let op = rest
        .patch(
            &v1(&format!("{}?updateMask=securityRules", input_name("in"))),
            &json!({"securityRules": {"ipRanges": ["192.0.2.0/24"]}}),
        )
        .await
        .ok();
    let updated: Input = response_of(&op);
    assert_eq!(updated.security_rules.unwrap().ip_ranges, ["192.0.2.0/24"]);
    let pool_name = format!("{loc}/pools/default");
    assert_eq!(rest.get(&v1(&pool_name)).await.ok()["name"], pool_name);
    let op = rest
        .patch(
            &v1(&format!("{pool_name}?update_mask=network_config.peered_network")),
            &json!({"networkConfig": {"peeredNetwork": "projects/123456789/global/networks/default"}}),
        )
        .await
        .ok();
    let pool: Pool = response_of(&op);
    assert!(pool.network_config.is_some());

    // Assets
    let asset = to_json(&create_asset_request("logo").asset.unwrap());
    let op = rest
        .post(&v1(&format!("{loc}/assets?assetId=logo")), &asset)
        .await
        .ok();
    let _: Asset = response_of(&op);
    assert_eq!(
        rest.get(&v1(&asset_name("logo"))).await.ok()["state"],
        "ACTIVE"
    );
    assert_eq!(
        rest.get(&v1(&format!("{loc}/assets"))).await.ok()["assets"][0]["name"],
        asset_name("logo")
    );

    // Channels
    let ch = channel_name("ch");
    let body = to_json(&with_distribution(channel_body(Some("in"))));
    let op = rest
        .post(&v1(&format!("{loc}/channels?channelId=ch")), &body)
        .await
        .ok();
    let create_operation = op["name"].as_str().unwrap().to_owned();
    let channel: Channel = response_of(&op);
    assert_eq!(channel.name, ch);
    let listed = rest
        .get(&v1(&format!(
            "{loc}/channels?filter=streaming_state%20%3D%20STOPPED"
        )))
        .await
        .ok();
    assert_eq!(listed["channels"][0]["name"], ch.as_str());
    assert_eq!(rest.get(&v1(&ch)).await.ok()["streamingState"], "STOPPED");
    let op = rest
        .patch(
            &v1(&format!("{ch}?updateMask=output.uri")),
            &json!({"output": {"uri": "gs://my-bucket/moved"}}),
        )
        .await
        .ok();
    let moved: Channel = response_of(&op);
    assert_eq!(moved.output.unwrap().uri, "gs://my-bucket/moved");
    let op = rest
        .post(&v1(&format!("{ch}:start")), &json!({}))
        .await
        .ok();
    let _: ChannelOperationResponse = response_of(&op);
    emu.connect_input(input_name("in")).unwrap();
    let preview = rest
        .post(&v1(&format!("{}:preview", input_name("in"))), &json!({}))
        .await
        .ok();
    assert!(preview["uri"].as_str().unwrap().starts_with("https://"));
    let op = rest
        .post(
            &v1(&format!("{ch}:startdistribution")),
            &json!({"distributionKeys": ["dist"]}),
        )
        .await
        .ok();
    let _: ChannelOperationResponse = response_of(&op);
    assert_eq!(
        rest.get(&v1(&ch)).await.ok()["distributions"][0]["state"],
        "DISTRIBUTING"
    );
    let op = rest
        .post(&v1(&format!("{ch}:stopdistribution")), &json!({}))
        .await
        .ok();
    let _: ChannelOperationResponse = response_of(&op);

    // Events (not long-running; Delete answers Empty as `{}`).
    let event = rest
        .post(
            &v1(&format!("{ch}/events?eventId=ad")),
            &json!({"adBreak": {"duration": "30s"}, "executeNow": true}),
        )
        .await
        .ok();
    assert_eq!(event["name"], format!("{ch}/events/ad"));
    assert_eq!(event["adBreak"]["duration"], "30s");
    assert!(event["executionTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        rest.get(&v1(&format!("{ch}/events/ad"))).await.ok()["name"],
        event["name"]
    );
    assert_eq!(
        rest.get(&v1(&format!("{ch}/events"))).await.ok()["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        rest.delete(&v1(&format!("{ch}/events/ad"))).await.ok(),
        json!({})
    );

    // Clips of content the channel produced, with RFC 3339 times.
    emu.advance_clock(Duration::from_secs(300));
    let clip = json!({
        "outputUri": "gs://my-bucket/clips",
        "slices": [{"timeSlice": {
            "markinTime": at(emu, Duration::from_secs(120)),
            "markoutTime": at(emu, Duration::from_secs(60)),
        }}],
        "clipManifests": [{"manifestKey": "manifest_hls"}],
    });
    let op = rest
        .post(&v1(&format!("{ch}/clips?clipId=highlight")), &clip)
        .await
        .ok();
    let clip: Clip = response_of(&op);
    assert_eq!(clip.state(), clip::State::Succeeded);
    assert_eq!(rest.get(&v1(&clip.name)).await.ok()["state"], "SUCCEEDED");
    assert_eq!(
        rest.get(&v1(&format!("{ch}/clips"))).await.ok()["clips"][0]["name"],
        clip.name
    );
    let op = rest.delete(&v1(&clip.name)).await.ok();
    // An `Any` of `Empty` as the protobuf runtimes write it: no `value`.
    assert_eq!(
        op["response"],
        json!({"@type": "type.googleapis.com/google.protobuf.Empty"})
    );

    // DVR sessions
    let dvr = json!({
        "dvrManifests": [{"manifestKey": "manifest_hls"}],
        "dvrWindows": [{"timeInterval": {}}],
    });
    let op = rest
        .post(&v1(&format!("{ch}/dvrSessions?dvrSessionId=replay")), &dvr)
        .await
        .ok();
    let dvr: DvrSession = response_of(&op);
    assert_eq!(rest.get(&v1(&dvr.name)).await.ok()["state"], "LIVE");
    assert_eq!(
        rest.get(&v1(&format!("{ch}/dvrSessions"))).await.ok()["dvrSessions"][0]["name"],
        dvr.name
    );
    let start = at(emu, Duration::from_secs(60));
    let op = rest
        .patch(
            &v1(&format!("{}?updateMask=dvrWindows", dvr.name)),
            &json!({"dvrWindows": [{"timeInterval": {"startTime": start}}]}),
        )
        .await
        .ok();
    let narrowed: DvrSession = response_of(&op);
    assert_eq!(narrowed.dvr_windows.len(), 1);
    rest.delete(&v1(&dvr.name)).await.ok();

    // Stop, delete everything.
    let op = rest.post(&v1(&format!("{ch}:stop")), &json!({})).await.ok();
    let _: ChannelOperationResponse = response_of(&op);
    rest.delete(&v1(&ch)).await.ok();
    rest.get(&v1(&ch)).await.error(404, "NOT_FOUND");
    rest.delete(&v1(&input_name("in"))).await.ok();
    rest.delete(&v1(&asset_name("logo"))).await.ok();

    // Operations: newest first; cancel of a finished one changes nothing; delete forgets.
    let ops = rest
        .get(&v1(&format!("{loc}/operations?pageSize=100")))
        .await
        .ok();
    assert_eq!(ops["operations"].as_array().unwrap().len(), 18);
    let fetched = rest.get(&v1(&create_operation)).await.ok();
    assert_eq!(fetched["name"], create_operation.as_str());
    assert_eq!(
        rest.post(&v1(&format!("{create_operation}:cancel")), &json!({}))
            .await
            .ok(),
        json!({})
    );
    assert_eq!(rest.delete(&v1(&create_operation)).await.ok(), json!({}));
    rest.get(&v1(&create_operation))
        .await
        .error(404, "NOT_FOUND");

    // Every routed RPC was called, every call over REST, and nothing else.
    let called: BTreeSet<Method> = emu.call_counts().into_keys().collect();
    assert_eq!(called, routed_methods());
    for method in called {
        for request in emu.requests(method) {
            assert_eq!(request.transport, Transport::Rest, "{method}");
        }
    }
}

#[tokio::test]
async fn query_parameters_in_either_case_with_defaults_unset() {
    let env = start().await;
    let rest = Rest::new(env.emu.address());
    // Google's Rust crate sends every query field, defaults included.
    let input = json!({"type": "RTMP_PUSH"});
    for query in ["inputId=a&requestId=", "input_id=b&request_id="] {
        rest.post(&v1(&format!("{LOC}/inputs?{query}")), &input)
            .await
            .ok();
    }
    for query in [
        "pageSize=1",
        "page_size=1",
        "pageSize=1&pageToken=&filter=&orderBy=",
    ] {
        let page = rest.get(&v1(&format!("{LOC}/inputs?{query}"))).await.ok();
        assert_eq!(page["inputs"].as_array().unwrap().len(), 1, "{query}");
        let token = page["nextPageToken"].as_str().unwrap();
        let next = rest
            .get(&v1(&format!("{LOC}/inputs?pageSize=1&pageToken={token}")))
            .await
            .ok();
        assert_eq!(next["inputs"][0]["name"], input_name("b"));
    }
    // `pageSize=0` is the default page size; filters and order_by in camel or snake case.
    let all = rest
        .get(&v1(&format!(
            "{LOC}/inputs?pageSize=0&orderBy=name+desc&filter=type%3DRTMP_PUSH"
        )))
        .await
        .ok();
    assert_eq!(all["inputs"][0]["name"], input_name("b"));
    let all = rest
        .get(&v1(&format!(
            "{LOC}/inputs?page_size=0&order_by=name%20desc"
        )))
        .await
        .ok();
    assert_eq!(all["inputs"][1]["name"], input_name("a"));
    // An empty `requestId` is unset, not an invalid request_id; `force=false` the default.
    rest.delete(&v1(&format!("{}?requestId=", input_name("a"))))
        .await
        .ok();
    rest.delete(&v1(&format!(
        "{}?requestId=&force=false",
        channel_name("none")
    )))
    .await
    .error(404, "NOT_FOUND");
    // An unknown query parameter is an error; `$` parameters are not.
    let err = rest
        .get(&v1(&format!("{LOC}/inputs?pageSise=1")))
        .await
        .error(400, "INVALID_ARGUMENT");
    assert!(
        err["message"].as_str().unwrap().contains("pageSise"),
        "{err}"
    );
    rest.get(&v1(&format!(
        "{LOC}/inputs?$prettyPrint=false&$fields=inputs"
    )))
    .await
    .ok();
}

#[tokio::test]
async fn alt_enum_encoding_int_in_every_spelling() {
    let env = start().await;
    let rest = Rest::new(env.emu.address());
    let input = rest
        .post(
            &v1(&format!("{LOC}/inputs?inputId=i")),
            &json!({"type": 1, "tier": "SD"}),
        )
        .await
        .ok();
    assert_eq!(input["response"]["type"], "RTMP_PUSH");
    assert_eq!(input["response"]["tier"], "SD");
    let name = input_name("i");
    for query in [
        "$alt=json;enum-encoding=int",
        "%24alt=json%3Benum-encoding%3Dint",
        "$alt=json%3Benum-encoding=int",
    ] {
        let got = rest.get(&v1(&format!("{name}?{query}"))).await.ok();
        assert_eq!(
            (&got["type"], &got["tier"]),
            (&json!(1), &json!(1)),
            "{query}"
        );
    }
    let got = rest.get(&v1(&format!("{name}?$alt=json"))).await.ok();
    assert_eq!(got["type"], "RTMP_PUSH");
    // Errors too, and any other `$` parameter is accepted.
    rest.get(&v1(&format!(
        "{LOC}/inputs/nope?$alt=json;enum-encoding=int&$unknown=1"
    )))
    .await
    .error(404, "NOT_FOUND");
    rest.get(&v1(&format!("{name}?$alt=proto")))
        .await
        .error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn paths_win_bodies_may_be_empty_and_masks_take_either_case() {
    let mut env = start().await;
    let rest = Rest::new(env.emu.address());
    env.channel_with_input("ch").await;
    let ch = channel_name("ch");
    // `""` and `{}` are both an empty StartChannel/StopChannel request.
    rest.send("POST", &v1(&format!("{ch}:start")), &[], b"")
        .await
        .ok();
    rest.post(&v1(&format!("{ch}:stop")), &json!({})).await.ok();
    // The path's name wins over the body's; an equal one is fine.
    for body_name in [channel_name("other"), ch.clone()] {
        let op = rest
            .patch(
                &v1(&format!("{ch}?updateMask=output.uri")),
                &json!({"name": body_name, "output": {"uri": "gs://my-bucket/x"}}),
            )
            .await
            .ok();
        let channel: Channel = response_of(&op);
        assert_eq!(channel.name, ch);
    }
    rest.get(&v1(&channel_name("other")))
        .await
        .error(404, "NOT_FOUND");
    // Masks in snake_case or lowerCamel, several paths comma-separated.
    for mask in [
        "input_attachments,output.uri",
        "inputAttachments,output.uri",
    ] {
        let op = rest
            .patch(
                &v1(&format!("{ch}?updateMask={mask}")),
                &json!({"inputAttachments": [], "output": {"uri": "gs://my-bucket/y"}}),
            )
            .await
            .ok();
        let channel: Channel = response_of(&op);
        assert!(channel.input_attachments.is_empty(), "{mask}");
        assert_eq!(channel.output.unwrap().uri, "gs://my-bucket/y");
    }
    // A mask path the API does not allow is the emulator's own error, as over gRPC.
    let err = rest
        .patch(
            &v1(&format!("{ch}?updateMask=labels")),
            &json!({"labels": {"a": "b"}}),
        )
        .await
        .error(400, "INVALID_ARGUMENT");
    assert!(
        err["details"][0]["@type"]
            .as_str()
            .unwrap()
            .ends_with("BadRequest"),
        "{err}"
    );
}

#[tokio::test]
async fn errors_have_matching_codes_and_the_grpc_details() {
    let mut env = start().await;
    let rest = Rest::new(env.emu.address());
    env.channel_with_input("ch").await;
    let ch = channel_name("ch");
    let err = rest
        .get(&v1(&channel_name("nope")))
        .await
        .error(404, "NOT_FOUND");
    assert_eq!(
        err["details"],
        json!([{
            "@type": "type.googleapis.com/google.rpc.ResourceInfo",
            "resourceType": "livestream.googleapis.com/Channel",
            "resourceName": channel_name("nope"),
            "description": "not found",
        }])
    );
    let body = to_json(&channel_body(Some("ch-input")));
    let err = rest
        .post(&v1(&format!("{LOC}/channels?channelId=ch")), &body)
        .await
        .error(409, "ALREADY_EXISTS");
    assert!(
        err["details"][0]["@type"]
            .as_str()
            .unwrap()
            .ends_with("ResourceInfo")
    );
    let err = rest
        .post(&v1(&format!("{ch}:stop")), &json!({}))
        .await
        .error(400, "FAILED_PRECONDITION");
    assert!(
        err["details"][0]["@type"]
            .as_str()
            .unwrap()
            .ends_with("PreconditionFailure")
    );
    let err = rest
        .delete(&v1(&format!("{ch}?requestId=not-a-uuid")))
        .await
        .error(400, "INVALID_ARGUMENT");
    assert_eq!(
        err["details"][0]["fieldViolations"][0]["field"],
        "request_id"
    );
    // Every code an injected fault can carry, with its RetryInfo.
    for (code, http, name) in [
        (Code::Unavailable, 503, "UNAVAILABLE"),
        (Code::ResourceExhausted, 429, "RESOURCE_EXHAUSTED"),
        (Code::DeadlineExceeded, 504, "DEADLINE_EXCEEDED"),
        (Code::Internal, 500, "INTERNAL"),
        (Code::Aborted, 409, "ABORTED"),
        (Code::PermissionDenied, 403, "PERMISSION_DENIED"),
        (Code::Unauthenticated, 401, "UNAUTHENTICATED"),
        (Code::Cancelled, 499, "CANCELLED"),
        (Code::Unimplemented, 501, "UNIMPLEMENTED"),
        (Code::OutOfRange, 400, "OUT_OF_RANGE"),
        (Code::DataLoss, 500, "DATA_LOSS"),
        (Code::Unknown, 500, "UNKNOWN"),
    ] {
        env.inject_faults(
            Method::GetChannel,
            FaultScript::faults([Fault::new(code).with_retry_delay(Duration::from_millis(1500))]),
        );
        let err = rest.get(&v1(&ch)).await.error(http, name);
        assert_eq!(
            err["details"],
            json!([{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.500s"}])
        );
    }
}

#[tokio::test]
async fn bad_input_is_a_400_never_a_panic_or_a_hang() {
    let mut env = start().await;
    let rest = Rest::new(env.emu.address());
    env.channel_with_input("ch").await;
    let ch = channel_name("ch");
    let create = v1(&format!("{LOC}/inputs?inputId=x"));
    for body in [
        &b"{"[..],
        b"{\"type\": }",
        b"[1, 2]",
        b"\"input\"",
        b"{\"bogus\": 1}",
        b"{\"type\": {\"a\": 1}}",
        b"{\"type\": \"NOT_A_TYPE\"}",
        b"{\"tier\": 1.5}",
        b"{\"labels\": [\"a\"]}",
        b"\xff\xfe",
    ] {
        let err = rest
            .send("POST", &create, &[], body)
            .await
            .error(400, "INVALID_ARGUMENT");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid JSON payload received."),
            "{err}"
        );
    }
    // A body where the method takes none.
    let err = rest
        .send("GET", &v1(&ch), &[], b"{\"name\": \"x\"}")
        .await
        .error(400, "INVALID_ARGUMENT");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("takes no request body")
    );
    // Unknown routes, wrong methods, undecodable paths.
    rest.get("/v1/projects/p").await.error(404, "NOT_FOUND");
    rest.get("/").await.error(404, "NOT_FOUND");
    rest.get(&v1(&format!("{ch}:explode")))
        .await
        .error(404, "NOT_FOUND");
    let wrong = rest.send("PUT", &v1(&ch), &[], b"{}").await;
    wrong.error(405, "UNIMPLEMENTED");
    assert_eq!(wrong.header("allow"), Some("GET, DELETE, PATCH"));
    rest.get(&v1(&format!("{ch}:start")))
        .await
        .error(405, "UNIMPLEMENTED");
    rest.get(&v1(&format!("{LOC}/channels/%FF")))
        .await
        .error(400, "INVALID_ARGUMENT");
    rest.get(&v1(&format!("{LOC}/channels?filter=%FF")))
        .await
        .error(400, "INVALID_ARGUMENT");
    // Oversized bodies: refused by their declared length, without reading them, or as read.
    let big = vec![b' '; 4 * 1024 * 1024 + 1];
    let err = rest
        .send(
            "POST",
            &create,
            &[("content-length", &big.len().to_string())],
            b"",
        )
        .await
        .error(400, "INVALID_ARGUMENT");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("larger than the limit")
    );
    rest.send("POST", &create, &[], &big)
        .await
        .error(400, "INVALID_ARGUMENT");
    let chunked = format!("{:x}\r\n{}\r\n0\r\n\r\n", big.len(), " ".repeat(big.len()));
    rest.send(
        "POST",
        &create,
        &[("transfer-encoding", "chunked")],
        chunked.as_bytes(),
    )
    .await
    .error(400, "INVALID_ARGUMENT");
    // None of them reached a handler.
    assert_eq!(env.call_count(Method::CreateInput), 1, "the setup's only");
    assert_eq!(env.call_count(Method::GetChannel), 0);
    // The emulator still serves.
    rest.get(&v1(&ch)).await.ok();
}

#[tokio::test]
async fn faults_replay_latency_and_the_request_log_as_over_grpc() {
    let env = start().await;
    let rest = Rest::new(env.emu.address());
    let request_id = "6f1f5a8e-6b8d-4f9a-9f5e-3c7a1b2d4e6f";
    let create = v1(&format!("{LOC}/inputs?inputId=in&requestId={request_id}"));
    let input = json!({"type": "RTMP_PUSH"});
    // A fault before handling: nothing happens.
    env.inject_faults(Method::CreateInput, FaultScript::codes([Code::Unavailable]));
    rest.post(&create, &input).await.error(503, "UNAVAILABLE");
    rest.get(&v1(&input_name("in")))
        .await
        .error(404, "NOT_FOUND");
    // A lost response: the input is created; the retry with the same request_id answers
    // the first operation and creates nothing more.
    env.inject_faults(
        Method::CreateInput,
        FaultScript::faults([Fault::new(Code::Unavailable).after_handling()]),
    );
    rest.post(&create, &input).await.error(503, "UNAVAILABLE");
    rest.get(&v1(&input_name("in"))).await.ok();
    let first = rest.post(&create, &input).await.ok();
    let again = rest.post(&create, &input).await.ok();
    assert_eq!(first["name"], again["name"]);
    assert_eq!(env.call_count(Method::CreateInput), 4);
    // The request log: the transport, the caller's headers, the request_id.
    let log = env.requests(Method::CreateInput);
    assert_eq!(log.len(), 4);
    let last = &log[3];
    assert_eq!(last.transport, Transport::Rest);
    assert_eq!(last.request_id.as_deref(), Some(request_id));
    let sent = rest
        .send(
            "GET",
            &v1(&input_name("in")),
            &[
                ("x-goog-api-client", "gl-rust/1 gccl/0.1"),
                ("authorization", "Bearer ya29.secret"),
            ],
            b"",
        )
        .await;
    sent.ok();
    let got = env.requests(Method::GetInput).pop().unwrap();
    assert_eq!(got.header("x-goog-api-client"), Some("gl-rust/1 gccl/0.1"));
    assert_eq!(
        got.header("authorization"),
        Some("Bearer <redacted, 11 bytes>")
    );
    assert_eq!(got.header("content-type"), Some("application/grpc"));
    assert!(got.header("host").is_none() && got.header("connection").is_none());
    // And over gRPC on the same port, recorded as such.
    let mut ls = env.ls.clone();
    ls.get_input(GetInputRequest {
        name: input_name("in"),
    })
    .await
    .unwrap();
    let log = env.requests(Method::GetInput);
    let transports: Vec<Transport> = log.iter().map(|r| r.transport).collect();
    assert_eq!(
        transports[transports.len() - 2..],
        [Transport::Rest, Transport::Grpc]
    );
    // The admin view agrees.
    let remote = livestream_grpc::emulator::RemoteEmulator::connect(env.emu.endpoint()).unwrap();
    let remote_log = remote.requests(Method::GetInput).await.unwrap();
    assert_eq!(
        remote_log.iter().map(|r| r.transport).collect::<Vec<_>>(),
        transports
    );
    // Latency applies to REST calls too (a lower bound only: no flaky upper bound).
    env.set_latency(Method::GetInput, Duration::from_millis(200));
    let started = std::time::Instant::now();
    rest.get(&v1(&input_name("in"))).await.ok();
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_delayed_operation_polled_over_rest() {
    let env = start().await;
    env.set_lro_timing(LroTiming::Manual);
    let rest = Rest::new(env.emu.address());
    let op = rest
        .post(
            &v1(&format!("{LOC}/inputs?inputId=in")),
            &json!({"type": "SRT_PUSH"}),
        )
        .await
        .ok();
    assert!(op.get("done").is_none(), "false is left out: {op}");
    let name = op["name"].as_str().unwrap();
    assert!(rest.get(&v1(name)).await.ok().get("done").is_none());
    env.complete_all_operations();
    let done = rest.get(&v1(name)).await.ok();
    let input: Input = response_of(&done);
    assert_eq!(input.r#type(), input::Type::SrtPush);
    // Cancel of a pending one rolls it back.
    let op = rest
        .post(
            &v1(&format!("{LOC}/inputs?inputId=other")),
            &json!({"type": "RTMP_PUSH"}),
        )
        .await
        .ok();
    let name = op["name"].as_str().unwrap();
    rest.post(&v1(&format!("{name}:cancel")), &json!({}))
        .await
        .ok();
    let cancelled = rest.get(&v1(name)).await.ok();
    assert_eq!(cancelled["error"]["code"], 1, "{cancelled}");
    rest.get(&v1(&input_name("other")))
        .await
        .error(404, "NOT_FOUND");
}

/// One REST request to the in-process service (no socket): its status and JSON body.
async fn call_in_process(
    emu: &Emulator,
    method: &str,
    target: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let request = http::Request::builder()
        .method(method)
        .uri(format!("http://emulator{target}"))
        .header("content-type", "application/json")
        .body(tonic::body::Body::new(crate::emulator_support::Bytes(
            Some(body.into()),
        )))
        .unwrap();
    let response = tower::ServiceExt::oneshot(emu.service(), request)
        .await
        .unwrap();
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| http_body::Body::poll_frame(std::pin::Pin::new(&mut body), cx))
            .await
    {
        if let Ok(data) = frame.unwrap().into_data() {
            bytes.extend_from_slice(&data);
        }
    }
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{status}: not JSON ({e}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, json)
}

#[tokio::test]
async fn rest_in_process_too() {
    let emu = Emulator::builder().build();
    let (status, json) = call_in_process(&emu, "GET", &v1(LOC), Vec::new()).await;
    assert_eq!((status, &json["locationId"]), (200, &json!("us-central1")));
    assert_eq!(
        emu.requests(Method::GetLocation)[0].transport,
        Transport::Rest
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("projects".to_owned()),
            Just("p".to_owned()),
            Just("locations".to_owned()),
            Just("us-central1".to_owned()),
            Just("channels".to_owned()),
            Just("inputs".to_owned()),
            Just("events".to_owned()),
            Just("operations".to_owned()),
            Just("c:start".to_owned()),
            Just("c:cancel".to_owned()),
            Just("%FF".to_owned()),
            Just("a%2Fb".to_owned()),
            Just(String::new()),
            "[a-zA-Z0-9:%._~-]{0,12}",
        ]
    }

    fn query() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("pageSize=-1".to_owned()),
                Just("pageSize=99999999999".to_owned()),
                Just("$alt=json;enum-encoding=int".to_owned()),
                Just("updateMask=a_b,,c".to_owned()),
                Just("requestId=x".to_owned()),
                Just("force=maybe".to_owned()),
                Just("channel.name=x".to_owned()),
                Just("%24alt=%FF".to_owned()),
                "[a-zA-Z.$%=_-]{0,16}",
            ],
            0..4,
        )
        .prop_map(|parts| parts.join("&"))
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(Vec::new()),
            Just(b"{}".to_vec()),
            Just(br#"{"name": 5, "labels": {"a": null}}"#.to_vec()),
            Just(br#"{"type": "RTMP_PUSH", "tier": 9999}"#.to_vec()),
            Just(
                br#"{"output": {"uri": "gs://my-bucket/x"}, "updateTime": "not a time"}"#.to_vec()
            ),
            proptest::collection::vec(any::<u8>(), 0..64),
            "\\{[\"a-zA-Z0-9:,{}\\[\\] ]{0,40}\\}".prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Whatever the method, path, query and body: an answer, JSON, and for an error an
        /// AIP-193 body whose code and status agree with the status line.
        #[test]
        fn any_request_gets_a_consistent_json_answer(
            method in prop_oneof![Just("GET"), Just("POST"), Just("PATCH"), Just("DELETE"), Just("PUT")],
            segments in proptest::collection::vec(segment(), 0..8),
            query in query(),
            body in body(),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let emu = Emulator::builder().build();
            let target = format!("/v1/{}?{query}", segments.join("/"));
            let (status, json) = runtime.block_on(call_in_process(&emu, method, &target, body));
            if status != 200 {
                let error = &json["error"];
                prop_assert_eq!(error["code"].as_u64(), Some(u64::from(status)), "{}", json);
                let name = error["status"].as_str().unwrap_or_default();
                if status != 405 {
                    prop_assert_eq!(http_of(name), status, "{}", json);
                }
                prop_assert!(status != 500, "{} {}: {}", method, target, json);
            }
        }
    }
}
