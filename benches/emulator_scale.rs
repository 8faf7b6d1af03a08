//! Issue 6, item 5: the emulator at scale, in-process (its tower service, no socket, so the
//! figures are the emulator's own work plus protobuf encoding), current_thread runtime.
//!
//! - Memory per 10,000 quickstart-like channels: live heap bytes, counted by a global
//!   allocator wrapping the system allocator, and the process's RSS (`VmRSS`), before and
//!   after creating them through CreateChannel; then again after deleting the 10,000 create
//!   operations, which the emulator keeps (as the real service does for a while), to
//!   separate the channels from their operations.
//! - Time per page over 100,000 channels: unfiltered, filtered (1 %, 50 %, no match) and with
//!   a custom `order_by`.
//!
//! `cargo bench --bench emulator_scale`

#[macro_use]
mod support;

use std::collections::HashMap;
use std::time::Instant;

use livestream_grpc::emulator::Emulator;
use livestream_grpc::emulator::EmulatorService;
use livestream_grpc::longrunning::DeleteOperationRequest;
use livestream_grpc::longrunning::operations_client::OperationsClient;
use livestream_grpc::v1::livestream_service_client::LivestreamServiceClient;
use livestream_grpc::v1::{CreateChannelRequest, ListChannelsRequest};
use support::{Mode, Stats};

#[path = "support/counting.rs"]
mod counting;
use counting::live_bytes;

fn rss_bytes() -> f64 {
    support::read_kib("/proc/self/status", "VmRSS:").unwrap_or(0) as f64 * 1024.0
}

const MIB: f64 = 1024.0 * 1024.0;

fn location(project: &str) -> String {
    format!("projects/{project}/locations/us-central1")
}

/// Creates the input, then `n` channels (with `labels(i)`); returns the operation names.
async fn create_channels(
    stub: &mut LivestreamServiceClient<EmulatorService>,
    project: &str,
    n: usize,
    labels: impl Fn(usize) -> HashMap<String, String>,
) -> Vec<String> {
    let parent = location(project);
    let input = support::create_input(stub, &parent).await;
    let mut operations = Vec::with_capacity(n);
    for i in 0..n {
        let mut channel = support::quickstart_channel(&input);
        channel.labels = labels(i);
        let op = stub
            .create_channel(CreateChannelRequest {
                parent: parent.clone(),
                channel_id: format!("ch-{i:06}"),
                channel: Some(channel),
                ..Default::default()
            })
            .await
            .expect("CreateChannel")
            .into_inner();
        operations.push(op.name);
    }
    operations
}

async fn memory(mode: Mode) {
    let n = mode.pick(10_000, 500);
    let emu = Emulator::builder().build();
    let service = emu.service();
    let mut stub = LivestreamServiceClient::new(service.clone());
    let mut ops = OperationsClient::new(service);
    // Warm up the paths (and the allocator's arenas) in another project first.
    create_channels(&mut stub, "warm-up", 100, |_| HashMap::new()).await;

    let (heap0, rss0) = (live_bytes(), rss_bytes());
    let start = Instant::now();
    let operations = create_channels(&mut stub, "bench", n, |_| HashMap::new()).await;
    let took = start.elapsed();
    let (heap1, rss1) = (live_bytes(), rss_bytes());
    for name in &operations {
        ops.delete_operation(DeleteOperationRequest { name: name.clone() })
            .await
            .expect("DeleteOperation");
    }
    drop(operations);
    let heap2 = live_bytes();
    let per = |bytes: f64| bytes * 10_000.0 / n as f64 / MIB;

    println!("\n### Emulator memory per 10,000 quickstart-like channels (in-process)\n");
    println!(
        "created {n} channels through CreateChannel in {} ({:.0} creates/s); figures scaled to 10,000\n",
        support::fmt_duration(took),
        n as f64 / took.as_secs_f64()
    );
    println!("| what | per 10,000 channels | per channel |");
    println!("|---|---:|---:|");
    let row = |what: &str, bytes: f64| {
        println!(
            "| {what} | {:.1} MiB | {:.0} B |",
            per(bytes),
            bytes / n as f64
        )
    };
    row(
        "live heap: channels + their create operations",
        heap1 - heap0,
    );
    row(
        "live heap: channels alone (operations deleted)",
        heap2 - heap0,
    );
    row("live heap: the create operations", heap1 - heap2);
    row("RSS growth while creating (VmRSS)", rss1 - rss0);
}

