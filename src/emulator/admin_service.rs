//! The `livestream.emulator.v1.EmulatorAdmin` service: the control API over gRPC, for
//! tests in other languages. Every method delegates to [`Emulator`].

use std::time::Duration;

use prost::Message as _;
use tonic::{Code, Request, Response, Status};

use super::admin::emulator_admin_server::EmulatorAdmin;
use super::admin::{self as pb, set_lro_timing_request::Timing};
use super::store::{duration_of, ts};
use super::{ControlError, Emulator, Fault, FaultScript, LroTiming, StreamProperties};
use crate::methods::{Method, UnknownMethod};

/// Serves the admin API of one emulator.
#[derive(Clone, Debug)]
pub(crate) struct AdminService {
    pub(crate) emulator: Emulator,
}

impl From<ControlError> for Status {
    fn from(e: ControlError) -> Status {
        e.into_status()
    }
}

/// The method a caller names (`GetChannel`, or its full gRPC path), resolved once; a
/// misspelled name is INVALID_ARGUMENT listing the closest ones.
fn method(name: &str) -> Result<Method, Status> {
    name.parse().map_err(|e: UnknownMethod| {
        Status::invalid_argument(format!(
            "{e} (expected a short RPC name such as \"GetChannel\" or a full gRPC path)"
        ))
    })
}

fn fault(step: &pb::FaultStep) -> Result<Option<Fault>, Status> {
    if step.code == 0 {
        return Ok(None);
    }
    if !(1..=16).contains(&step.code) {
        return Err(Status::invalid_argument(format!(
            "code {} is not a gRPC status code",
            step.code
        )));
    }
    let mut fault = Fault::new(Code::from_i32(step.code));
    if !step.message.is_empty() {
        fault = fault.with_message(step.message.clone());
    }
    if let Some(delay) = &step.retry_delay {
        fault = fault.with_retry_delay(duration_of("retry_delay", delay)?);
    }
    if step.after_handling {
        fault = fault.after_handling();
    }
    Ok(Some(fault))
}

#[tonic::async_trait]
impl EmulatorAdmin for AdminService {
    async fn reset(&self, _: Request<pb::ResetRequest>) -> Result<Response<()>, Status> {
        self.emulator.reset();
        Ok(Response::new(()))
    }

    async fn get_clock(
        &self,
        _: Request<pb::GetClockRequest>,
    ) -> Result<Response<pb::ClockState>, Status> {
        Ok(Response::new(pb::ClockState {
            now: Some(ts(self.emulator.now())),
        }))
    }

    async fn advance_clock(
        &self,
        request: Request<pb::AdvanceClockRequest>,
    ) -> Result<Response<pb::ClockState>, Status> {
        let by = match &request.get_ref().duration {
            Some(d) => duration_of("duration", d)?,
            None => Duration::ZERO,
        };
        self.emulator.advance_clock(by);
        Ok(Response::new(pb::ClockState {
            now: Some(ts(self.emulator.now())),
        }))
    }

    async fn set_lro_timing(
        &self,
        request: Request<pb::SetLroTimingRequest>,
    ) -> Result<Response<()>, Status> {
        let timing = match &request.get_ref().timing {
            Some(Timing::Delay(d)) => LroTiming::Delay(duration_of("delay", d)?),
            Some(Timing::Manual(true)) => LroTiming::Manual,
            Some(Timing::Instant(_)) | Some(Timing::Manual(false)) | None => LroTiming::Instant,
        };
        self.emulator.set_lro_timing(timing);
        Ok(Response::new(()))
    }

    async fn complete_operations(
        &self,
        request: Request<pb::CompleteOperationsRequest>,
    ) -> Result<Response<pb::CompleteOperationsResponse>, Status> {
        let name = &request.get_ref().name;
        let names = if name.is_empty() {
            self.emulator.complete_all_operations()
        } else {
            self.emulator.complete_operation(name)?;
            vec![name.clone()]
        };
        Ok(Response::new(pb::CompleteOperationsResponse { names }))
    }

