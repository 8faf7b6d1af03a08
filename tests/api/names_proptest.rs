//! Property tests for every typed resource name: valid names round-trip through `FromStr`
//! and `Display`; malformed ones (wrong collection, missing or extra segments, bad IDs,
//! empty or slashed segments) are rejected with the expected pattern in the error.

use livestream_grpc::names::*;
use proptest::prelude::*;

/// The variables whose values are Live Stream resource IDs.
const ID_VARIABLES: &[&str] = &["input", "channel", "event", "clip", "dvr_session", "asset"];

fn variables(pattern: &str) -> Vec<&str> {
    pattern
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// A valid value for each variable of `pattern`.
fn values(pattern: &'static str) -> impl Strategy<Value = Vec<String>> {
    variables(pattern)
        .into_iter()
        .map(|var| {
            if ID_VARIABLES.contains(&var) {
                "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?".boxed()
            } else {
                "[A-Za-z0-9._~+-]{1,40}".boxed()
            }
        })
        .collect::<Vec<_>>()
}

fn fill(pattern: &str, values: &[String]) -> String {
    let mut values = values.iter();
    pattern
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                values.next().unwrap().clone()
            } else {
                s.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn round_trip<N: ResourceName + std::fmt::Debug + PartialEq>(values: &[String]) {
    let text = fill(N::PATTERN, values);
    let name: N = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(name.to_string(), text);
    assert_eq!(text.parse::<N>().unwrap(), name);
}

fn rejects<N: ResourceName + std::fmt::Debug>(values: &[String], mutation: usize, junk: &str) {
    let good = fill(N::PATTERN, values);
    let segments: Vec<&str> = good.split('/').collect();
    let bad = match mutation % 6 {
        // A literal collection segment replaced.
        0 => {
            let i = N::PATTERN
                .split('/')
                .position(|s| !s.starts_with('{'))
                .unwrap();
            let mut s = segments.clone();
            s[i] = "wrongCollection";
            s.join("/")
        }
        // A trailing extra pair.
        1 => format!("{good}/extra/{junk}"),
        // The last variable dropped.
        2 => segments[..segments.len() - 1].join("/"),
        // An empty last segment.
        3 => format!("{}/", segments[..segments.len() - 1].join("/")),
        // A space inside the last segment.
        4 => format!("{good} x"),
        // A leading slash.
        _ => format!("/{good}"),
    };
    let err = bad.parse::<N>().expect_err(&bad);
    assert!(
        err.to_string().contains(N::PATTERN) || err.to_string().contains("characters"),
        "{bad}: {err}"
    );
}

fn rejects_bad_id<N: ResourceName + std::fmt::Debug>(values: &[String], bad_id: &str) {
    let vars = variables(N::PATTERN);
    let Some(last) = vars.last() else { return };
    if !ID_VARIABLES.contains(last) {
        return;
    }
    let mut values = values.to_vec();
    *values.last_mut().unwrap() = bad_id.to_owned();
    let text = fill(N::PATTERN, &values);
    let err = text.parse::<N>().expect_err(&text);
    assert!(err.to_string().contains("lower-case"), "{text}: {err}");
}

/// Strings that break the ID rule: upper case, underscores, edges with a hyphen, too long.
fn bad_ids() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{0,10}[A-Z_.][a-z0-9]{0,10}",
        "-[a-z0-9]{0,10}",
        "[a-z0-9]{0,10}-",
        "[a-z0-9]{64,80}",
    ]
}

macro_rules! name_properties {
    ($($module:ident: $ty:ty,)*) => {$(
        mod $module {
            use super::*;
            proptest! {
                #[test]
                fn round_trips(values in values(<$ty as ResourceName>::PATTERN)) {
                    round_trip::<$ty>(&values);
                }

                #[test]
                fn rejects_malformed(
                    values in values(<$ty as ResourceName>::PATTERN),
                    mutation in 0usize..6,
                    junk in "[a-z]{1,5}",
                ) {
                    rejects::<$ty>(&values, mutation, &junk);
                }

                #[test]
                fn rejects_bad_ids(
                    values in values(<$ty as ResourceName>::PATTERN),
                    bad in bad_ids(),
                ) {
                    rejects_bad_id::<$ty>(&values, &bad);
                }
            }
        }
    )*};
}

name_properties! {
    project: ProjectName,
    location: LocationName,
    operation: OperationName,
    input: InputName,
    channel: ChannelName,
    event: EventName,
    clip: ClipName,
    dvr_session: DvrSessionName,
    asset: AssetName,
    pool: PoolName,
    secret_version: SecretVersionName,
    network: NetworkName,
}

proptest! {
    #[test]
    fn children_and_parents_round_trip(
        project in "[a-z][a-z0-9-]{4,28}",
        location in "[a-z]+-[a-z]+[0-9]",
        channel in "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?",
        event in "[a-z0-9]{1,20}",
    ) {
        let loc = LocationName::new(project.clone(), location.clone()).unwrap();
        let ch = loc.channel(channel.clone()).unwrap();
        let ev = ch.event(event.clone()).unwrap();
        prop_assert_eq!(ev.parent(), ch.clone());
        prop_assert_eq!(ch.parent(), loc.clone());
        prop_assert_eq!(ev.to_string(), format!("projects/{project}/locations/{location}/channels/{channel}/events/{event}"));
        prop_assert_eq!(ev.id(), event.as_str());
        let ch2: ChannelName = ch.to_string().parse().unwrap();
        prop_assert_eq!(ch2, ch);
    }
}
