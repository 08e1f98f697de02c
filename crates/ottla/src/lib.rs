#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod admin;
pub mod basic;
mod client;
mod clock;
pub mod cluster;
pub mod config;
pub mod connection;
pub mod consumer;
mod error;
pub mod group;
pub mod partitioner;
pub mod processor;
pub mod producer;
mod security;
pub mod stats;

pub use client::Client;
pub use config::{ClientConfig, ClientConfigBuilder, ConfigError, Properties};
pub use error::{BlockedOn, ConnectionError, Error};
pub use ottla_aws as aws;
pub use ottla_protocol as protocol;
pub use ottla_sasl as sasl;
pub use producer::{Producer, ProducerConfig, ProducerRecord};
pub use security::AwsSetup;
