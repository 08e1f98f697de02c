//! Handlers written for `lambda_runtime` run as they are (feature `lambda`): the function a
//! Lambda would get through `service_fn` gets each batch as `LambdaEvent<KafkaEvent>`
//! (`aws_lambda_events`' own type, read from Lambda's event JSON), with a context naming
//! the invocation; an `Err` fails the batch, and an answer with `batchItemFailures` names
//! failed records as it would for Lambda.

use std::fmt::Display;
use std::future::Future;

use aws_lambda_events::event::kafka::KafkaEvent;
use futures::future::BoxFuture;
use lambda_runtime::{Context, LambdaEvent};
use rand::Rng as _;
use serde::Serialize;

use super::event::{Batch, BatchResponse, Handler, HandlerError};
use crate::clock::now_ms;

/// How long a call may take, as the context's deadline says (Lambda's maximum, 15 min).
const DEADLINE_MS: i64 = 15 * 60 * 1_000;

/// Wraps a `lambda_runtime` handler function:
///
/// ```no_run
/// # async fn run(config: ottla::processor::ProcessorConfig) -> Result<(), Box<dyn std::error::Error>> {
/// use aws_lambda_events::event::kafka::KafkaEvent;
/// use lambda_runtime::{Error, LambdaEvent};
///
/// async fn function(event: LambdaEvent<KafkaEvent>) -> Result<serde_json::Value, Error> {
///     for (partition, records) in &event.payload.records {
///         println!("{partition}: {} records", records.len());
///     }
///     Ok(serde_json::json!({}))
/// }
///
/// let processor = ottla::processor::Processor::new(
///     config,
///     ottla::processor::lambda_handler(function, "my-function"),
/// )
/// .await?;
/// # Ok(()) }
/// ```
pub fn lambda_handler<F, Fut, R, E>(function: F, function_arn: &str) -> impl Handler
where
    F: Fn(LambdaEvent<KafkaEvent>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: Serialize + Send + 'static,
    E: Display + Send + 'static,
{
    LambdaHandler {
        function,
        arn: function_arn.to_owned(),
    }
}

struct LambdaHandler<F> {
    function: F,
    arn: String,
}

impl<F, Fut, R, E> Handler for LambdaHandler<F>
where
    F: Fn(LambdaEvent<KafkaEvent>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    R: Serialize + Send + 'static,
    E: Display + Send + 'static,
{
    fn call(&self, batch: Batch) -> BoxFuture<'static, Result<BatchResponse, HandlerError>> {
        let payload: Result<KafkaEvent, _> = batch.event_as();
        let mut context = Context::default();
        context.request_id = uuid::Builder::from_random_bytes(rand::rng().random())
            .into_uuid()
            .to_string();
        context.deadline = u64::try_from(now_ms() + DEADLINE_MS).unwrap_or(0);
        context.invoked_function_arn = self.arn.clone();
        let call = payload.map(|p| (self.function)(LambdaEvent::new(p, context)));
        Box::pin(async move {
            let answer = call
                .map_err(|e| HandlerError::new("Runtime.InvalidEvent", e.to_string()))?
                .await
                .map_err(|e| HandlerError::new("Unhandled", e.to_string()))?;
            let body = serde_json::to_vec(&answer)
                .map_err(|e| HandlerError::new("Runtime.SerializationError", e.to_string()))?;
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(v) if v.get("batchItemFailures").is_some() => {
                    BatchResponse::from_lambda_json(&body, batch.records())
                }
                _ => Ok(BatchResponse::success()),
            }
        })
    }
}
