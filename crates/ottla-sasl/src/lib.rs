//! ottla-sasl
#![forbid(unsafe_code)]
