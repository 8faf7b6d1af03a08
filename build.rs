//! Compiles the vendored protos with protox (pure Rust: no protoc anywhere) into prost
//! messages and tonic client/server stubs, embeds the descriptor set, and writes
//! `api_surface.rs`: macro tables of every RPC and resource name pattern, read off the
//! proto annotations (`google.api.http`, `google.longrunning.operation_info`,
//! `google.api.resource`), which the client and the emulator expand instead of
//! repeating 40 near-identical definitions by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, MethodDescriptor, Value};

type BoxError = Box<dyn std::error::Error>;

/// Files we compile; everything they import comes along (`include_imports`).
const ENTRY_FILES: &[&str] = &[
    "google/cloud/video/livestream/v1/service.proto",
    "google/longrunning/operations.proto",
    "google/cloud/location/locations.proto",
    // This project's own: the emulator admin service and its persisted state.
    "livestream/emulator/v1/admin.proto",
    "livestream/emulator/v1/state.proto",
];

/// The services whose RPCs form the API surface, in the order the client lists them.
const SERVICES: &[&str] = &[
    "google.cloud.video.livestream.v1.LivestreamService",
    "google.longrunning.Operations",
    "google.cloud.location.Locations",
];

fn main() -> Result<(), BoxError> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let proto_root = manifest_dir.join("proto");

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler
        .include_imports(true) // prost needs every referenced message
        .include_source_info(true) // proto comments become rustdoc
        .open_files(ENTRY_FILES)?;

    // tonic-prost-build and prost-build emit no rerun-if-changed lines of their own; without
    // ours Cargo reruns this script whenever any file of the package changes.
    println!("cargo:rerun-if-changed=build.rs");
    for file in compiler.files() {
        if let Some(path) = file.path() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }

    // `gl-rust/<version>` of the x-goog-api-client header: the compiler that builds us. Cargo
    // reruns build scripts when the toolchain changes, so no rerun-if line is needed.
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc_version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=LIVESTREAM_GRPC_RUSTC_VERSION={rustc_version}");

    let fds = compiler.file_descriptor_set();

    // The embedded descriptor set: encoded by protox itself (prost_types would drop the
    // extension options such as `google.api.http`), without source info (comments only cost
    // bytes at runtime).
    let mut runtime = protox::Compiler::new([&proto_root])?;
    runtime
        .include_imports(true)
        .include_source_info(false)
        .open_files(ENTRY_FILES)?;
    write_if_changed(
        &out_dir.join("file_descriptor_set.bin"),
        &runtime.encode_file_descriptor_set(),
    )?;

    let pool = compiler.descriptor_pool();
    write_if_changed(
        &out_dir.join("api_surface.rs"),
        api_surface(&pool, &fds)?.as_bytes(),
    )?;
    write_if_changed(
        &out_dir.join("resource_names.rs"),
        resource_names(&pool)?.as_bytes(),
    )?;

    let mut config = prost_build::Config::new();
    // `prost::Name` impls: type URLs for packing and checking `google.protobuf.Any`.
    config.enable_type_names();
    config.type_name_domain(["."], "type.googleapis.com");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .server_mod_attribute(".", r#"#[cfg(feature = "server")]"#)
        .generate_default_stubs(true) // unimplemented trait methods answer UNIMPLEMENTED
        .include_file("_includes.rs")
        .compile_fds_with_config(fds, config)?;
    gate_emulator_protos(&out_dir.join("_includes.rs"))?;
    Ok(())
}

/// The emulator's own protos (`livestream.emulator.v1`: the admin service and the persisted
/// state) share the compiler run and the descriptor set with the API, but only the `emulator`
/// feature uses them: without it their messages would be dead code (warnings) and compile
/// time in every build. So their module in the include file gets that feature's cfg.
fn gate_emulator_protos(includes: &std::path::Path) -> Result<(), BoxError> {
    const MODULE: &str = "\npub mod livestream {\n";
    const GATED: &str = "\n#[cfg(feature = \"emulator\")]\npub mod livestream {\n";
    let text = std::fs::read_to_string(includes)?;
    if text.contains(GATED) {
        return Ok(());
    }
    if text.matches(MODULE).count() != 1 {
        return Err(format!(
            "{}: expected one top-level `pub mod livestream` (the emulator's protos)",
            includes.display()
        )
        .into());
    }
    write_if_changed(includes, text.replacen(MODULE, GATED, 1).as_bytes())
}

