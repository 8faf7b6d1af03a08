//! The API model every generator reads: one [`Rpc`] per method of the three services and one
//! [`NamePattern`] per resource name pattern, read once off the proto annotations
//! (`google.api.http`, `google.longrunning.operation_info`, `google.api.resource`,
//! `google.api.resource_definition`). A new fact about an RPC is one field here, filled in
//! [`rpcs`], and then used by whichever generator needs it.

use prost_reflect::{DescriptorPool, MessageDescriptor, MethodDescriptor, Value};

use crate::util::{
    BoxError, extension_message, extension_value, rustdoc_text, snake_case, string_field,
};

/// The services whose RPCs form the API surface, in the order the client lists them.
pub(crate) const SERVICES: &[&str] = &[
    "google.cloud.video.livestream.v1.LivestreamService",
    "google.longrunning.Operations",
    "google.cloud.location.Locations",
];

/// What an RPC returns.
pub(crate) enum Kind {
    Unary,
    /// A `google.longrunning.Operation` whose result and metadata are these messages.
    Lro {
        result: String,
        metadata: String,
    },
    /// A page: the repeated `field` of `item` messages, and `next_page_token`.
    List {
        field: String,
        item: String,
    },
}

/// One RPC, with everything the generators need.
pub(crate) struct Rpc {
    /// `LivestreamService`, `Operations` or `Locations`.
    pub(crate) service: String,
    /// `GetChannel`.
    pub(crate) name: String,
    /// `get_channel`.
    pub(crate) snake: String,
    /// `/google.cloud.video.livestream.v1.LivestreamService/GetChannel`.
    pub(crate) path: String,
    /// Full proto names of the request and response messages.
    pub(crate) request: String,
    pub(crate) response: String,
    pub(crate) kind: Kind,
    /// The request field sent in `x-goog-request-params` (`name`, `parent`, `channel.name`).
    pub(crate) routing: String,
    /// Get and List methods, which the service configuration retries on UNAVAILABLE.
    pub(crate) read: bool,
    /// Whether the request has a `request_id` field.
    pub(crate) request_id: bool,
    /// The `*_id` field of a Create request (`channel_id`).
    pub(crate) id_field: Option<String>,
    /// The resource field of a Create or Update request and its message (`channel`,
    /// `google.cloud.video.livestream.v1.Channel`).
    pub(crate) body: Option<(String, String)>,
    /// Whether the request has an `update_mask`.
    pub(crate) update_mask: bool,
    /// For a Create: the typed name of the resource it creates (`ChannelName`), whose
    /// parent and ID fill the request's routing and `*_id` fields, and an example value.
    pub(crate) created_name_type: Option<(String, String)>,
    /// Whether the response has an `unreachable` list.
    pub(crate) unreachable: bool,
    /// The typed name of the routing field's value (`ChannelName`).
    pub(crate) name_type: String,
    /// An example value of that name, for docs.
    pub(crate) example_name: String,
    /// The proto comment, made safe for rustdoc.
    pub(crate) doc: String,
}

impl Rpc {
    /// Whether the request needs nothing but the name in its routing field (a Get, Delete,
    /// List, Start, ...): such requests convert from the typed name.
    pub(crate) fn takes_name(&self) -> bool {
        self.id_field.is_none() && self.body.is_none() && !self.routing.contains('.')
    }
}

/// Every RPC of the three services, in proto order.
pub(crate) fn rpcs(
    pool: &DescriptorPool,
    fds: &prost_types::FileDescriptorSet,
    patterns: &[NamePattern],
) -> Result<Vec<Rpc>, BoxError> {
    let mut out = Vec::new();
    for service_name in SERVICES {
        let service = pool
            .get_service_by_name(service_name)
            .ok_or_else(|| format!("service {service_name} not found"))?;
        for method in service.methods() {
            out.push(rpc(pool, fds, patterns, &method)?);
        }
    }
    Ok(out)
}

