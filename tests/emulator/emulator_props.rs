//! Property tests: malformed names, IDs and page tokens never panic the server or poison
//! its state, and always get a clear status.

use crate::emulator_support::*;
use livestream_grpc::emulator::Emulator;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::*;
use proptest::prelude::*;
use tonic::Code;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Strings that look like names: path-ish segments, unicode, controls, empties, huge ones.
fn name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9/_\\-.]{0,80}",
        "projects/[a-z0-9\\- ]{0,8}/locations/[a-z0-9\\-]{0,12}/(channels|inputs|assets|pools|operations|x)/[A-Za-z0-9_\\-]{0,70}",
        "projects/p/locations/us-central1/channels/[a-z0-9]{1,5}/(events|clips|dvrSessions)/.{0,20}",
        ".{0,40}",
        Just("projects/p/locations/us-central1/channels/".to_owned() + &"a".repeat(5000)),
    ]
}

fn id_matches_rule(id: &str) -> bool {
    let b = id.as_bytes();
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|&c| edge(c) || c == b'-')
        && edge(b[0])
        && edge(b[b.len() - 1])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn malformed_names_get_a_clear_status(name in name_like()) {
        let rt = runtime();
        rt.block_on(async {
            let emu = Emulator::builder().build();
            let mut ls = LivestreamServiceClient::new(emu.service());
            let get = ls.get_channel(GetChannelRequest { name: name.clone() }).await;
            let delete = ls.delete_input(DeleteInputRequest { name: name.clone(), ..Default::default() }).await;
            let start = ls.start_channel(StartChannelRequest { name: name.clone(), ..Default::default() }).await;
            let events = ls.list_events(ListEventsRequest { parent: name.clone(), ..Default::default() }).await;
            let create = ls.create_channel(CreateChannelRequest {
                parent: name.clone(),
                channel_id: "ch".into(),
                channel: Some(channel_body(None)),
                ..Default::default()
            }).await;
            for code in [
                get.map(|_| ()).unwrap_err().code(),
                delete.map(|_| ()).unwrap_err().code(),
                start.map(|_| ()).unwrap_err().code(),
                events.map(|_| ()).unwrap_err().code(),
            ] {
                prop_assert!(matches!(code, Code::InvalidArgument | Code::NotFound), "{code:?} for {name:?}");
            }
            if let Err(e) = create {
                prop_assert!(matches!(e.code(), Code::InvalidArgument | Code::NotFound), "{e:?}");
            }
            // The server still works afterwards.
            let ok = ls.create_channel(create_channel_request("after", channel_body(None))).await;
            prop_assert!(ok.is_ok());
            Ok(())
        })?;
    }

    #[test]
    fn ids_are_accepted_exactly_when_they_follow_the_rule(id in prop_oneof!["[a-z0-9\\-]{0,65}", "[A-Za-z0-9_\\-.]{0,10}", ".{0,8}"]) {
        let rt = runtime();
        rt.block_on(async {
            let emu = Emulator::builder().build();
            let mut ls = LivestreamServiceClient::new(emu.service());
            let result = ls.create_input(create_input_request(&id)).await;
            match result {
                Ok(_) => prop_assert!(id_matches_rule(&id), "accepted {id:?}"),
                Err(e) => {
                    prop_assert!(!id_matches_rule(&id), "rejected {id:?}: {e:?}");
                    prop_assert_eq!(e.code(), Code::InvalidArgument);
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn forged_page_tokens_are_invalid_argument(token in prop_oneof!["[A-Za-z0-9_\\-]{1,200}", ".{1,50}"], size in -5i32..2000) {
        let rt = runtime();
        rt.block_on(async {
            let emu = Emulator::builder().build();
            let mut ls = LivestreamServiceClient::new(emu.service());
            let result = ls.list_channels(ListChannelsRequest {
                parent: LOC.into(),
                page_size: size,
                page_token: token.clone(),
                ..Default::default()
            }).await;
            prop_assert_eq!(result.unwrap_err().code(), Code::InvalidArgument, "token {:?}", token);
            Ok(())
        })?;
    }

    #[test]
    fn nonsense_field_values_never_panic(
        tier in any::<i32>(),
        kind in any::<i32>(),
        seconds in any::<i64>(),
        nanos in any::<i32>(),
        execute_now in any::<bool>(),
    ) {
        let rt = runtime();
        rt.block_on(async {
            let emu = Emulator::builder().build();
            let mut ls = LivestreamServiceClient::new(emu.service());
            let input = ls.create_input(CreateInputRequest {
                parent: LOC.into(),
                input_id: "in".into(),
                input: Some(Input { r#type: kind, tier, ..Default::default() }),
                ..Default::default()
            }).await;
            if let Err(e) = &input {
                prop_assert_eq!(e.code(), Code::InvalidArgument);
            }
            ls.create_channel(create_channel_request("ch", channel_body(None))).await.unwrap();
            ls.start_channel(StartChannelRequest { name: channel_name("ch"), ..Default::default() }).await.unwrap();
            let time = prost_types::Timestamp { seconds, nanos };
            let duration = prost_types::Duration { seconds, nanos };
            let event = ls.create_event(CreateEventRequest {
                parent: channel_name("ch"),
                event_id: "ev".into(),
                event: Some(Event {
                    task: Some(event::Task::AdBreak(event::AdBreakTask { duration: Some(duration) })),
                    execute_now,
                    execution_time: (!execute_now).then_some(time),
                    ..Default::default()
                }),
                ..Default::default()
            }).await;
            if let Err(e) = &event {
                prop_assert_eq!(e.code(), Code::InvalidArgument, "{:?}", e);
            }
            emu.advance_clock(std::time::Duration::from_secs(86_400 * 365));
            let list = ls.list_events(ListEventsRequest { parent: channel_name("ch"), ..Default::default() }).await;
            prop_assert!(list.is_ok());
            Ok(())
        })?;
    }
}
