//! The table of every RPC the emulator serves, expanded from `for_each_rpc!` (read off the
//! protos by build.rs): indexes for call counts and fault scripts, and name resolution for
//! the control API.

/// One RPC: its short name, gRPC path, and retry class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RpcInfo {
    pub(crate) name: &'static str,
    pub(crate) path: &'static str,
}

macro_rules! rpc_table {
    ($( [ $svc:ident, $path:literal, $rpc:ident, $snake:ident, $req:ty, $resp:ty,
          $kind:ident { $($k:tt)* }, $routing:literal, $class:ident, $rid:tt, $id:literal,
          $doc:literal ] )*) => {
        /// Every RPC the emulator serves, in table order (`as usize` indexes [`RPCS`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Rpc { $($rpc),* }

        /// The RPCs' names and paths, indexed by `Rpc as usize`.
        pub(crate) const RPCS: &[RpcInfo] = &[ $( RpcInfo { name: stringify!($rpc), path: $path } ),* ];
    };
}

for_each_rpc!(rpc_table);

/// The index of a method named by its short name (`GetChannel`) or full gRPC path
/// (`/google.cloud.video.livestream.v1.LivestreamService/GetChannel`, leading `/` optional).
pub(crate) fn resolve(method: &str) -> Option<usize> {
    let path = method.strip_prefix('/').unwrap_or(method);
    RPCS.iter()
        .position(|r| r.name == method || r.path.strip_prefix('/') == Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_resolve() {
        let i = resolve("GetChannel").unwrap();
        assert_eq!(RPCS[i].name, "GetChannel");
        assert_eq!(
            resolve("/google.cloud.video.livestream.v1.LivestreamService/GetChannel"),
            Some(i)
        );
        assert_eq!(
            resolve("google.longrunning.Operations/GetOperation").map(|i| RPCS[i].name),
            Some("GetOperation")
        );
        assert_eq!(resolve("NoSuchMethod"), None);
        assert_eq!(RPCS.len(), 41);
        assert_eq!(RPCS[Rpc::GetChannel as usize].name, "GetChannel");
    }
}
