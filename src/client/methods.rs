//! The 41 RPCs, derived from the API surface tables that build.rs reads off the proto
//! annotations: `for_each_rpc!` drives the expansion, and `rpc_binding!` (looked up by RPC
//! name) adds the field identifiers, typed names and examples. For each RPC this expands
//!
//! - a [`Method`] variant (name, gRPC path, routing field, kind, retry class);
//! - an [`Rpc`] impl on the request type: routing value, local validation of the routing
//!   name against its pattern, of the `*_id` field, of a caller's `request_id` and of the
//!   update mask, access to `request_id`, and the output (a response, an
//!   [`Operation`](crate::Operation), or a page);
//! - [`ListRpc`] or [`LroRpc`] where they apply;
//! - `From<&Name>` (and `From<Name>`) for requests that need nothing but their name;
//! - the documented `Client` method, with an example that compiles.

use prost_types::FieldMask;

use super::{Call, Client};
use crate::error::{Error, ErrorKind};
use crate::field_mask::{Updatable, validate_paths};
use crate::names::{ResourceName, check_pattern, validate_resource_id};
use crate::policy::RetryClass;

mod sealed {
    pub trait Sealed {}
}

/// What an RPC returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MethodKind {
    /// A plain response message.
    Unary,
    /// A `google.longrunning.Operation`, wrapped in an [`Operation`](crate::Operation).
    LongRunning,
    /// A page of a list, which [`Call::by_page`] and [`Call::by_item`] follow.
    List,
}

/// A request message of one of the 41 RPCs, and what the client knows about that RPC.
/// Implemented for every request type of the API (and only for them).
pub trait Rpc:
    prost::Message + Default + Clone + Send + Sync + Unpin + Sized + 'static + sealed::Sealed
{
    /// The response message.
    type Response: prost::Message + Default + Send + Sync + 'static;
    /// What awaiting a [`Call`] gives: the response, an
    /// [`Operation`](crate::Operation), or (for List methods) the page.
    type Output: Send + 'static;
    /// The RPC.
    const METHOD: Method;

    /// The value of the routing field (`name`, `parent`, `channel.name`, ...).
    fn routing_value(&self) -> &str;

    /// Checks the request as the service would, before anything is sent: the routing name
    /// against its pattern, the `*_id` field against the ID rule, a `request_id` set by the
    /// caller (a non-nil UUID), and the update mask (normalized to snake_case).
    fn validate(&mut self) -> Result<(), Error>;

    /// The `request_id` field, for the 20 requests that have one.
    fn request_id_mut(&mut self) -> Option<&mut String>;

    #[doc(hidden)]
    fn into_output(client: &Client, response: Self::Response) -> Result<Self::Output, Error>;
}

/// A List RPC: how to page through it.
pub trait ListRpc: Rpc {
    /// The listed resource.
    type Item: Send + Unpin + 'static;

    /// The request's `page_token`.
    fn page_token(&self) -> &str;

    /// The request's `page_token`, to set it.
    fn page_token_mut(&mut self) -> &mut String;

    /// Takes the items out of a page.
    fn take_items(response: &mut Self::Response) -> Vec<Self::Item>;

    /// The page's `next_page_token` (empty on the last page).
    fn next_page_token(response: &Self::Response) -> &str;

    /// The page's `unreachable` locations (empty when the response has no such field).
    fn unreachable(response: &Self::Response) -> &[String];
}

/// A long-running RPC: its result and metadata types.
pub trait LroRpc: Rpc<Response = crate::longrunning::Operation> {
    /// The result (`()` for deletes, which return `google.protobuf.Empty`).
    type Result: prost::Message + prost::Name + Default + Send + 'static;
    /// The metadata (`OperationMetadata`).
    type Metadata: prost::Message + prost::Name + Default + Send + 'static;
}

fn check_name<N: ResourceName>(field: &str, value: &str) -> Result<(), Error> {
    check_pattern(N::PATTERN, value)
        .map_err(|e| Error::local(ErrorKind::InvalidName, format!("`{field}`: {e}")).with_source(e))
}

