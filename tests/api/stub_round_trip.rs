//! The generated server and client stubs talk to each other over real gRPC: a tiny server
//! (three RPCs implemented, the rest left to the generated UNIMPLEMENTED defaults) on
//! `127.0.0.1:0`, and the generated clients calling every RPC of the three services.

use std::sync::{Arc, Mutex};

use livestream_grpc::location::locations_client::LocationsClient;
use livestream_grpc::location::locations_server::{Locations, LocationsServer};
use livestream_grpc::location::{ListLocationsRequest, ListLocationsResponse, Location};
use livestream_grpc::longrunning::operations_client::OperationsClient;
use livestream_grpc::longrunning::operations_server::{Operations, OperationsServer};
use livestream_grpc::longrunning::{GetOperationRequest, Operation};
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::livestream_service_server::{LivestreamService, LivestreamServiceServer};
use livestream_grpc::v1::{Channel, GetChannelRequest};
use tonic::{Code, Request, Response, Status};

struct Live;
#[tonic::async_trait]
impl LivestreamService for Live {
    async fn get_channel(
        &self,
        request: Request<GetChannelRequest>,
    ) -> Result<Response<Channel>, Status> {
        Ok(Response::new(Channel {
            name: request.into_inner().name,
            ..Default::default()
        }))
    }
}

struct Ops;
#[tonic::async_trait]
impl Operations for Ops {
    async fn get_operation(
        &self,
        request: Request<GetOperationRequest>,
    ) -> Result<Response<Operation>, Status> {
        Ok(Response::new(Operation {
            name: request.into_inner().name,
            done: true,
            ..Default::default()
        }))
    }
}

struct Locs;
#[tonic::async_trait]
impl Locations for Locs {
    async fn list_locations(
        &self,
        request: Request<ListLocationsRequest>,
    ) -> Result<Response<ListLocationsResponse>, Status> {
        let name = format!("{}/locations/us-central1", request.into_inner().name);
        Ok(Response::new(ListLocationsResponse {
            locations: vec![Location {
                name,
                location_id: "us-central1".into(),
                ..Default::default()
            }],
            next_page_token: String::new(),
        }))
    }
}

/// Every RPC of the API surface table: `(grpc path, Ok(()) or the status code)`.
macro_rules! call_every_rpc {
    ($( [ service: $svc:ident, rpc: $rpc:ident, method: $method:ident, request: $req:ty, $($more:tt)* ] )*) => {
        async |live: &mut LivestreamServiceClient<tonic::transport::Channel>,
               ops: &mut OperationsClient<tonic::transport::Channel>,
               locs: &mut LocationsClient<tonic::transport::Channel>| {
            let mut results: Vec<(&'static str, Result<(), Code>)> = Vec::new();
            $( results.push((<$req as livestream_grpc::methods::Request>::METHOD.path(), call_every_rpc!(@call $svc, live, ops, locs, $method, $req))); )*
            results
        }
    };
    (@call LivestreamService, $live:ident, $ops:ident, $locs:ident, $method:ident, $req:ty) => {
        $live.$method(<$req>::default()).await.map(|_| ()).map_err(|s| s.code())
    };
    (@call Operations, $live:ident, $ops:ident, $locs:ident, $method:ident, $req:ty) => {
        $ops.$method(<$req>::default()).await.map(|_| ()).map_err(|s| s.code())
    };
    (@call Locations, $live:ident, $ops:ident, $locs:ident, $method:ident, $req:ty) => {
        $locs.$method(<$req>::default()).await.map(|_| ()).map_err(|s| s.code())
    };
}

#[tokio::test]
async fn every_rpc_round_trips_through_generated_stubs() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let recorder = {
        let seen = seen.clone();
        tower::util::MapRequestLayer::new(move |req: http::Request<tonic::body::Body>| {
            seen.lock()
                .expect("recorder lock")
                .push(req.uri().path().to_owned());
            req
        })
    };
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(recorder)
            .add_service(LivestreamServiceServer::new(Live))
            .add_service(OperationsServer::new(Ops))
            .add_service(LocationsServer::new(Locs))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut live = LivestreamServiceClient::new(channel.clone());
    let mut ops = OperationsClient::new(channel.clone());
    let mut locs = LocationsClient::new(channel);

    // Implemented methods echo real data.
    let name = "projects/p/locations/us-central1/channels/c";
    let got = live
        .get_channel(GetChannelRequest {
            name: name.into(),
            ..Default::default()
        })
        .await
        .expect("GetChannel");
    assert_eq!(got.into_inner().name, name);
    let listed = locs
        .list_locations(ListLocationsRequest {
            name: "projects/p".into(),
            ..Default::default()
        })
        .await
        .expect("ListLocations")
        .into_inner();
    assert_eq!(listed.locations[0].name, "projects/p/locations/us-central1");
    seen.lock().expect("recorder lock").clear();

    let run = livestream_grpc::for_each_rpc!(call_every_rpc);
    let results = run(&mut live, &mut ops, &mut locs).await;

    assert_eq!(
        results.len(),
        41,
        "34 LivestreamService + 5 Operations + 2 Locations"
    );
    let implemented = [
        "/google.cloud.video.livestream.v1.LivestreamService/GetChannel",
        "/google.longrunning.Operations/GetOperation",
        "/google.cloud.location.Locations/ListLocations",
    ];
    for (path, result) in &results {
        if implemented.contains(path) {
            assert_eq!(*result, Ok(()), "{path}");
        } else {
            assert_eq!(*result, Err(Code::Unimplemented), "{path}");
        }
    }
    // Each call reached the server on its own path, exactly once.
    let mut expected: Vec<String> = results.iter().map(|(p, _)| (*p).to_owned()).collect();
    let mut seen = seen.lock().expect("recorder lock").clone();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected);
    server.abort();
}
