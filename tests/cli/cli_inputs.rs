//! `livestream inputs` end to end against an emulator in the test process; also the
//! output formats, config files (JSON round trip, bad files), usage errors, exit codes and
//! the environment defaults.

use crate::cli_support::*;
use livestream_grpc::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_end_to_end() {
    let emu = start().await;
    let created = run(
        &emu,
        "inputs create in-1 --tier hd --labels team=video,env=test",
    );
    assert_eq!(created.code, 0, "{created:#?}");
    assert!(
        created.stdout.contains("type: RTMP_PUSH\n"),
        "default type: {created:#?}"
    );
    assert!(created.stdout.contains("tier: HD\n"));
    assert!(created.stdout.contains("  team: video\n"));
    assert!(created.stderr.contains("Created input [in-1]."));
    ok(&emu, "inputs create in-2 --type srt-push");

    // The table: a header and one row per input, aligned.
    let table = ok(&emu, "inputs list");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("ID    TYPE       TIER  URI"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("in-1  RTMP_PUSH  HD    rtmp://"),
        "{table}"
    );
    assert!(
        lines[2].starts_with("in-2  SRT_PUSH   HD    srt://"),
        "{table}"
    );
    let limited = ok(&emu, "inputs list --limit 1 --page-size 1");
    assert_eq!(limited.lines().count(), 2, "{limited}");
    let filtered = json(&emu, "inputs list --filter type=SRT_PUSH");
    assert_eq!(filtered.as_array().map(Vec::len), Some(1), "{filtered}");
    let ordered = json(&emu, &["inputs", "list", "--order-by", "name desc"]);
    assert!(ordered[0]["name"].as_str().unwrap().ends_with("/in-2"));

    // describe: YAML by default, JSON on request, by ID or full name.
    let yaml = ok(&emu, "inputs describe in-1");
    assert!(
        yaml.contains(&format!("name: {LOC}/inputs/in-1\n")),
        "{yaml}"
    );
    let described = json(&emu, &["inputs", "describe", &format!("{LOC}/inputs/in-1")]);
    assert_eq!(described["tier"], "HD");
    assert_eq!(described["labels"]["env"], "test");

    // update: a flag; then the same value again, which sends nothing.
    let updated = ok(&emu, "inputs update in-1 --tier uhd");
    assert!(updated.contains("tier: UHD\n"), "{updated}");
    assert_eq!(emu.call_count(Method::UpdateInput), 1);
    let same = run(&emu, "inputs update in-1 --tier uhd");
    assert_eq!(same.code, 0, "{same:#?}");
    assert!(
        same.stderr.contains("No changes to input [in-1]"),
        "{same:#?}"
    );
    assert_eq!(emu.call_count(Method::UpdateInput), 1, "nothing sent");
    // Labels cannot be updated: said, not silently dropped.
    let dir = tempfile::tempdir().unwrap();
    let patch = config_file(
        &dir,
        "patch.json",
        r#"{"labels": {"x": "y"}, "tier": "SD"}"#,
    );
    let warned = run(&emu, format!("inputs update in-1 --config {patch}"));
    assert_eq!(warned.code, 0, "{warned:#?}");
    assert!(warned.stderr.contains("ignoring labels"), "{warned:#?}");
    assert!(warned.stdout.contains("tier: SD\n"));

    // delete, then not found (exit 3) with the resource named.
    let deleted = run(&emu, "inputs delete in-2");
    assert_eq!(deleted.code, 0, "{deleted:#?}");
    assert!(deleted.stderr.contains("Deleted input [in-2]."));
    let err = fails(&emu, "inputs describe in-2", 3);
    assert!(err.contains("NOT_FOUND"), "{err}");
    assert!(
        err.contains(&format!("resource: {LOC}/inputs/in-2")),
        "{err}"
    );
    fails(&emu, "inputs delete in-2", 3);
    // Already exists: exit 4.
    let err = fails(&emu, "inputs create in-1", 4);
    assert!(err.contains("ALREADY_EXISTS"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_hides_the_token_unless_asked() {
    let emu = start().await;
    input_and_channel(&emu, "ch");
    // The emulator needs a running channel using the input: a precondition (exit 4).
    fails(&emu, "inputs preview ch-in", 4);
    ok(&emu, "channels start ch");
    let preview = json(&emu, "inputs preview ch-in");
    assert!(
        preview["uri"].as_str().unwrap().starts_with("https://"),
        "{preview}"
    );
    assert!(
        preview["bearerToken"]
            .as_str()
            .unwrap()
            .contains("--show-token")
    );
    let shown = json(&emu, "inputs preview ch-in --show-token");
    assert!(!shown["bearerToken"].as_str().unwrap().contains("hidden"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_round_trips_as_config() {
    let emu = start().await;
    let dir = tempfile::tempdir().unwrap();
    let original = config_file(
        &dir,
        "input.json",
        r#"{
          "type": "SRT_PUSH",
          "tier": "UHD",
          "labels": {"team": "video"},
          "preprocessingConfig": {"audio": {"lufs": -23}, "crop": {"topPixels": 8}},
          "securityRules": {"ipRanges": ["203.0.113.0/24"]}
        }"#,
    );
    ok(&emu, format!("inputs create a --config {original}"));
    let described = ok(&emu, "inputs describe a --format json");
    let copy = config_file(&dir, "copy.json", &described);
    ok(&emu, format!("inputs create b --config {copy}"));
    let output_only = ["name", "createTime", "updateTime", "uri"];
    let a = json(&emu, "inputs describe a");
    let b = json(&emu, "inputs describe b");
    assert_eq!(without(&a, &output_only), without(&b, &output_only));
    assert_eq!(a["preprocessingConfig"]["crop"]["topPixels"], 8);
    // From stdin too.
    let mut cmd = cli(&emu);
    cmd.args(["inputs", "create", "c", "--config", "-"]);
    cmd.stdin(std::fs::File::open(&copy).unwrap());
    let from_stdin = finish(cmd);
    assert_eq!(from_stdin.code, 0, "{from_stdin:#?}");
    // Feeding a resource its own description changes nothing and sends nothing.
    let same = run(&emu, format!("inputs update a --config {copy}"));
    assert!(same.stderr.contains("No changes"), "{same:#?}");
    assert_eq!(emu.call_count(Method::UpdateInput), 0);
    // YAML is the same value.
    let yaml = ok(&emu, "inputs describe a --format yaml");
    assert!(
        yaml.contains("preprocessingConfig:\n  audio:\n    lufs: -23.0\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("securityRules:\n  ipRanges:\n    - \"203.0.113.0/24\"\n"),
        "{yaml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_config_files_name_the_path_and_change_nothing() {
    let emu = start().await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "syntax.json",
            "{\"type\": \"RTMP_PUSH\",\n \"tier\": }",
            "line 2",
        ),
        (
            "unknown.json",
            r#"{"type": "RTMP_PUSH", "preprocessingConfig": {"cropp": {}}}"#,
            "at `preprocessingConfig.cropp`: unrecognized field name 'cropp'",
        ),
        (
            "type.json",
            r#"{"preprocessingConfig": {"audio": {"lufs": "loud"}}}"#,
            "at `preprocessingConfig.audio.lufs`",
        ),
        ("enum.json", r#"{"tier": "HUGE"}"#, "at `tier`"),
        (
            "list.json",
            r#"{"securityRules": {"ipRanges": ["a", 7]}}"#,
            "at `securityRules.ipRanges[1]`",
        ),
    ];
    for (file, text, expected) in cases {
        let path = config_file(&dir, file, text);
        let err = fails(&emu, format!("inputs create x --config {path}"), 2);
        assert!(err.contains(&format!("config file {path}")), "{err}");
        assert!(err.contains(expected), "{file}: {err}");
    }
    let err = fails(&emu, "inputs create x --config /no/such/file.json", 2);
    assert!(
        err.contains("cannot read config file /no/such/file.json"),
        "{err}"
    );
    // Updates read their config before anything is sent, too.
    let bad = config_file(&dir, "bad.json", r#"{"tierr": "SD"}"#);
    fails(&emu, format!("inputs update x --config {bad}"), 2);
    assert_eq!(emu.call_count(Method::CreateInput), 0);
    assert_eq!(emu.call_count(Method::GetInput), 0);
    assert!(emu.call_counts().is_empty(), "{:?}", emu.call_counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_before_anything_is_sent() {
    let emu = start().await;
    for args in [
        &["inputs", "create", "x", "--type", "carrier-pigeon"][..],
        &["inputs", "create", "Not_An_Id"],
        &["inputs", "describe", "projects/p/inputs/x"],
        &["inputs", "list", "--page-size", "0"],
        &["inputs", "update", "x", "--update-mask", "labels"],
        &["inputs", "frobnicate"],
        &["inputs", "create", "x", "--labels", "novalue"],
    ] {
        let run = run(&emu, args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert!(!run.stderr.is_empty());
    }
    let err = fails(&emu, "inputs update x --update-mask labels", 2);
    assert!(err.contains("updatable fields: tier"), "{err}");
    // Without a project or location.
    let mut cmd = bare();
    cmd.args(["--endpoint", &emu.endpoint(), "inputs", "list"]);
    let no_project = finish(cmd);
    assert_eq!(no_project.code, 2);
    assert!(no_project.stderr.contains("no project"), "{no_project:#?}");
    let mut cmd = bare();
    cmd.args([
        "--endpoint",
        &emu.endpoint(),
        "--project",
        "p",
        "inputs",
        "list",
    ]);
    let no_location = finish(cmd);
    assert_eq!(no_location.code, 2);
    assert!(
        no_location.stderr.contains("no location"),
        "{no_location:#?}"
    );
    assert!(emu.call_counts().is_empty(), "{:?}", emu.call_counts());
    // Help texts carry examples and the exit codes.
    let mut cmd = bare();
    cmd.arg("--help");
    let help = finish(cmd);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("Exit codes:"), "{}", help.stdout);
    let mut cmd = bare();
    cmd.args(["inputs", "create", "--help"]);
    assert!(finish(cmd).stdout.contains("Examples:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_defaults_and_explicit_endpoint() {
    let emu = start().await;
    let host = emu.address().to_string();
    let mut cmd = bare();
    cmd.env("LIVESTREAM_EMULATOR_HOST", &host)
        .env("CLOUDSDK_CORE_PROJECT", PROJECT)
        .env("LIVESTREAM_LOCATION", LOCATION)
        .args(["inputs", "create", "from-env"]);
    let created = finish(cmd);
    assert_eq!(created.code, 0, "{created:#?}");
    // LIVESTREAM_PROJECT wins over CLOUDSDK_CORE_PROJECT; --project over both.
    let mut cmd = bare();
    cmd.env("LIVESTREAM_EMULATOR_HOST", &host)
        .env("LIVESTREAM_PROJECT", PROJECT)
        .env("CLOUDSDK_CORE_PROJECT", "other-project")
        .env("LIVESTREAM_LOCATION", LOCATION)
        .args(["inputs", "describe", "from-env"]);
    assert_eq!(finish(cmd).code, 0);
    // An explicit --endpoint wins over LIVESTREAM_EMULATOR_HOST.
    let mut cmd = cli(&emu);
    cmd.env("LIVESTREAM_EMULATOR_HOST", "127.0.0.1:1")
        .args(["inputs", "describe", "from-env"]);
    assert_eq!(finish(cmd).code, 0);
    // Nothing listening: "other failure", exit 1.
    let mut cmd = bare();
    cmd.args([
        "--endpoint",
        "http://127.0.0.1:1",
        "--project",
        PROJECT,
        "--location",
        LOCATION,
        "inputs",
        "list",
    ]);
    let down = finish(cmd);
    assert_eq!(down.code, 1, "{down:#?}");
    assert!(down.stderr.contains("UNAVAILABLE"), "{down:#?}");
    // The address it could not reach is in the message (issue 12, item 8).
    assert!(
        down.stderr.contains("cannot connect to http://127.0.0.1:1"),
        "{down:#?}"
    );
}
