//! Kafka's error codes.