fn rpc(
    pool: &DescriptorPool,
    fds: &prost_types::FileDescriptorSet,
    patterns: &[NamePattern],
    method: &MethodDescriptor,
) -> Result<Rpc, BoxError> {
    let service = method.parent_service();
    let input = method.input();
    let output = method.output();
    let kind = if let Some(info) =
        extension_message(pool, &method.options(), "google.longrunning.operation_info")
    {
        let package = service.package_name();
        Kind::Lro {
            result: resolve_type(pool, package, &string_field(&info, "response_type"))?,
            metadata: resolve_type(pool, package, &string_field(&info, "metadata_type"))?,
        }
    } else if let Some((field, item)) = list_item(&output) {
        Kind::List { field, item }
    } else {
        Kind::Unary
    };
    // WaitOperation has no HTTP binding; it routes on `name` like its siblings.
    let routing = if method.name() == "WaitOperation" {
        "name".to_owned()
    } else {
        routing_field(pool, method)?
    };
    // The mixins' own HTTP rules use generic paths (`operations/**`); the Live Stream
    // service configuration binds them to these patterns.
    let name_pattern = match (service.name(), method.name()) {
        ("Operations", "ListOperations") => pattern_for_path(patterns, "projects/*/locations/*"),
        ("Operations", _) => pattern_for_path(patterns, "projects/*/locations/*/operations/*"),
        _ => path_variables(pool, method)
            .iter()
            .find_map(|(_, path)| pattern_for_path(patterns, path)),
    }
    .ok_or_else(|| format!("{}: no resource name pattern for its path", method.name()))?;
    let body = input.fields().find_map(|f| match f.kind() {
        prost_reflect::Kind::Message(m)
            if !f.is_list()
                && extension_message(pool, &m.options(), "google.api.resource").is_some() =>
        {
            Some((f.name().to_owned(), m.full_name().to_owned()))
        }
        _ => None,
    });
    let update_mask = has_field(&input, "update_mask");
    if update_mask && body.is_none() {
        return Err(format!("{}: an update without a resource body", method.name()).into());
    }
    let id_field = input
        .fields()
        .map(|f| f.name().to_owned())
        .find(|n| n.ends_with("_id") && n != "request_id");
    // A Create's resource: its `google.api.resource` type names the typed name it creates.
    let created_name_type = match (&id_field, &body) {
        (Some(_), Some((_, message))) => {
            let descriptor = pool
                .get_message_by_name(message)
                .ok_or_else(|| format!("{}: body {message} not found", method.name()))?;
            let resource = extension_message(pool, &descriptor.options(), "google.api.resource")
                .ok_or_else(|| format!("{message}: no google.api.resource"))?;
            let ty = string_field(&resource, "type");
            let created = patterns
                .iter()
                .find(|p| p.resource_type == ty)
                .ok_or_else(|| format!("{}: no name pattern for {ty}", method.name()))?;
            if created.parent(patterns).map(NamePattern::type_name)
                != Some(name_pattern.type_name())
            {
                return Err(format!(
                    "{}: the created {} is not a child of the routing {}",
                    method.name(),
                    created.type_name(),
                    name_pattern.type_name()
                )
                .into());
            }
            Some((created.type_name(), created.example()))
        }
        _ => None,
    };
    Ok(Rpc {
        service: service.name().to_owned(),
        name: method.name().to_owned(),
        snake: snake_case(method.name()),
        path: format!("/{}/{}", service.full_name(), method.name()),
        request: input.full_name().to_owned(),
        response: output.full_name().to_owned(),
        kind,
        routing,
        read: method.name().starts_with("Get") || method.name().starts_with("List"),
        request_id: has_field(&input, "request_id"),
        id_field,
        body,
        update_mask,
        created_name_type,
        unreachable: has_field(&output, "unreachable"),
        name_type: name_pattern.type_name(),
        example_name: name_pattern.example(),
        doc: rustdoc_text(&method_comment(fds, method)),
    })
}

