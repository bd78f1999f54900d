//! netipc-shim-rust: the suite's shim for the netipc Rust crate (spec/shim-contract.md).
//!
//!   netipc-shim-rust server --run-dir D --service S --service-kind K [...]  (one READY line)
//!   netipc-shim-rust client --run-dir D --service S --service-kind K --scenario X [...]
//!   netipc-shim-rust codec                       (codec testee on stdin/stdout)
//!
//! Exit codes: 0 ok, 1 failure, 2 usage, 3 environment, 4 not supported, 5 rejected.

mod args;
mod client;
mod codec;
mod errors;
mod fixture;
mod handshake;
mod json;
mod l2;
mod link;
mod lookup;
mod server;

/// The crate revision this binary was built against (chosen by the build).
#[cfg(feature = "crate-0d17a9d")]
pub const REVISION: &str = "0d17a9d-era API";
#[cfg(not(feature = "crate-0d17a9d"))]
pub const REVISION: &str = "6d9ffc1-era API";

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("codec") {
        std::process::exit(codec::run());
    }
    // SAFETY: ignoring SIGPIPE so a vanished peer is an error value, not a signal.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let a = match args::parse(&argv) {
        Ok(a) => a,
        Err(m) => {
            eprintln!("netipc-shim-rust: {m}");
            eprintln!("usage: netipc-shim-rust server|client|codec --run-dir DIR --service NAME --service-kind KIND [...]");
            std::process::exit(2);
        }
    };
    let code = if a.role == "server" { server::run(&a) } else { client::run(&a) };
    std::process::exit(code);
}
