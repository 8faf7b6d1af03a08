//! Every option of the emulator, including the toggles for the behaviours the public
//! material does not settle (EMULATOR.md, "Known differences from the real service"). The
//! defaults are listed in EMULATOR.md, "Configuration (`EmulatorConfig`)".

use std::time::Duration;

/// The locations the real service lists (EMULATOR.md, "What it emulates": names and IDs);
/// `ListLocations` returns these.
pub const DEFAULT_LOCATIONS: &[&str] = &[
    "us-central1",
    "us-east1",
    "us-east4",
    "us-west1",
    "us-west2",
    "northamerica-northeast1",
    "southamerica-east1",
    "asia-east1",
    "asia-east2",
    "asia-south1",
    "asia-northeast1",
    "asia-southeast1",
    "australia-southeast1",
    "europe-north1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
];

/// How long long-running operations take.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LroTiming {
    /// The operation returned by the initiating call is already `done`.
    #[default]
    Instant,
    /// Operations complete this long (emulator clock) after they start, when next observed.
    Delay(Duration),
    /// Operations complete only through [`Emulator::complete_operation`] or
    /// [`Emulator::complete_all_operations`] (or the admin RPC `CompleteOperations`).
    ///
    /// [`Emulator::complete_operation`]: crate::emulator::Emulator::complete_operation
    /// [`Emulator::complete_all_operations`]: crate::emulator::Emulator::complete_all_operations
    Manual,
}

/// The status code for a reference to a resource that does not exist (a channel's
/// `input_attachments[].input`, a slate's asset, ...). The real service does not document
/// it (EMULATOR.md, "Known differences from the real service").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingReference {
    /// `INVALID_ARGUMENT` with a `BadRequest` field violation (default).
    #[default]
    InvalidArgument,
    /// `NOT_FOUND` with a `ResourceInfo` naming the missing resource.
    NotFound,
}

/// Allocation quotas per location (EMULATOR.md, "What it emulates": quotas). `None`
/// disables a limit.
///
/// Like [`EmulatorConfig`], build it with `..Default::default()`: fields are added over time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Whether quotas are enforced at all (default: yes).
    pub enforce: bool,
    /// Channels that may run at once (STARTING or later) per location: 10.
    pub running_channels: Option<usize>,
    /// Inputs per location: 20.
    pub inputs: Option<usize>,
    /// Assets per location: 10.
    pub assets: Option<usize>,
    /// H.264 output video streams of running channels per location, by resolution
    /// `[SD, HD, UHD]`: `[40, 20, 5]`. Checked at StartChannel.
    pub h264_output_streams: Option<[usize; 3]>,
    /// H.265 output video streams of running channels per location, `[SD, HD, UHD]`:
    /// `[3, 3, 2]`.
    pub h265_output_streams: Option<[usize; 3]>,
    /// Events per channel: unlimited (no public limit).
    pub events_per_channel: Option<usize>,
    /// Clips per channel: unlimited (no public limit).
    pub clips_per_channel: Option<usize>,
    /// DVR sessions per channel: unlimited (no public limit).
    pub dvr_sessions_per_channel: Option<usize>,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            enforce: true,
            running_channels: Some(10),
            inputs: Some(20),
            assets: Some(10),
            h264_output_streams: Some([40, 20, 5]),
            h265_output_streams: Some([3, 3, 2]),
            events_per_channel: None,
            clips_per_channel: None,
            dvr_sessions_per_channel: None,
        }
    }
}

/// Request-rate quotas (EMULATOR.md, "What it emulates": quotas), per minute of the
/// emulator clock, counted in fixed one-minute windows across all locations (the real
/// quotas are per region). `None` leaves a kind unlimited. Exceeding one answers
/// RESOURCE_EXHAUSTED with a `RetryInfo` for the rest of the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Get RPCs (GetChannel, GetInput, ...).
    pub get: Option<u32>,
    /// List RPCs.
    pub list: Option<u32>,
    /// Every other LivestreamService RPC (creates, updates, deletes, start/stop, preview).
    pub mutation: Option<u32>,
    /// The Operations and Locations mixins.
    pub operation: Option<u32>,
}

impl RateLimits {
    /// The real service's regional limits: 1200 get, 300 list, 300 mutation and 1200
    /// operation requests per minute.
    pub fn documented() -> Self {
        RateLimits {
            get: Some(1200),
            list: Some(300),
            mutation: Some(300),
            operation: Some(1200),
        }
    }
}