    async fn connect_input(
        &self,
        request: Request<pb::ConnectInputRequest>,
    ) -> Result<Response<()>, Status> {
        let r = request.get_ref();
        let defaults = StreamProperties::default();
        let props = StreamProperties {
            width: if r.width_pixels > 0 {
                r.width_pixels
            } else {
                defaults.width
            },
            height: if r.height_pixels > 0 {
                r.height_pixels
            } else {
                defaults.height
            },
            frame_rate: if r.frame_rate > 0.0 {
                r.frame_rate
            } else {
                defaults.frame_rate
            },
        };
        self.emulator.connect_input_with(&r.name, props)?;
        Ok(Response::new(()))
    }

    async fn disconnect_input(
        &self,
        request: Request<pb::DisconnectInputRequest>,
    ) -> Result<Response<()>, Status> {
        self.emulator.disconnect_input(&request.get_ref().name)?;
        Ok(Response::new(()))
    }

    async fn fail_resource(
        &self,
        request: Request<pb::FailResourceRequest>,
    ) -> Result<Response<()>, Status> {
        let r = request.get_ref();
        if r.distribution_key.is_empty() {
            self.emulator.fail(&r.name, &r.message)?;
        } else {
            self.emulator
                .fail_distribution(&r.name, &r.distribution_key, &r.message)?;
        }
        Ok(Response::new(()))
    }

    async fn recover_channel(
        &self,
        request: Request<pb::RecoverChannelRequest>,
    ) -> Result<Response<()>, Status> {
        self.emulator.recover_channel(&request.get_ref().name)?;
        Ok(Response::new(()))
    }

    async fn inject_faults(
        &self,
        request: Request<pb::InjectFaultsRequest>,
    ) -> Result<Response<()>, Status> {
        let r = request.into_inner();
        let method = method(&r.method)?;
        let mut script = FaultScript::default();
        for step in &r.steps {
            script = match fault(step)? {
                Some(f) => script.then_fault(f),
                None => script.then_pass(),
            };
        }
        if r.probability > 0.0 {
            let random = r.random_fault.unwrap_or_default();
            let random = fault(&random)?.unwrap_or_else(|| Fault::new(Code::Unavailable));
            script = script.then_probability(r.probability, random);
        }
        self.emulator.inject_faults(method, script);
        Ok(Response::new(()))
    }

    async fn set_latency(
        &self,
        request: Request<pb::SetLatencyRequest>,
    ) -> Result<Response<()>, Status> {
        let r = request.get_ref();
        let method = method(&r.method)?;
        let latency = match &r.latency {
            Some(d) => duration_of("latency", d)?,
            None => Duration::ZERO,
        };
        self.emulator.set_latency(method, latency);
        Ok(Response::new(()))
    }

    async fn clear_faults(
        &self,
        request: Request<pb::ClearFaultsRequest>,
    ) -> Result<Response<()>, Status> {
        let method = &request.get_ref().method;
        if method.is_empty() {
            self.emulator.clear_all_faults();
        } else {
            self.emulator.clear_faults(self::method(method)?);
        }
        Ok(Response::new(()))
    }

    async fn get_call_counts(
        &self,
        _: Request<pb::GetCallCountsRequest>,
    ) -> Result<Response<pb::GetCallCountsResponse>, Status> {
        Ok(Response::new(pb::GetCallCountsResponse {
            counts: self
                .emulator
                .call_counts()
                .into_iter()
                .map(|(method, count)| (method.name().to_owned(), count))
                .collect(),
        }))
    }

    async fn list_recorded_requests(
        &self,
        request: Request<pb::ListRecordedRequestsRequest>,
    ) -> Result<Response<pb::ListRecordedRequestsResponse>, Status> {
        let requests = self
            .emulator
            .requests(method(&request.get_ref().method)?)
            .into_iter()
            .map(|r| pb::RecordedRequest {
                headers: r
                    .headers()
                    .into_iter()
                    .map(|(key, value)| pb::Header { key, value })
                    .collect(),
                request_id: r.request_id.clone().unwrap_or_default(),
                transport: r.transport.as_str().to_owned(),
                method: r.method,
            })
            .collect();
        Ok(Response::new(pb::ListRecordedRequestsResponse { requests }))
    }

    async fn export_state(
        &self,
        _: Request<pb::ExportStateRequest>,
    ) -> Result<Response<pb::ExportStateResponse>, Status> {
        Ok(Response::new(pb::ExportStateResponse {
            snapshot: self.emulator.export_state().encode_to_vec(),
        }))
    }
}
