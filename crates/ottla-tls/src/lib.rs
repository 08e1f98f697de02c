//! ottla-tls
#![forbid(unsafe_code)]