/// Writes only when the content differs, so an unchanged output does not invalidate the crate.
fn write_if_changed(path: &std::path::Path, content: &[u8]) -> Result<(), BoxError> {
    if std::fs::read(path).ok().as_deref() != Some(content) {
        std::fs::write(path, content)?;
    }
    Ok(())
}

/// Rust path of a proto message, as written inside the exported macros (`$crate`).
fn rust_type(full_name: &str) -> Result<String, BoxError> {
    let prefixes = [
        ("google.cloud.video.livestream.v1.", "$crate::v1::"),
        ("google.longrunning.", "$crate::longrunning::"),
        ("google.cloud.location.", "$crate::location::"),
    ];
    if full_name == "google.protobuf.Empty" {
        return Ok("()".to_owned());
    }
    for (proto, rust) in prefixes {
        if let Some(rest) = full_name.strip_prefix(proto)
            && !rest.contains('.')
        {
            return Ok(format!("{rust}{rest}"));
        }
    }
    Err(format!("no Rust path known for proto type {full_name}").into())
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn extension_message(
    pool: &DescriptorPool,
    options: &DynamicMessage,
    name: &str,
) -> Option<DynamicMessage> {
    let ext = pool.get_extension_by_name(name)?;
    if !options.has_extension(&ext) {
        return None;
    }
    match options.get_extension(&ext).as_ref() {
        Value::Message(m) => Some(m.clone()),
        _ => None,
    }
}

fn string_field(message: &DynamicMessage, field: &str) -> String {
    message
        .get_field_by_name(field)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
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

/// Resolves a type named in `operation_info` (which may be unqualified) to its full name.
fn resolve_type(pool: &DescriptorPool, package: &str, name: &str) -> Result<String, BoxError> {
    for candidate in [format!("{package}.{name}"), name.to_owned()] {
        if pool.get_message_by_name(&candidate).is_some() {
            return Ok(candidate);
        }
    }
    Err(format!("operation_info names unknown type {name}").into())
}

/// The leading comment of a method, from the source info, as one paragraph-preserving string.
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

/// The `*_id` field of a Create request (`channel_id`, ...), if any.
fn resource_id_field(request: &MessageDescriptor) -> String {
    request
        .fields()
        .map(|f| f.name().to_owned())
        .find(|n| n.ends_with("_id") && n != "request_id")
        .unwrap_or_default()
}

/// Builds the `api_surface.rs` macro tables. Each `for_each_rpc!` entry is:
///
/// ```text
/// [ Service, "/pkg.Service/Rpc", Rpc, rpc_method, RequestType, ResponseType,
///   kind { .. }, "routing.field", retry_class, has_request_id, "id_field", "doc" ]
/// ```
///
/// where `kind` is `unary {}`, `lro { ResultType, MetadataType }` or
/// `list { item_field, ItemType }`, and `retry_class` is `read` (Get and List methods, which
/// the service config retries on UNAVAILABLE) or `write`.
fn api_surface(
    pool: &DescriptorPool,
    fds: &prost_types::FileDescriptorSet,
) -> Result<String, BoxError> {
    let mut rpcs = String::new();
    let mut count_by_service = BTreeMap::new();
    for service_name in SERVICES {
        let service = pool
            .get_service_by_name(service_name)
            .ok_or_else(|| format!("service {service_name} not found"))?;
        let short = service.name().to_owned();
        for method in service.methods() {
            let input = method.input();
            let output = method.output();
            let request = rust_type(input.full_name())?;
            let response = rust_type(output.full_name())?;
            let kind = if let Some(info) =
                extension_message(pool, &method.options(), "google.longrunning.operation_info")
            {
                let package = service.package_name();
                let result = resolve_type(pool, package, &string_field(&info, "response_type"))?;
                let metadata = resolve_type(pool, package, &string_field(&info, "metadata_type"))?;
                format!(
                    "lro {{ {}, {} }}",
                    rust_type(&result)?,
                    rust_type(&metadata)?
                )
            } else if let Some((field, item)) = list_item(&output) {
                format!("list {{ {field}, {} }}", rust_type(&item)?)
            } else {
                "unary {}".to_owned()
            };
            // WaitOperation has no HTTP binding; it routes on `name` like its siblings.
            let routing = if method.name() == "WaitOperation" {
                "name".to_owned()
            } else {
                routing_field(pool, &method)?
            };
            let retry = if method.name().starts_with("Get") || method.name().starts_with("List") {
                "read"
            } else {
                "write"
            };
            let _ = writeln!(
                rpcs,
                "        [ {short}, \"/{service_name}/{rpc}\", {rpc}, {snake}, {request}, {response}, {kind}, \"{routing}\", {retry}, {request_id}, \"{id}\", {doc:?} ]",
                rpc = method.name(),
                snake = snake_case(method.name()),
                request_id = has_field(&input, "request_id"),
                id = resource_id_field(&input),
                doc = method_comment(fds, &method),
            );
            *count_by_service.entry(short.clone()).or_insert(0usize) += 1;
        }
    }

    let mut resources = String::new();
    for message in pool.all_messages() {
        if let Some(res) = extension_message(pool, &message.options(), "google.api.resource") {
            let ty = string_field(&res, "type");
            if let Some(Value::List(patterns)) = res.get_field_by_name("pattern").as_deref() {
                for p in patterns {
                    let _ = writeln!(
                        resources,
                        "        [ {:?}, {:?}, {:?} ]",
                        ty,
                        p.as_str().unwrap_or_default(),
                        message.full_name()
                    );
                }
            }
        }
    }
    for file in pool.files() {
        if let Some(Value::List(defs)) =
            extension_list(pool, &file.options(), "google.api.resource_definition")
        {
            for def in defs {
                if let Value::Message(def) = def {
                    let ty = string_field(&def, "type");
                    if let Some(Value::List(patterns)) = def.get_field_by_name("pattern").as_deref()
                    {
                        for p in patterns {
                            let _ = writeln!(
                                resources,
                                "        [ {:?}, {:?}, \"\" ]",
                                ty,
                                p.as_str().unwrap_or_default()
                            );
                        }
                    }
                }
            }
        }
    }

    let bindings = rpc_bindings(pool, fds)?;
    let counts = count_by_service
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(format!(
        "// Generated by build.rs from the proto annotations. RPCs per service: {counts}.\n\
         /// Calls `$m!` with one entry per RPC of the three services (see build.rs for the format).\n\
         #[doc(hidden)]\n\
         #[macro_export]\n\
         macro_rules! for_each_rpc {{\n    ($m:ident) => {{\n        $m! {{\n{rpcs}        }}\n    }};\n}}\n\
         /// Calls `$m!` with `[ resource type, pattern, message ]` for every `google.api.resource`\n\
         /// and `google.api.resource_definition` in the compiled protos.\n\
         #[doc(hidden)]\n\
         #[macro_export]\n\
         macro_rules! for_each_resource_pattern {{\n    ($m:ident) => {{\n        $m! {{\n{resources}        }}\n    }};\n}}\n{bindings}"
    ))
}

fn extension_list(pool: &DescriptorPool, options: &DynamicMessage, name: &str) -> Option<Value> {
    let ext = pool.get_extension_by_name(name)?;
    if !options.has_extension(&ext) {
        return None;
    }
    Some(options.get_extension(&ext).into_owned())
}

/// A resource name pattern, split into literal collection segments and `{variable}`s.
struct NamePattern {
    /// `Channel` for `livestream.googleapis.com/Channel`.
    kind: String,
    /// The `google.api.resource` type, or a description for the built-in patterns.
    resource_type: String,
    pattern: String,
    /// `Some("foo")` for a literal segment, `None` for a variable (named in `vars`).
    segments: Vec<Option<String>>,
    vars: Vec<String>,
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

    fn type_name(&self) -> String {
        format!("{}Name", self.kind)
    }
}

/// Every resource name pattern: the `google.api.resource` and `resource_definition`
/// annotations, plus the project, location and operation patterns the API uses without
/// declaring them.
fn name_patterns(pool: &DescriptorPool) -> Vec<NamePattern> {
    // Patterns the protos use without declaring them as resources.
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
    for message in pool.all_messages() {
        if let Some(res) = extension_message(pool, &message.options(), "google.api.resource") {
            let ty = string_field(&res, "type");
            if let Some(Value::List(list)) = res.get_field_by_name("pattern").as_deref() {
                for p in list {
                    patterns.push(NamePattern::new(&ty, p.as_str().unwrap_or_default()));
                }
            }
        }
    }
    for file in pool.files() {
        if let Some(Value::List(defs)) =
            extension_list(pool, &file.options(), "google.api.resource_definition")
        {
            for def in defs.iter().filter_map(|d| d.as_message()) {
                let ty = string_field(def, "type");
                if let Some(Value::List(list)) = def.get_field_by_name("pattern").as_deref() {
                    for p in list {
                        patterns.push(NamePattern::new(&ty, p.as_str().unwrap_or_default()));
                    }
                }
            }
        }
    }
    patterns
}

/// Rust source for one typed name per resource pattern (`ChannelName`, `EventName`, ...):
/// struct, constructor, accessors, parent, child constructors, `Display`/`FromStr` over the
/// hand-written helpers in `src/names.rs`.
fn resource_names(pool: &DescriptorPool) -> Result<String, BoxError> {
    let patterns = name_patterns(pool);

    let mut out = String::from("// Generated by build.rs from the google.api.resource patterns.\n");
    for p in &patterns {
        let ty = p.type_name();
        // The parent: the pattern without its last collection/variable pair, if that is itself a pattern.
        let parent = p
            .pattern
            .rsplitn(3, '/')
            .nth(2)
            .and_then(|prefix| patterns.iter().find(|q| q.pattern == prefix));
        let last = p.vars.last().ok_or("pattern without variables")?;
        let fields: String = p
            .vars
            .iter()
            .map(|v| format!("    {v}: String,\n"))
            .collect();
        let args: String = p
            .vars
            .iter()
            .map(|v| format!("{v}: impl Into<String>"))
            .collect::<Vec<_>>()
            .join(", ");
        let checks: String = p
            .vars
            .iter()
            .map(|v| format!("        let {v} = {v}.into();\n        check_segment(PATTERN_{ty_upper}, \"{v}\", &{v})?;\n", ty_upper = p.kind.to_uppercase()))
            .collect();
        let field_list = p.vars.join(", ");
        let getters: String = p
            .vars
            .iter()
            .map(|v| format!("    /// The `{{{v}}}` segment.\n    pub fn {v}(&self) -> &str {{\n        &self.{v}\n    }}\n"))
            .collect();
        let mut display_fmt = String::new();
        let mut display_args = Vec::new();
        for seg in &p.segments {
            if !display_fmt.is_empty() {
                display_fmt.push('/');
            }
            match seg {
                Some(lit) => display_fmt.push_str(lit),
                None => {
                    display_fmt.push_str("{}");
                    display_args.push(format!("self.{}", p.vars[display_args.len()]));
                }
            }
        }
        let parse_fields: String = p
            .vars
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{v}: values[{i}].to_owned(), "))
            .collect();
        let upper = p.kind.to_uppercase();
        let _ = write!(
            out,
            r#"
const PATTERN_{upper}: &str = "{pattern}";

/// A typed `{resource_type}` name: `{pattern}`.
///
/// Parse one with [`str::parse`] (the error shows the expected pattern) or build one with
/// [`{ty}::new`]; IDs are checked with the server's rules, so a bad name fails before any
/// request is sent. `Display` gives the canonical string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct {ty} {{
{fields}}}

impl {ty} {{
    /// The pattern this name follows.
    pub const PATTERN: &'static str = PATTERN_{upper};

    /// Builds the name from its segments, checking each one.
    pub fn new({args}) -> Result<Self, NameError> {{
{checks}        Ok(Self {{ {field_list} }})
    }}

{getters}
    /// The last segment: the resource's own ID.
    pub fn id(&self) -> &str {{
        &self.{last}
    }}
}}

impl std::fmt::Display for {ty} {{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
        write!(f, "{display_fmt}", {display_args})
    }}
}}

impl std::str::FromStr for {ty} {{
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {{
        let values = parse_pattern(PATTERN_{upper}, s)?;
        Ok(Self {{ {parse_fields} }})
    }}
}}

impl TryFrom<&str> for {ty} {{
    type Error = NameError;
    fn try_from(s: &str) -> Result<Self, NameError> {{
        s.parse()
    }}
}}

impl TryFrom<String> for {ty} {{
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {{
        s.parse()
    }}
}}

impl From<{ty}> for String {{
    fn from(name: {ty}) -> String {{
        name.to_string()
    }}
}}

impl From<&{ty}> for String {{
    fn from(name: &{ty}) -> String {{
        name.to_string()
    }}
}}

impl ResourceName for {ty} {{
    const PATTERN: &'static str = PATTERN_{upper};
    const RESOURCE_TYPE: &'static str = "{resource_type}";
}}
"#,
            pattern = p.pattern,
            resource_type = p.resource_type,
            display_args = display_args.join(", "),
        );
        if let Some(parent) = parent {
            let parent_ty = parent.type_name();
            let parent_fields: String = parent
                .vars
                .iter()
                .map(|v| format!("{v}: self.{v}.clone(), "))
                .collect();
            let inherited: String = parent
                .vars
                .iter()
                .map(|v| format!("self.{v}.clone(), "))
                .collect();
            let _ = write!(
                out,
                r#"
impl {ty} {{
    /// The parent `{parent_pattern}`.
    pub fn parent(&self) -> {parent_ty} {{
        {parent_ty} {{ {parent_fields} }}
    }}
}}

impl {parent_ty} {{
    /// The child `{pattern}` with this name as its parent, checking `{last}`.
    pub fn {last}(&self, {last}: impl Into<String>) -> Result<{ty}, NameError> {{
        {ty}::new({inherited}{last})
    }}
}}
"#,
                parent_pattern = parent.pattern,
                pattern = p.pattern,
            );
        }
    }
    let all: Vec<String> = patterns.iter().map(|p| p.type_name()).collect();
    let _ = writeln!(
        out,
        "\n/// Runs `$m!` with every generated name type.\n#[allow(unused_macros)]\nmacro_rules! for_each_name_type {{\n    ($m:ident) => {{ $m!({}); }};\n}}",
        all.join(", ")
    );
    Ok(out)
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

