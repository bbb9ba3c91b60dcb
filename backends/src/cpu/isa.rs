//! The host's instruction set as the CPU target's compilers use it: this
//! machine's ISA and features (as `cranelift-native` detects them),
//! optimising for speed, Cranelift's IR verifier in debug builds only
//! (it costs compile time, and the code generators are tested), and what
//! `cranelift-jit` needs (absolute addresses, no position-independent
//! code). Kernels address memory with 64-bit integers.

use cranelift_codegen::ir::types;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};

/// Why the host cannot be compiled for.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A setting the compilers need is refused.
    #[error("a code generator setting: {0}")]
    Setting(#[from] settings::SetError),
    /// Cranelift cannot generate code for this machine.
    #[error("{0}")]
    Unsupported(String),
}

/// The ISA both JIT compilers build their modules for.
pub(crate) fn host_isa() -> Result<OwnedTargetIsa, HostError> {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed")?;
    flags.set("enable_verifier", &cfg!(debug_assertions).to_string())?;
    flags.set("use_colocated_libcalls", "false")?;
    flags.set("is_pic", "false")?;
    let isa = cranelift_native::builder()
        .map_err(|message| HostError::Unsupported(message.to_owned()))?
        .finish(settings::Flags::new(flags))
        .map_err(|error| HostError::Unsupported(error.to_string()))?;
    if isa.pointer_type() != types::I64 {
        return Err(HostError::Unsupported(format!(
            "{} is not a 64-bit target",
            isa.triple()
        )));
    }
    Ok(isa)
}
