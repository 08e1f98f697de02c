//! ottla-mock
#![forbid(unsafe_code)]