/// `"my-project"`, `"us-central1"`, `"my-dvr-session"`: example values for docs.
fn example_value(variable: &str) -> String {
    match variable {
        "project" => "my-project".to_owned(),
        "location" => "us-central1".to_owned(),
        other => format!("my-{}", other.replace('_', "-")),
    }
}

/// `(module, Ident)` of a message we compile: `("v1", "Channel")`.
fn module_and_ident(full_name: &str) -> Result<(String, String), BoxError> {
    let path = rust_type(full_name)?;
    let rest = path
        .strip_prefix("$crate::")
        .ok_or_else(|| format!("{full_name} is not a message of this crate"))?;
    let (module, ident) = rest
        .split_once("::")
        .ok_or_else(|| format!("{full_name} has no module"))?;
    Ok((module.to_owned(), ident.to_owned()))
}

/// `rpc_binding!`: a lookup macro with one arm per RPC, keyed by the RPC's name, giving what
/// the client needs beyond `for_each_rpc!` to validate and route a request: field
/// identifiers rather than strings, the typed name of the routing field, the resource body of
/// Create and Update requests, and example values for the docs.
///
/// `rpc_binding!(Rpc, callback, args..)` calls `callback! { args.. { req: module Ident,
/// route: { field } | { outer inner }, name: { NameType, "example" }, id: { field, "example" } | {},
/// request_id: { request_id } | {}, body: { field, module Ident } | {}, mask: { update_mask } | {},
/// unreachable: { unreachable } | {}, doc: "..." } }` (the doc is the proto comment, made
/// safe for rustdoc).
fn rpc_bindings(
    pool: &DescriptorPool,
    fds: &prost_types::FileDescriptorSet,
) -> Result<String, BoxError> {
    let patterns = name_patterns(pool);
    let mut arms = String::new();
    for service_name in SERVICES {
        let service = pool
            .get_service_by_name(service_name)
            .ok_or_else(|| format!("service {service_name} not found"))?;
        for method in service.methods() {
            let input = method.input();
            let routing = if method.name() == "WaitOperation" {
                "name".to_owned()
            } else {
                routing_field(pool, &method)?
            };
            // The mixins' own HTTP rules use generic paths (`operations/**`); the Live Stream
            // service configuration binds them to these patterns.
            let name_pattern = match (service.name(), method.name()) {
                ("Operations", "ListOperations") => {
                    pattern_for_path(&patterns, "projects/*/locations/*")
                }
                ("Operations", _) => {
                    pattern_for_path(&patterns, "projects/*/locations/*/operations/*")
                }
                _ => path_variables(pool, &method)
                    .iter()
                    .find_map(|(_, path)| pattern_for_path(&patterns, path)),
            }
            .ok_or_else(|| format!("{}: no resource name pattern for its path", method.name()))?;
            let mut vars = name_pattern.vars.iter();
            let example_name = name_pattern
                .segments
                .iter()
                .map(|segment| match segment {
                    Some(literal) => literal.clone(),
                    None => vars.next().map(|v| example_value(v)).unwrap_or_default(),
                })
                .collect::<Vec<_>>()
                .join("/");
            let (req_module, req_ident) = module_and_ident(input.full_name())?;
            let route = routing.replace('.', " ");
            let id_field = resource_id_field(&input);
            let id = if id_field.is_empty() {
                String::new()
            } else {
                format!(
                    "{id_field}, \"{}\"",
                    example_value(id_field.trim_end_matches("_id"))
                )
            };
            let request_id = if has_field(&input, "request_id") {
                "request_id"
            } else {
                ""
            };
            let body = input
                .fields()
                .find_map(|f| match f.kind() {
                    prost_reflect::Kind::Message(m)
                        if !f.is_list()
                            && extension_message(pool, &m.options(), "google.api.resource")
                                .is_some() =>
                    {
                        Some((f.name().to_owned(), m.full_name().to_owned()))
                    }
                    _ => None,
                })
                .map(|(field, ty)| {
                    module_and_ident(&ty)
                        .map(|(module, ident)| format!("{field}, {module} {ident}"))
                })
                .transpose()?
                .unwrap_or_default();
            let mask = if has_field(&input, "update_mask") {
                let (_, resource) = body.split_once(", ").ok_or("an update without a body")?;
                format!("update_mask, {resource}")
            } else {
                String::new()
            };
            let unreachable = if has_field(&method.output(), "unreachable") {
                "unreachable"
            } else {
                ""
            };
            let _ = writeln!(
                arms,
                "    ({rpc}, $m:ident, $($args:tt)*) => {{ $m! {{ $($args)* {{ req: {req_module} {req_ident}, route: {{ {route} }}, name: {{ {name_ty}, \"{example_name}\" }}, id: {{ {id} }}, request_id: {{ {request_id} }}, body: {{ {body} }}, mask: {{ {mask} }}, unreachable: {{ {unreachable} }}, doc: {doc:?} }} }} }};",
                rpc = method.name(),
                name_ty = name_pattern.type_name(),
                doc = rustdoc_text(&method_comment(fds, &method)),
            );
        }
    }
    Ok(format!(
        "/// Looks up one RPC's binding details by name (see build.rs, `rpc_bindings`).\n\
         #[doc(hidden)]\n\
         #[macro_export]\n\
         macro_rules! rpc_binding {{\n{arms}}}\n"
    ))
}

/// A proto comment as rustdoc: protobuf cross references (`[Text][pkg.Type.field]`) become
/// code spans, since rustdoc cannot resolve them; lines lose their leading space.
fn rustdoc_text(comment: &str) -> String {
    let mut out = String::new();
    let mut rest = comment;
    while let Some(start) = rest.find('[') {
        let tail = &rest[start..];
        let reference = tail.find("][").and_then(|mid| {
            let end = tail[mid + 2..].find(']')? + mid + 2;
            Some((&tail[1..mid], end))
        });
        match reference {
            Some((text, end)) if !text.contains('[') => {
                out.push_str(&rest[..start]);
                out.push('`');
                out.push_str(text);
                out.push('`');
                rest = &tail[end + 1..];
            }
            _ => {
                out.push_str(&rest[..=start]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out.lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n")
}
