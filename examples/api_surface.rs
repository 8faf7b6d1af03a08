//! Prints the API surface compiled into this crate: every RPC of the Live Stream service and
//! its two mixins, with what the proto annotations say about it (LRO result type, list item,
//! routing field, default retry class, request_id).
//!
//! ```text
//! cargo run --example api_surface
//! ```

use livestream_grpc::methods::Request;

macro_rules! print_rpcs {
    ($( [ service: $svc:ident, rpc: $rpc:ident, method: $method:ident, request: $req:ty,
          response: $resp:ty, access: $access:ident, request_id: $rid:tt, kind: $kind:ident { $($k:tt)* }
          $($more:tt)* ] )*) => {{
        println!("{:<18} {:<20} {:<14} {:<26} {:<16} {}", "service", "rpc", "routing", "kind", "retry", "request_id");
        let mut count = 0;
        $(
            count += 1;
            let kind = print_rpcs!(@kind $kind { $($k)* });
            let method = <$req as Request>::METHOD;
            println!(
                "{:<18} {:<20} {:<14} {:<26} {:<16} {}",
                method.service(), method.name(), method.routing_field(), kind.trim(),
                format!("{:?}", method.retry_class()), method.has_request_id()
            );
        )*
        count
    }};
    (@kind lro { $result:ty, $metadata:ty }) => { format!("lro -> {}", short(stringify!($result))) };
    (@kind list { $field:ident, $item:ty }) => { format!("list of {}", short(stringify!($item))) };
    (@kind unary {}) => { String::from("unary") };
}

/// `$crate::v1::Channel` -> `Channel`; `()` stays `()` (google.protobuf.Empty).
fn short(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path).trim()
}

fn main() {
    let count = livestream_grpc::for_each_rpc!(print_rpcs);
    println!("\n{count} RPCs");
}
