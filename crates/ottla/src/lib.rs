//! ottla
#![forbid(unsafe_code)]