/// The emulator's configuration. Options are added over time (with defaults that keep the
/// earlier behaviour), so build it with `..Default::default()`:
///
/// ```
/// use livestream_grpc::emulator::{EmulatorConfig, LroTiming};
/// let config = EmulatorConfig {
///     lro_timing: LroTiming::Manual,
///     locations: vec!["us-central1".into()],
///     ..Default::default()
/// };
/// assert!(config.cascade_delete_children);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EmulatorConfig {
    /// Location IDs accepted in names and returned by `ListLocations` (default: the 18
    /// locations the real service lists). A name in another location is INVALID_ARGUMENT.
    pub locations: Vec<String>,
    /// How long operations take (default: instant).
    pub lro_timing: LroTiming,
    /// Status for references to missing resources (default: INVALID_ARGUMENT).
    pub missing_reference: MissingReference,
    /// `PreviewInput` needs a running channel using the input (default: yes).
    pub preview_requires_running_channel: bool,
    /// `UpdateInput` is allowed while a running channel uses the input (default: no,
    /// FAILED_PRECONDITION).
    pub allow_update_input_in_use: bool,
    /// Deleting a channel deletes its clips and DVR sessions (default: yes); when off,
    /// DeleteChannel fails with FAILED_PRECONDITION while any exist.
    pub cascade_delete_children: bool,
    /// Allocation quotas.
    pub quotas: Quotas,
    /// Request-rate quotas (default: none).
    pub rate_limits: Option<RateLimits>,
    /// Clips and DVR sessions need content from a connected (simulated) encoder; by default
    /// a running channel counts as producing content all the time it runs.
    pub strict_media: bool,
    /// `WaitOperation` is served as a blocking poll (default: yes); off, it is UNIMPLEMENTED
    /// like (probably) the real service.
    pub wait_operation: bool,
    /// Finished operations are forgotten this long after they end (default: 30 days, as
    /// the real service keeps them "about 30 days"); `None` keeps them forever, so a
    /// long-lived emulator grows without bound.
    pub operation_ttl: Option<Duration>,
    /// How long a `request_id` is remembered (default: 60 minutes, the service's
    /// guarantee); a request_id older than this is forgotten at the next write.
    pub request_id_window: Duration,
    /// Page size when a List request has none (default 100).
    pub default_page_size: usize,
    /// Larger page sizes are reduced to this (default 1000).
    pub max_page_size: usize,
    /// Recorded requests kept per method, oldest dropped first (default 1000).
    pub request_log_limit: usize,
    /// Keep credential headers (`authorization`, `proxy-authorization`, `x-goog-api-key`,
    /// `x-goog-iam-authorization-token`, `cookie`) in the request log as clients sent them
    /// (default: no). By default the log keeps only their presence, scheme and length
    /// (`Bearer <redacted, 187 bytes>`), so neither [`Emulator::requests`] nor the admin
    /// RPC `ListRecordedRequests` hands out a token.
    ///
    /// **Risk**: turned on, any caller that can reach the emulator's port can read the
    /// credentials of every client that called it (a real OAuth token, if a client pointed
    /// at the emulator was set up with Application Default Credentials). Turn it on only in
    /// a test that needs the value, with the emulator on loopback.
    ///
    /// [`Emulator::requests`]: crate::emulator::Emulator::requests
    pub record_credentials: bool,
    /// Executed events are deleted this long after they end (default 7 days).
    pub event_retention: Duration,
    /// How long a DVR session stays in COOLDOWN (default 60 s).
    pub dvr_cooldown: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            locations: DEFAULT_LOCATIONS.iter().map(|l| (*l).to_owned()).collect(),
            lro_timing: LroTiming::Instant,
            missing_reference: MissingReference::InvalidArgument,
            preview_requires_running_channel: true,
            allow_update_input_in_use: false,
            cascade_delete_children: true,
            quotas: Quotas::default(),
            rate_limits: None,
            strict_media: false,
            wait_operation: true,
            operation_ttl: Some(Duration::from_secs(30 * 24 * 60 * 60)),
            request_id_window: Duration::from_secs(60 * 60),
            default_page_size: 100,
            max_page_size: 1000,
            request_log_limit: 1000,
            record_credentials: false,
            event_retention: Duration::from_secs(7 * 24 * 60 * 60),
            dvr_cooldown: Duration::from_secs(60),
        }
    }
}

impl EmulatorConfig {
    /// The limit `pick` selects, if quotas are enforced.
    pub(crate) fn quota<T>(&self, pick: impl Fn(&Quotas) -> Option<T>) -> Option<T> {
        if self.quotas.enforce {
            pick(&self.quotas)
        } else {
            None
        }
    }
}