/// Times `pages` pages of one query, following page tokens if `follow` (starting over at
/// the end), or the first page again and again; milliseconds per page.
async fn time_pages(
    stub: &mut LivestreamServiceClient<EmulatorService>,
    request: &ListChannelsRequest,
    pages: usize,
    follow: bool,
) -> (Vec<f64>, usize) {
    let mut out = Vec::with_capacity(pages);
    let mut req = request.clone();
    let mut items = 0;
    for _ in 0..pages {
        let start = Instant::now();
        let page = stub
            .list_channels(req.clone())
            .await
            .expect("ListChannels")
            .into_inner();
        out.push(start.elapsed().as_secs_f64() * 1e3);
        items = items.max(page.channels.len());
        req.page_token = if !follow || page.next_page_token.is_empty() {
            String::new()
        } else {
            page.next_page_token
        };
    }
    (out, items)
}

async fn pages(mode: Mode) {
    let n = mode.pick(100_000, 2_000);
    let emu = Emulator::builder().build();
    let mut stub = LivestreamServiceClient::new(emu.service());
    let rss0 = rss_bytes();
    let heap0 = live_bytes();
    let start = Instant::now();
    // Labels: `env` prod/dev alternately, `tier` gold for 1 % of the channels.
    let operations = create_channels(&mut stub, "scale", n, |i| {
        let mut labels = HashMap::new();
        labels.insert(
            "env".to_owned(),
            if i % 2 == 0 { "prod" } else { "dev" }.to_owned(),
        );
        labels.insert(
            "tier".to_owned(),
            if i % 100 == 0 { "gold" } else { "standard" }.to_owned(),
        );
        labels
    })
    .await;
    let took = start.elapsed();
    drop(operations);
    println!("\n### Time per page over {n} channels (in-process, current_thread)\n");
    println!(
        "created {n} labelled channels in {} ({:.0} creates/s); live heap {:.0} MiB, RSS growth {:.0} MiB (channels and their operations)\n",
        support::fmt_duration(took),
        n as f64 / took.as_secs_f64(),
        (live_bytes() - heap0) / MIB,
        (rss_bytes() - rss0) / MIB
    );
    let parent = location("scale");
    let query = |filter: &str, order_by: &str, page_size: i32| ListChannelsRequest {
        parent: parent.clone(),
        filter: filter.into(),
        order_by: order_by.into(),
        page_size,
        ..Default::default()
    };
    let repeat = |full: usize| mode.pick(full, 2);
    // (what, request, pages timed, follow page tokens, share of channels matching)
    let cases: Vec<(&str, ListChannelsRequest, usize, bool, &str)> = vec![
        (
            "no filter, every page in turn",
            query("", "", 1000),
            repeat(100),
            true,
            "all",
        ),
        (
            "no filter, first page",
            query("", "", 100),
            repeat(50),
            false,
            "all",
        ),
        (
            "`labels.tier = \"gold\"`, every page in turn",
            query("labels.tier = \"gold\"", "", 100),
            repeat(50),
            true,
            "1 %",
        ),
        (
            "`labels.env = \"prod\" AND streaming_state = STOPPED`, first page",
            query(
                "labels.env = \"prod\" AND streaming_state = STOPPED",
                "",
                100,
            ),
            repeat(50),
            false,
            "50 %",
        ),
        (
            "`labels.tier = \"platinum\"` (a full scan)",
            query("labels.tier = \"platinum\"", "", 100),
            repeat(20),
            false,
            "none",
        ),
        (
            "`order_by = \"create_time desc\"`, pages in turn",
            query("", "create_time desc", 100),
            repeat(10),
            true,
            "all",
        ),
    ];
    println!(
        "| query | matches | page_size | pages timed | items/page | median ms/page | p10–p90 ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (what, request, pages, follow, matches) in cases {
        // One untimed page first.
        time_pages(&mut stub, &request, 1, false).await;
        let (mut samples, items) = time_pages(&mut stub, &request, pages, follow).await;
        let st = Stats::of(&mut samples);
        println!(
            "| {what} | {matches} | {} | {} | {items} | {:.2} | {:.2}–{:.2} |",
            request.page_size, st.n, st.median, st.p10, st.p90
        );
    }
}

fn main() {
    let mode = Mode::from_args();
    support::print_machine("emulator_scale", mode);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(memory(mode));
    rt.block_on(pages(mode));
    println!("\nload average at end: {}", support::load_average());
}
