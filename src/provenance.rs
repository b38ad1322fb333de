//! Which build and which model made a result: the version, the git commit (when built
//! from a checkout) and the model revision, a hash of the sources that decide what a run
//! simulates and reports (computed by build.rs, so it changes with every such change).

use serde::Serialize;

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Hash of src/model, src/handlespace, src/engine and src/scenario (16 hex digits).
pub const MODEL_REVISION: &str = env!("POOLSIM_MODEL_REVISION");

/// The git commit of the build (12 hex digits), empty when not built from a checkout.
pub const COMMIT: &str = env!("POOLSIM_COMMIT");

/// The identity of a build, as outputs record it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Identity {
    pub poolsim: &'static str,
    /// None when not built from a git checkout.
    pub commit: Option<&'static str>,
    pub model_revision: &'static str,
}

/// This build's identity.
pub fn identity() -> Identity {
    Identity { poolsim: VERSION, commit: (!COMMIT.is_empty()).then_some(COMMIT), model_revision: MODEL_REVISION }
}

/// `poolsim --version`: "0.1.0 (commit 754ff29fe7ff, model revision 1a2b...)".
pub fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let commit = if COMMIT.is_empty() { "not built from git".to_string() } else { format!("commit {COMMIT}") };
        format!("{VERSION} ({commit}, model revision {MODEL_REVISION})")
    })
}
