//! The REST routes: one per `google.api.http` binding of the API's RPCs, read from the
//! embedded descriptor set, plus the six mixin routes that exist only in the service's
//! configuration (`livestream_v1.yaml`), never in a descriptor; and the lookup of a request's
//! method and path among them (404 for no path, 405 for a path without that method).

use std::sync::LazyLock;

use prost_reflect::{DescriptorPool, MessageDescriptor, MethodDescriptor};

use super::template::{Bindings, Template};
use crate::api::HttpRule;
use crate::api::http_rule::Pattern;
use crate::methods::Method;

/// Where a route takes the request body from (`body:` of the binding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BodyField {
    /// No body (`GET`, `DELETE`): every field not in the path comes from the query.
    None,
    /// `body: "*"`: the whole request, less the path variables.
    Whole,
    /// `body: "channel"`: that field; the others from the path and the query.
    Field(String),
}

/// One REST route of one RPC.
#[derive(Clone, Debug)]
pub(crate) struct Route {
    pub(crate) method: Method,
    pub(crate) http_method: http::Method,
    pub(crate) template: Template,
    pub(crate) body: BodyField,
    pub(crate) input: MessageDescriptor,
    pub(crate) output: MessageDescriptor,
}

/// The mixin routes of the service configuration (`http.rules` of `livestream_v1.yaml`):
/// `google.longrunning.Operations` and `google.cloud.location.Locations` under `/v1`. Their
/// protos carry generic bindings (`/v1/{name=operations/**}`) that this API does not serve.
/// `WaitOperation` has none: it is gRPC only.
const MIXINS: &[(Method, &str, &str, &str)] = &[
    (
        Method::GetOperation,
        "GET",
        "/v1/{name=projects/*/locations/*/operations/*}",
        "",
    ),
    (
        Method::DeleteOperation,
        "DELETE",
        "/v1/{name=projects/*/locations/*/operations/*}",
        "",
    ),
    (
        Method::ListOperations,
        "GET",
        "/v1/{name=projects/*/locations/*}/operations",
        "",
    ),
    (
        Method::CancelOperation,
        "POST",
        "/v1/{name=projects/*/locations/*/operations/*}:cancel",
        "*",
    ),
    (
        Method::GetLocation,
        "GET",
        "/v1/{name=projects/*/locations/*}",
        "",
    ),
    (
        Method::ListLocations,
        "GET",
        "/v1/{name=projects/*}/locations",
        "",
    ),
];

/// The services whose routes come from [`MIXINS`] rather than from their protos.
const MIXIN_SERVICES: &[&str] = &[
    "google.longrunning.Operations",
    "google.cloud.location.Locations",
];

static ROUTES: LazyLock<Result<Vec<Route>, String>> = LazyLock::new(build);

/// Every route, or why the descriptors could not give them (a bug, reported as INTERNAL).
pub(crate) fn routes() -> Result<&'static [Route], String> {
    ROUTES.as_ref().map(Vec::as_slice).map_err(Clone::clone)
}

/// The gRPC method of a [`Method`] in the descriptor pool.
fn descriptor(pool: &DescriptorPool, method: Method) -> Result<MethodDescriptor, String> {
    let (service, name) = method
        .path()
        .trim_start_matches('/')
        .split_once('/')
        .ok_or_else(|| format!("invalid gRPC path {}", method.path()))?;
    pool.get_service_by_name(service)
        .and_then(|s| s.methods().find(|m| m.name() == name))
        .ok_or_else(|| format!("no descriptor for {}", method.path()))
}

/// The `google.api.http` rule of a method, if it has one.
pub(crate) fn http_rule(method: &MethodDescriptor) -> Result<Option<HttpRule>, String> {
    let pool = method.parent_pool();
    let extension = pool
        .get_extension_by_name("google.api.http")
        .ok_or("the descriptor set has no google.api.http extension")?;
    let options = method.options();
    if !options.has_extension(&extension) {
        return Ok(None);
    }
    match options.get_extension(&extension).as_message() {
        Some(rule) => rule
            .transcode_to::<HttpRule>()
            .map(Some)
            .map_err(|e| format!("{}: google.api.http: {e}", method.full_name())),
        None => Err(format!(
            "{}: google.api.http is not a message",
            method.full_name()
        )),
    }
}

fn route(
    method: Method,
    descriptor: &MethodDescriptor,
    http_method: &str,
    template: &str,
    body: &str,
) -> Result<Route, String> {
    let http_method = http::Method::from_bytes(http_method.as_bytes())
        .map_err(|e| format!("{}: {e}", method.name()))?;
    let template = Template::parse(template)?;
    let body = match body {
        "" => BodyField::None,
        "*" => BodyField::Whole,
        field => {
            descriptor
                .input()
                .get_field_by_name(field)
                .ok_or_else(|| format!("{}: no body field {field}", method.name()))?;
            BodyField::Field(field.to_owned())
        }
    };
    Ok(Route {
        method,
        http_method,
        template,
        body,
        input: descriptor.input(),
        output: descriptor.output(),
    })
}

/// The routes of one binding and its additional bindings.
fn rule_routes(
    method: Method,
    descriptor: &MethodDescriptor,
    rule: &HttpRule,
    out: &mut Vec<Route>,
) -> Result<(), String> {
    let (verb, template) = match &rule.pattern {
        Some(Pattern::Get(t)) => ("GET", t.as_str()),
        Some(Pattern::Put(t)) => ("PUT", t.as_str()),
        Some(Pattern::Post(t)) => ("POST", t.as_str()),
        Some(Pattern::Delete(t)) => ("DELETE", t.as_str()),
        Some(Pattern::Patch(t)) => ("PATCH", t.as_str()),
        Some(Pattern::Custom(c)) => (c.kind.as_str(), c.path.as_str()),
        None => {
            return Err(format!(
                "{}: google.api.http without a pattern",
                method.name()
            ));
        }
    };
    out.push(route(method, descriptor, verb, template, &rule.body)?);
    for more in &rule.additional_bindings {
        rule_routes(method, descriptor, more, out)?;
    }
    Ok(())
}

