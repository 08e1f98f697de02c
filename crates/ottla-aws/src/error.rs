//! The error of this crate is ottla-sasl's [`AwsError`](ottla_sasl::aws::AwsError) (the
//! credential trait returns it); this module adds the helper that renders foreign errors.

pub use ottla_sasl::aws::AwsError;

/// An error and its sources, joined with `: ` (the AWS SDK's and signer's top-level messages
/// are generic; the cause is in the sources).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