/// The field named by the first `{field=...}` variable of the method's HTTP rule: the
/// routing parameter sent in `x-goog-request-params`.
fn routing_field(pool: &DescriptorPool, method: &MethodDescriptor) -> Result<String, BoxError> {
    let rule = extension_message(pool, &method.options(), "google.api.http")
        .ok_or_else(|| format!("{} has no google.api.http rule", method.full_name()))?;
    for verb in ["get", "post", "put", "patch", "delete"] {
        let template = string_field(&rule, verb);
        if let Some(start) = template.find('{') {
            let var = &template[start + 1..];
            let end = var.find(['=', '}']).ok_or("unterminated path variable")?;
            return Ok(var[..end].to_owned());
        }
    }
    Err(format!("{} has no path variable", method.full_name()).into())
}

/// Every `{field=pattern}` path variable of the method's HTTP rule and its additional
/// bindings, in order: `("name", "projects/*/locations/*/channels/*")`.
fn path_variables(pool: &DescriptorPool, method: &MethodDescriptor) -> Vec<(String, String)> {
    let mut rules = Vec::new();
    if let Some(rule) = extension_message(pool, &method.options(), "google.api.http") {
        if let Some(Value::List(extra)) = rule.get_field_by_name("additional_bindings").as_deref() {
            rules.extend(extra.iter().filter_map(|v| v.as_message().cloned()));
        }
        rules.insert(0, rule);
    }
    let mut out = Vec::new();
    for rule in rules {
        for verb in ["get", "post", "put", "patch", "delete"] {
            let template = string_field(&rule, verb);
            let Some(start) = template.find('{') else {
                continue;
            };
            let Some(len) = template[start..].find('}') else {
                continue;
            };
            let var = &template[start + 1..start + len];
            match var.split_once('=') {
                Some((field, pattern)) => out.push((field.to_owned(), pattern.to_owned())),
                None => out.push((var.to_owned(), "*".to_owned())),
            }
        }
    }
    out
}

/// Resolves a type named in `operation_info` (which may be unqualified) to its full name.
fn resolve_type(pool: &DescriptorPool, package: &str, name: &str) -> Result<String, BoxError> {
    for candidate in [format!("{package}.{name}"), name.to_owned()] {
        if pool.get_message_by_name(&candidate).is_some() {
            return Ok(candidate);
        }
    }
    Err(format!("operation_info names unknown type {name}").into())
}

/// The leading comment of a method, from the source info.
fn method_comment(fds: &prost_types::FileDescriptorSet, method: &MethodDescriptor) -> String {
    let service = method.parent_service();
    let file_name = service.parent_file().name().to_owned();
    let Some(file) = fds.file.iter().find(|f| f.name() == file_name) else {
        return String::new();
    };
    // Path: 6 = FileDescriptorProto.service, 2 = ServiceDescriptorProto.method. The
    // descriptors' `index()` counts across the whole pool, so find the positions in the file.
    let Some(service_index) = service.parent_file().services().position(|s| s == *service) else {
        return String::new();
    };
    let Some(method_index) = service.methods().position(|m| m == *method) else {
        return String::new();
    };
    let path = [6, service_index as i32, 2, method_index as i32];
    file.source_code_info
        .as_ref()
        .and_then(|info| info.location.iter().find(|l| l.path == path))
        .map(|l| l.leading_comments().trim().to_owned())
        .unwrap_or_default()
}

fn list_item(response: &MessageDescriptor) -> Option<(String, String)> {
    response.get_field_by_name("next_page_token")?;
    response.fields().find_map(|f| match f.kind() {
        prost_reflect::Kind::Message(m) if f.is_list() => {
            Some((f.name().to_owned(), m.full_name().to_owned()))
        }
        _ => None,
    })
}

fn has_field(message: &MessageDescriptor, name: &str) -> bool {
    message.get_field_by_name(name).is_some()
}

/// A resource name pattern, split into literal collection segments and `{variable}`s.
pub(crate) struct NamePattern {
    /// `Channel` for `livestream.googleapis.com/Channel`.
    pub(crate) kind: String,
    /// The `google.api.resource` type, or a description for the built-in patterns.
    pub(crate) resource_type: String,
    pub(crate) pattern: String,
    /// `Some("foo")` for a literal segment, `None` for a variable (named in `vars`).
    pub(crate) segments: Vec<Option<String>>,
    pub(crate) vars: Vec<String>,
}

