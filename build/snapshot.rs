//! `api_surface.txt`: the public items generated from the protos, as text a reviewer can
//! read. A copy is committed as `api/surface.txt`; a test compares the two, so a proto update
//! that changes the public API shows up as a diff in review
//! (`scripts/update-api-snapshot.sh` refreshes the copy).

use std::fmt::Write as _;

use crate::model::{Kind, NamePattern, Rpc};
use crate::util::{BoxError, short_name};

pub(crate) fn generate(rpcs: &[Rpc], patterns: &[NamePattern]) -> Result<String, BoxError> {
    let mut out = String::from(
        "# The public surface that build.rs generates from the protos: every Client method and\n\
         # typed resource name. Do not edit: run scripts/update-api-snapshot.sh after a proto\n\
         # update and review the diff (the test `api_snapshot` fails until this file matches).\n",
    );
    let _ = writeln!(out, "\n## Client methods ({})\n", rpcs.len());
    for rpc in rpcs {
        let request = short_name(&rpc.request);
        let argument = if rpc.takes_name() {
            format!("{request} | &{}", rpc.name_type)
        } else if let (Some((created, _)), Some((_, body))) = (&rpc.created_name_type, &rpc.body) {
            format!("{request} | (&{created}, {})", short_name(body))
        } else {
            request
        };
        let (output, kind) = match &rpc.kind {
            Kind::Unary => (short_name(&rpc.response), "unary".to_owned()),
            Kind::Lro { result, metadata } => (
                format!(
                    "Operation<{}, {}>",
                    short_name(result),
                    short_name(metadata)
                ),
                "long-running".to_owned(),
            ),
            Kind::List { field, item } => (
                short_name(&rpc.response),
                format!("list of {} in `{field}`", short_name(item)),
            ),
        };
        let retry = match (rpc.read, rpc.request_id) {
            (true, _) => "read, retried",
            (false, true) => "write with request_id, retried",
            (false, false) => "write, not retried",
        };
        let _ = writeln!(
            out,
            "Client::{}({argument}) -> {output}\n    {}/{}: {kind}; routing `{}` = {}; {retry}",
            rpc.snake, rpc.service, rpc.name, rpc.routing, rpc.name_type,
        );
    }
    let _ = writeln!(out, "\n## Typed names ({})\n", patterns.len());
    for p in patterns {
        let parent = p
            .parent(patterns)
            .map(|parent| format!("; parent {}", parent.type_name()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} = {}\n    {}{parent}",
            p.type_name(),
            p.pattern,
            p.resource_type
        );
    }
    Ok(out)
}