fn check_id(field: &str, value: &str) -> Result<(), Error> {
    validate_resource_id(value)
        .map_err(|e| Error::local(ErrorKind::InvalidId, format!("`{field}`: {e}")).with_source(e))
}

/// An empty `request_id` is filled by the client; one set by the caller must be a valid,
/// non-nil UUID (the service's rule).
fn check_request_id(value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Ok(());
    }
    match uuid::Uuid::parse_str(value) {
        Ok(id) if !id.is_nil() => Ok(()),
        _ => Err(Error::local(
            ErrorKind::InvalidRequest,
            format!("`request_id` {value:?} must be a valid UUID other than the nil UUID"),
        )),
    }
}

fn check_mask<M: Updatable>(mask: &mut Option<FieldMask>) -> Result<(), Error> {
    match mask {
        Some(mask) if !mask.paths.is_empty() => {
            mask.paths = validate_paths::<M>(&mask.paths)?;
            Ok(())
        }
        _ if M::MASK_REQUIRED => Err(Error::local(
            ErrorKind::InvalidFieldMask,
            format!(
                "`update_mask` is required when updating a {}; updatable fields: {}",
                M::NAME,
                M::UPDATABLE_PATHS.join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

/// Expands the whole API surface from `for_each_rpc!`.
macro_rules! define_api {
    ($( [ $svc:ident, $path:literal, $rpc:ident, $method:ident, $req:ty, $resp:ty,
          $kind:ident { $($k:tt)* }, $routing:literal, $class:ident, $rid:tt, $id:literal,
          $doc:literal ] )*) => {
        /// Every RPC of the Live Stream service and its Operations and Locations mixins.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Method {
            $( #[doc = concat!("`", $path, "`")] $rpc, )*
        }

        impl Method {
            /// Every method, in the order of the protos.
            pub const ALL: &'static [Method] = &[ $( Method::$rpc, )* ];

            /// The RPC's name (`"GetChannel"`).
            pub const fn name(self) -> &'static str {
                match self { $( Method::$rpc => stringify!($rpc), )* }
            }

            /// The gRPC path (`"/google.cloud.video.livestream.v1.LivestreamService/GetChannel"`).
            pub const fn path(self) -> &'static str {
                match self { $( Method::$rpc => $path, )* }
            }

            /// The service (`"LivestreamService"`, `"Operations"` or `"Locations"`).
            pub const fn service(self) -> &'static str {
                match self { $( Method::$rpc => stringify!($svc), )* }
            }

            /// The request field sent in `x-goog-request-params` (`"name"`, `"parent"`,
            /// `"channel.name"`, ...).
            pub const fn routing_field(self) -> &'static str {
                match self { $( Method::$rpc => $routing, )* }
            }

            /// What the RPC returns.
            pub const fn kind(self) -> MethodKind {
                match self { $( Method::$rpc => define_api!(@kind $kind), )* }
            }

            /// Whether the request has a `request_id` field (filled by the client when empty).
            pub const fn has_request_id(self) -> bool {
                match self { $( Method::$rpc => $rid, )* }
            }

            /// How the RPC is retried by default.
            pub const fn retry_class(self) -> RetryClass {
                match self { $( Method::$rpc => define_api!(@class $class $rid), )* }
            }
        }

        $(
            rpc_binding!($rpc, define_rpc,
                [ $rpc, $method, $req, $resp, $kind { $($k)* }, $class, $rid ]);
        )*
    };
    (@kind unary) => { MethodKind::Unary };
    (@kind lro) => { MethodKind::LongRunning };
    (@kind list) => { MethodKind::List };
    (@class read $rid:tt) => { RetryClass::Read };
    (@class write true) => { RetryClass::IdempotentWrite };
    (@class write false) => { RetryClass::Write };
}

/// One RPC: the `for_each_rpc!` entry followed by its `rpc_binding!` details.
macro_rules! define_rpc {
    // Requests that need nothing but their name: `From<&Name>`, and `&name` in the example.
    ( [ $rpc:ident, $method:ident, $req:ty, $resp:ty, $kind:ident { $($k:tt)* }, $class:ident, $rid:tt ]
      { req: $rmod:ident $rident:ident, route: { $field:ident }, name: { $name:ident, $ex:literal },
        id: { }, request_id: { $($rid_field:ident)? }, body: { }, mask: { },
        unreachable: { $($unr:ident)? }, doc: $doc:literal } ) => {
        impl From<&crate::names::$name> for $req {
            fn from(name: &crate::names::$name) -> Self {
                Self { $field: name.to_string(), ..Default::default() }
            }
        }
        impl From<crate::names::$name> for $req {
            fn from(name: crate::names::$name) -> Self {
                Self::from(&name)
            }
        }
        define_rpc!(@rpc $rpc, $method, $req, $resp, $kind { $($k)* },
            route { $field }, name $name, id { }, request_id { $($rid_field)? },
            mask { }, unreachable { $($unr)? }, doc $doc, arg "&name", class $class $rid,
            setup [
                concat!("let name: livestream_grpc::names::", stringify!($name), " = \"", $ex, "\".parse()?;")
            ]);
    };
    // Create requests: parent, ID and resource.
    ( [ $rpc:ident, $method:ident, $req:ty, $resp:ty, $kind:ident { $($k:tt)* }, $class:ident, $rid:tt ]
      { req: $rmod:ident $rident:ident, route: { $field:ident }, name: { $name:ident, $ex:literal },
        id: { $id:ident, $idex:literal }, request_id: { $($rid_field:ident)? },
        body: { $body:ident, $bmod:ident $bty:ident }, mask: { },
        unreachable: { $($unr:ident)? }, doc: $doc:literal } ) => {
        define_rpc!(@rpc $rpc, $method, $req, $resp, $kind { $($k)* },
            route { $field }, name $name, id { $id }, request_id { $($rid_field)? },
            mask { }, unreachable { $($unr)? }, doc $doc, arg "request", class $class $rid,
            setup [
                concat!("use livestream_grpc::", stringify!($rmod), "::", stringify!($rident), ";"),
                concat!("use livestream_grpc::", stringify!($bmod), "::", stringify!($bty), ";"),
                "",
                concat!("let parent: livestream_grpc::names::", stringify!($name), " = \"", $ex, "\".parse()?;"),
                concat!("let request = ", stringify!($rident), " {"),
                concat!("    ", stringify!($field), ": parent.to_string(),"),
                concat!("    ", stringify!($id), ": \"", $idex, "\".into(),"),
                concat!("    ", stringify!($body), ": Some(", stringify!($bty), " {"),
                "        // the new resource's settings",
                "        ..Default::default()",
                "    }),",
                "    ..Default::default()",
                "};"
            ]);
    };
    // Update requests: the resource (routed on its name) and an update mask.
    ( [ $rpc:ident, $method:ident, $req:ty, $resp:ty, $kind:ident { $($k:tt)* }, $class:ident, $rid:tt ]
      { req: $rmod:ident $rident:ident, route: { $outer:ident $inner:ident }, name: { $name:ident, $ex:literal },
        id: { }, request_id: { $($rid_field:ident)? },
        body: { $body:ident, $bmod:ident $bty:ident }, mask: { $mask:ident, $mmod:ident $mty:ident },
        unreachable: { $($unr:ident)? }, doc: $doc:literal } ) => {
        define_rpc!(@rpc $rpc, $method, $req, $resp, $kind { $($k)* },
            route { $outer $inner }, name $name, id { }, request_id { $($rid_field)? },
            mask { $mask, $mmod $mty }, unreachable { $($unr)? }, doc $doc, arg "request",
            class $class $rid,
            setup [
                "use livestream_grpc::field_mask::UpdateMask;",
                concat!("use livestream_grpc::", stringify!($rmod), "::", stringify!($rident), ";"),
                concat!("use livestream_grpc::", stringify!($bmod), "::", stringify!($bty), ";"),
                "",
                concat!("let name: livestream_grpc::names::", stringify!($name), " = \"", $ex, "\".parse()?;"),
                concat!("let ", stringify!($body), " = ", stringify!($bty), " {"),
                "    name: name.to_string(),",
                "    // the fields to change",
                "    ..Default::default()",
                "};",
                concat!("let request = ", stringify!($rident), " {"),
                concat!("    ", stringify!($mask), ": Some(UpdateMask::present(&", stringify!($body), ")?.into()),"),
                concat!("    ", stringify!($body), ": Some(", stringify!($body), "),"),
                "    ..Default::default()",
                "};"
            ]);
    };

    (@rpc $rpc:ident, $method:ident, $req:ty, $resp:ty, $kind:ident { $($k:tt)* },
        route { $($route:ident)+ }, name $name:ident, id { $($id:ident)? },
        request_id { $($rid_field:ident)? }, mask { $($mask:ident, $mmod:ident $mty:ident)? },
        unreachable { $($unr:ident)? }, doc $doc:literal, arg $arg:literal, class $class:ident $rid:tt,
        setup [ $($setup:expr),* ]) => {
        impl sealed::Sealed for $req {}

        impl Rpc for $req {
            type Response = $resp;
            type Output = define_rpc!(@output $kind { $($k)* } $resp);
            const METHOD: Method = Method::$rpc;

            fn routing_value(&self) -> &str {
                define_rpc!(@route self $($route)+)
            }

            fn validate(&mut self) -> Result<(), Error> {
                check_name::<crate::names::$name>(
                    Self::METHOD.routing_field(),
                    define_rpc!(@route self $($route)+),
                )?;
                $( check_id(stringify!($id), &self.$id)?; )?
                $( check_request_id(&self.$rid_field)?; )?
                $( check_mask::<crate::$mmod::$mty>(&mut self.$mask)?; )?
                Ok(())
            }

            fn request_id_mut(&mut self) -> Option<&mut String> {
                define_rpc!(@request_id self $($rid_field)?)
            }

            fn into_output(
                _client: &Client,
                response: Self::Response,
            ) -> Result<Self::Output, Error> {
                define_rpc!(@into_output $kind _client response)
            }
        }

        define_rpc!(@kind_impl $req, $kind { $($k)* }, unreachable { $($unr)? });

        impl Client {
            #[doc = $doc]
            #[doc = ""]
            #[doc = define_rpc!(@kind_doc $kind)]
            #[doc = ""]
            #[doc = define_rpc!(@class_doc $class $rid)]
            #[doc = ""]
            #[doc = concat!("The request's `", define_rpc!(@route_doc $($route)+), "` must be a [`",
                stringify!($name), "`](crate::names::", stringify!($name),
                "); this and the rest of the request are checked before anything is sent.")]
            #[doc = ""]
            #[doc = "# Example"]
            #[doc = ""]
            #[doc = "```no_run"]
            #[doc = "# async fn example(client: livestream_grpc::Client) -> Result<(), livestream_grpc::Error> {"]
            $( #[doc = $setup] )*
            #[doc = define_rpc!(@example_call $kind, $method, $arg, line 1)]
            #[doc = define_rpc!(@example_call $kind, $method, $arg, line 2)]
            #[doc = define_rpc!(@example_call $kind, $method, $arg, line 3)]
            #[doc = define_rpc!(@example_call $kind, $method, $arg, line 4)]
            #[doc = "# Ok(()) }"]
            #[doc = "```"]
            pub fn $method(&self, request: impl Into<$req>) -> Call<'_, $req> {
                Call::new(self, request.into())
            }
        }
    };

    (@output unary { } $resp:ty) => { $resp };
    (@output list { $items:ident, $item:ty } $resp:ty) => { $resp };
    (@output lro { $result:ty, $meta:ty } $resp:ty) => { crate::lro::Operation<$result, $meta> };

    (@into_output unary $client:ident $response:ident) => { Ok($response) };
    (@into_output list $client:ident $response:ident) => { Ok($response) };
    (@into_output lro $client:ident $response:ident) => {
        Ok(crate::lro::Operation::new($client.clone(), $response))
    };

    (@route $self:ident $field:ident) => { &$self.$field };
    (@route $self:ident $outer:ident $inner:ident) => {
        $self.$outer.as_ref().map_or("", |o| o.$inner.as_str())
    };
    (@route_doc $field:ident) => { stringify!($field) };
    (@route_doc $outer:ident $inner:ident) => { concat!(stringify!($outer), ".", stringify!($inner)) };

    (@request_id $self:ident $field:ident) => { Some(&mut $self.$field) };
    (@request_id $self:ident) => { None };

    (@kind_impl $req:ty, unary { }, unreachable { $($unr:ident)? }) => {};
    (@kind_impl $req:ty, lro { $result:ty, $meta:ty }, unreachable { $($unr:ident)? }) => {
        impl LroRpc for $req {
            type Result = $result;
            type Metadata = $meta;
        }
    };
    (@kind_impl $req:ty, list { $items:ident, $item:ty }, unreachable { $($unr:ident)? }) => {
        impl ListRpc for $req {
            type Item = $item;

            fn page_token(&self) -> &str {
                &self.page_token
            }

            fn page_token_mut(&mut self) -> &mut String {
                &mut self.page_token
            }

            fn take_items(response: &mut Self::Response) -> Vec<$item> {
                std::mem::take(&mut response.$items)
            }

            fn next_page_token(response: &Self::Response) -> &str {
                &response.next_page_token
            }

            fn unreachable(_response: &Self::Response) -> &[String] {
                define_rpc!(@unreachable _response $($unr)?)
            }
        }
    };
    (@unreachable $response:ident $field:ident) => { &$response.$field };
    (@unreachable $response:ident) => { &[] };

    (@kind_doc unary) => { "Returns the response message." };
    (@kind_doc lro) => {
        "Long-running: `.await` returns an [`Operation`](crate::Operation) as soon as the service \
         accepts the request; [`until_done`](crate::Operation::until_done) polls it (bounded, \
         30 minutes by default) and returns its typed result or its error."
    };
    (@kind_doc list) => {
        "Paged: `.await` returns one page; [`by_item`](Call::by_item) and \
         [`by_page`](Call::by_page) are `futures::Stream`s over every page, and \
         [`collect_items`](Call::collect_items) gathers them."
    };
    (@class_doc read $rid:tt) => {
        "Retried on `UNAVAILABLE` (at most 5 attempts, backoff 1 s ×1.3 up to 10 s, with \
         jitter), within a 60 s deadline, by default."
    };
    (@class_doc write true) => {
        "An empty `request_id` is filled with a fresh UUIDv4, reused on every attempt, so the \
         service ignores repeats: the call is therefore retried on `UNAVAILABLE` (at most 5 \
         attempts, backoff 1 s ×1.3 up to 10 s, with jitter) within a 60 s deadline, by \
         default. A `request_id` you set is kept (it must be a UUID)."
    };
    (@class_doc write false) => { "Not retried by default; 60 s deadline." };

    (@example_call unary, $method:ident, $arg:literal, line 1) => {
        concat!("let response = client.", stringify!($method), "(", $arg, ").await?;")
    };
    (@example_call unary, $method:ident, $arg:literal, line 2) => { "# let _ = response;" };
    (@example_call unary, $method:ident, $arg:literal, line $n:literal) => { "" };
    (@example_call lro, $method:ident, $arg:literal, line 1) => {
        concat!("let operation = client.", stringify!($method), "(", $arg, ").await?;")
    };
    (@example_call lro, $method:ident, $arg:literal, line 2) => {
        "println!(\"started {}\", operation.name());"
    };
    (@example_call lro, $method:ident, $arg:literal, line 3) => {
        "let result = operation.until_done().await?;"
    };
    (@example_call lro, $method:ident, $arg:literal, line 4) => { "# let _ = result;" };
    (@example_call list, $method:ident, $arg:literal, line 1) => {
        concat!("let mut items = client.", stringify!($method), "(", $arg, ").by_item();")
    };
    (@example_call list, $method:ident, $arg:literal, line 2) => {
        "while let Some(item) = items.next().await {"
    };
    (@example_call list, $method:ident, $arg:literal, line 3) => { "    let item = item?;" };
    (@example_call list, $method:ident, $arg:literal, line 4) => { "    # let _ = item;\n}" };
}

for_each_rpc!(define_api);
