//! Prints the API surface compiled into this crate: every RPC of the Live Stream service and
//! its two mixins, with what the proto annotations say about it (LRO result type, list item,
//! routing field, default retry class, request_id).
//!
//! ```text
//! cargo run --example api_surface
//! ```

macro_rules! print_rpcs {
    ($( [ $svc:ident, $path:literal, $rpc:ident, $method:ident, $req:ty, $resp:ty, $kind:ident { $($k:tt)* },
          $routing:literal, $retry:ident, $rid:literal, $id:literal, $doc:literal ] )*) => {{
        println!("{:<18} {:<20} {:<14} {:<26} {:<6} {}", "service", "rpc", "routing", "kind", "retry", "request_id");
        let mut count = 0;
        $(
            count += 1;
            let kind = print_rpcs!(@kind $kind { $($k)* });
            println!(
                "{:<18} {:<20} {:<14} {:<26} {:<6} {}",
                stringify!($svc), stringify!($rpc), $routing, kind.trim(), stringify!($retry), $rid
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