impl NamePattern {
    fn new(resource_type: &str, pattern: &str) -> Self {
        let kind = resource_type
            .rsplit('/')
            .next()
            .unwrap_or(resource_type)
            .to_owned();
        let mut segments = Vec::new();
        let mut vars = Vec::new();
        for seg in pattern.split('/') {
            if let Some(var) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                segments.push(None);
                vars.push(var.to_owned());
            } else {
                segments.push(Some(seg.to_owned()));
            }
        }
        NamePattern {
            kind,
            resource_type: resource_type.to_owned(),
            pattern: pattern.to_owned(),
            segments,
            vars,
        }
    }

    pub(crate) fn type_name(&self) -> String {
        format!("{}Name", self.kind)
    }

    /// The parent pattern: this one without its last collection/variable pair, if that is
    /// itself a pattern.
    pub(crate) fn parent<'a>(&self, patterns: &'a [NamePattern]) -> Option<&'a NamePattern> {
        let prefix = self.pattern.rsplitn(3, '/').nth(2)?;
        patterns.iter().find(|q| q.pattern == prefix)
    }

    /// An example name (`projects/my-project/locations/us-central1/channels/my-channel`).
    pub(crate) fn example(&self) -> String {
        let mut vars = self.vars.iter();
        self.segments
            .iter()
            .map(|segment| match segment {
                Some(literal) => literal.clone(),
                None => vars.next().map(|v| example_value(v)).unwrap_or_default(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// `"my-project"`, `"us-central1"`, `"my-dvr-session"`: example values for docs.
pub(crate) fn example_value(variable: &str) -> String {
    match variable {
        "project" => "my-project".to_owned(),
        "location" => "us-central1".to_owned(),
        // Each location has one pool, `default`: no other pool name ever exists.
        "pool" => "default".to_owned(),
        other => format!("my-{}", other.replace('_', "-")),
    }
}

/// Every resource name pattern: the `google.api.resource` and `resource_definition`
/// annotations, plus the project, location and operation patterns the API uses without
/// declaring them.
pub(crate) fn name_patterns(pool: &DescriptorPool) -> Vec<NamePattern> {
    let mut patterns = vec![
        NamePattern::new(
            "cloudresourcemanager.googleapis.com/Project",
            "projects/{project}",
        ),
        NamePattern::new(
            "locations.googleapis.com/Location",
            "projects/{project}/locations/{location}",
        ),
        NamePattern::new(
            "longrunning.googleapis.com/Operation",
            "projects/{project}/locations/{location}/operations/{operation}",
        ),
    ];
    let mut add = |def: &prost_reflect::DynamicMessage| {
        let ty = string_field(def, "type");
        if let Some(Value::List(list)) = def.get_field_by_name("pattern").as_deref() {
            for p in list {
                patterns.push(NamePattern::new(&ty, p.as_str().unwrap_or_default()));
            }
        }
    };
    for message in pool.all_messages() {
        if let Some(res) = extension_message(pool, &message.options(), "google.api.resource") {
            add(&res);
        }
    }
    for file in pool.files() {
        if let Some(Value::List(defs)) =
            extension_value(pool, &file.options(), "google.api.resource_definition")
        {
            for def in defs.iter().filter_map(|d| d.as_message()) {
                add(def);
            }
        }
    }
    patterns
}

/// The name pattern an HTTP path pattern (`projects/*/locations/*`) stands for.
fn pattern_for_path<'a>(patterns: &'a [NamePattern], path: &str) -> Option<&'a NamePattern> {
    patterns.iter().find(|p| {
        let ours: Vec<&str> = path.split('/').collect();
        ours.len() == p.segments.len()
            && ours.iter().zip(&p.segments).all(|(a, b)| match b {
                Some(literal) => a == literal,
                None => *a == "*",
            })
    })
}
