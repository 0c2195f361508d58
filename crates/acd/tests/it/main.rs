//! The engine's integration tests: scenarios per feature, and the randomised invariant run.

mod random;
mod scenarios;
