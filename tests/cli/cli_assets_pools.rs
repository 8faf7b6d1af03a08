//! `livestream assets` and `livestream pools` end to end.

use crate::cli_support::*;
use livestream_grpc::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_end_to_end() {
    let emu = start().await;
    let video = json(
        &emu,
        "assets create slate --video-uri gs://my-bucket/slate.mp4 --labels kind=slate",
    );
    assert_eq!(video["video"]["uri"], "gs://my-bucket/slate.mp4");
    assert_eq!(video["state"], "ACTIVE");
    assert_eq!(video["labels"]["kind"], "slate");
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(
        &dir,
        "asset.json",
        r#"{"image": {"uri": "gs://my-bucket/logo.png"}}"#,
    );
    ok(&emu, format!("assets create logo --config {config}"));
    let table = ok(&emu, "assets list --order-by name");
    assert_eq!(
        table,
        "ID     TYPE   URI                       STATE\n\
         logo   image  gs://my-bucket/logo.png   ACTIVE\n\
         slate  video  gs://my-bucket/slate.mp4  ACTIVE\n"
    );
    let yaml = ok(&emu, "assets describe logo --format yaml");
    assert!(
        yaml.contains("image:\n  uri: gs://my-bucket/logo.png\n"),
        "{yaml}"
    );
    // Exactly one medium.
    fails(&emu, "assets create x", 2);
    fails(
        &emu,
        "assets create x --video-uri gs://a-b/v.mp4 --image-uri gs://a-b/i.png",
        2,
    );
    // The service's own validation: exit 5 with the field named.
    let err = fails(
        &emu,
        "assets create x --video-uri http://example.com/v.mp4",
        5,
    );
    assert!(err.contains("field `asset."), "{err}");
    ok(&emu, "assets delete slate");
    fails(&emu, "assets describe slate", 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pools_describe_and_update() {
    let emu = start().await;
    // The pool appears with the location's first input.
    fails(&emu, "pools describe", 3);
    input_and_channel(&emu, "ch");
    let pool = json(&emu, "pools describe");
    assert_eq!(pool["name"], format!("{LOC}/pools/default"));
    let network = "projects/123456789/global/networks/my-vpc".to_owned();
    let updated = json(&emu, format!("pools update --peered-network {network}"));
    assert_eq!(updated["networkConfig"]["peeredNetwork"], network);
    let table = ok(&emu, "pools describe default --format table");
    assert!(table.contains(&format!("default  {network}")), "{table}");
    // A running channel blocks pool updates: a precondition.
    ok(&emu, "channels start ch");
    let other = "projects/123456789/global/networks/other".to_owned();
    let err = fails(&emu, format!("pools update --peered-network {other}"), 4);
    assert!(err.contains("precondition"), "{err}");
    // A malformed network is caught locally.
    fails(&emu, "pools update --peered-network my-vpc", 2);
    assert_eq!(emu.call_count(Method::UpdatePool), 2);
}
