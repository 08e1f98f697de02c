//! Client properties from -b, -F and -X, split between the client and the command.

use ottla::config::{is_client_key, parse_properties_file, Properties};
use ottla::consumer::CONSUMER_KEYS;
use ottla::producer::PRODUCER_KEYS;
use ottla::{ClientConfig, ConfigError};

use crate::args::Cli;

/// Every property given, in order, a later one winning: the -F files, then -b, then every
/// -X (each kind as given: before the subcommand, then after it).
pub fn gather(cli: &Cli) -> Result<Properties, ConfigError> {
    let mut props = Properties::new();
    for path in &cli.properties_files {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            file: file.clone(),
            message: e.to_string(),
        })?;
        props.extend(parse_properties_file(&file, &text)?);
    }
    if let Some(b) = &cli.brokers {
        props.set("bootstrap.servers", b.clone());
    }
    for pair in &cli.properties {
        props.set_pair(pair)?;
    }
    Ok(props)
}

/// Takes the command's own keys out of `props`, then builds the client configuration from the
/// rest. Producer and consumer keys (a whole client.properties for a command that neither
/// produces nor consumes) and the Java client's or librdkafka's keys ottla does not use are
/// ignored with one warning; a key nobody knows is an error naming it.
pub fn client_config(
    props: &Properties,
    command_keys: &[&str],
) -> Result<ClientConfig, ConfigError> {
    let mut b = ClientConfig::builder();
    for (k, v) in props.iter() {
        if command_keys.contains(&k) {
            continue;
        }
        if !is_client_key(k) && (PRODUCER_KEYS.contains(&k) || CONSUMER_KEYS.contains(&k)) {
            b.ignore(k);
            continue;
        }
        b.set(k, v)?;
    }
    b.build()
}

/// A producer configuration from every property (client and producer keys, Kafka's or
/// librdkafka's names), then `overrides` on top; an unknown key is an error naming it.
pub fn producer_config(
    props: &Properties,
    overrides: &[(&str, &str)],
) -> Result<ottla::ProducerConfig, ConfigError> {
    let mut b = ottla::ProducerConfig::builder();
    for (k, v) in props.iter().chain(overrides.iter().copied()) {
        b.set(k, v)?;
    }
    b.build()
}