fn build() -> Result<Vec<Route>, String> {
    let pool = crate::reflect::descriptor_pool().map_err(|e| e.to_string())?;
    let mut routes = Vec::new();
    for &method in Method::ALL {
        let descriptor = descriptor(pool, method)?;
        if MIXIN_SERVICES.contains(&descriptor.parent_service().full_name()) {
            continue;
        }
        if let Some(rule) = http_rule(&descriptor)? {
            rule_routes(method, &descriptor, &rule, &mut routes)?;
        }
    }
    for &(method, verb, template, body) in MIXINS {
        routes.push(route(
            method,
            &descriptor(pool, method)?,
            verb,
            template,
            body,
        )?);
    }
    Ok(routes)
}

/// What a request's method and path find.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// A route, with the path's bindings.
    Found(&'static Route, Bindings),
    /// A route whose variable is not UTF-8 once decoded.
    BadPath(String),
    /// The path is served, with other methods (405, `Allow`).
    WrongMethod(Vec<http::Method>),
    /// No route has this path (404).
    NotFound,
}

/// Finds the route of a request.
pub(crate) fn lookup(routes: &'static [Route], method: &http::Method, path: &str) -> Lookup {
    let mut allowed = Vec::new();
    for route in routes {
        let Some(bound) = route.template.matches(path) else {
            continue;
        };
        if route.http_method != *method {
            if !allowed.contains(&route.http_method) {
                allowed.push(route.http_method.clone());
            }
            continue;
        }
        return match bound {
            Ok(bindings) => Lookup::Found(route, bindings),
            Err(why) => Lookup::BadPath(why),
        };
    }
    if allowed.is_empty() {
        Lookup::NotFound
    } else {
        Lookup::WrongMethod(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(method: &str, path: &str) -> Lookup {
        lookup(
            routes().unwrap(),
            &http::Method::from_bytes(method.as_bytes()).unwrap(),
            path,
        )
    }

    fn found(method: &str, path: &str) -> (Method, Bindings) {
        match find(method, path) {
            Lookup::Found(route, bindings) => (route.method, bindings),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn every_annotated_rpc_has_its_routes_and_mixins_theirs() {
        let pool = crate::reflect::descriptor_pool().unwrap();
        let routes = routes().unwrap();
        let mut annotated = 0;
        for &method in Method::ALL {
            let d = descriptor(pool, method).unwrap();
            let served = routes.iter().filter(|r| r.method == method).count();
            if MIXIN_SERVICES.contains(&d.parent_service().full_name()) {
                let expected = MIXINS.iter().filter(|m| m.0 == method).count();
                assert_eq!(served, expected, "{method}");
            } else if let Some(rule) = http_rule(&d).unwrap() {
                annotated += 1;
                assert_eq!(served, 1 + rule.additional_bindings.len(), "{method}");
            } else {
                assert_eq!(served, 0, "{method}");
            }
        }
        assert_eq!(annotated, 34);
        assert_eq!(routes.len(), 34 + 6);
    }

    #[test]
    fn requests_find_their_rpc() {
        let loc = "projects/p/locations/us-central1";
        let bound = |field: &str, value: &str| vec![(field.to_owned(), value.to_owned())];
        assert_eq!(
            found("GET", &format!("/v1/{loc}/channels/c")),
            (
                Method::GetChannel,
                bound("name", &format!("{loc}/channels/c"))
            )
        );
        assert_eq!(
            found("POST", &format!("/v1/{loc}/channels/c:start")).0,
            Method::StartChannel
        );
        assert_eq!(
            found("POST", &format!("/v1/{loc}/channels/c:startdistribution")).0,
            Method::StartDistribution
        );
        assert_eq!(
            found("PATCH", &format!("/v1/{loc}/channels/c")),
            (
                Method::UpdateChannel,
                bound("channel.name", &format!("{loc}/channels/c"))
            )
        );
        assert_eq!(found("GET", &format!("/v1/{loc}")).0, Method::GetLocation);
        assert_eq!(
            found("GET", "/v1/projects/p/locations").0,
            Method::ListLocations
        );
        assert_eq!(
            found("GET", &format!("/v1/{loc}/operations")).0,
            Method::ListOperations
        );
        assert_eq!(
            found("POST", &format!("/v1/{loc}/operations/o:cancel")).0,
            Method::CancelOperation
        );
        assert_eq!(
            found("DELETE", &format!("/v1/{loc}/operations/o")).0,
            Method::DeleteOperation
        );
    }

    #[test]
    fn wrong_methods_and_unknown_paths() {
        let loc = "projects/p/locations/us-central1";
        match find("PUT", &format!("/v1/{loc}/channels/c")) {
            Lookup::WrongMethod(allowed) => {
                assert_eq!(
                    allowed,
                    [http::Method::GET, http::Method::DELETE, http::Method::PATCH]
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            find("GET", &format!("/v1/{loc}/channels/c:start")),
            Lookup::WrongMethod(_)
        ));
        for path in [
            "/v1/projects/p",
            "/v2/projects/p/locations",
            "/",
            "",
            &format!("/v1/{loc}/channels/c:explode"),
            "/google.cloud.video.livestream.v1.LivestreamService/GetChannel",
        ] {
            assert!(matches!(find("GET", path), Lookup::NotFound), "{path}");
        }
        assert!(matches!(
            find("GET", &format!("/v1/{loc}/channels/%ff")),
            Lookup::BadPath(_)
        ));
    }
}
