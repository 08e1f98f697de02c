//! Whether this CPU can run graviola, the default pure-Rust crypto provider.
//!
//! graviola asserts its CPU requirements and panics when they are not met; checking first
//! turns that into a typed error ([`ConnectError::UnsupportedCpu`]).

use crate::error::ConnectError;

#[cfg(any(target_arch = "x86_64", test))]
/// The features graviola 0.4 requires on x86_64 (`graviola::low::x86_64::cpu::is_cpu_supported`).
pub(crate) const X86_64_REQUIRED: &[&str] = &["aes", "pclmulqdq", "bmi1", "adx", "avx", "avx2"];

#[cfg(any(target_arch = "aarch64", test))]
/// The features graviola 0.4 requires on aarch64 (`graviola::low::aarch64::cpu::is_cpu_supported`).
pub(crate) const AARCH64_REQUIRED: &[&str] = &["neon", "aes", "pmull", "sha2"];

/// The features of `required` that `probe` says are absent, in order.
pub(crate) fn missing_features(
    required: &'static [&'static str],
    probe: impl Fn(&str) -> bool,
) -> Vec<&'static str> {
    required.iter().copied().filter(|f| !probe(f)).collect()
}

/// Runtime detection for the features named in the lists above.
#[cfg(target_arch = "x86_64")]
fn detected(feature: &str) -> bool {
    match feature {
        "aes" => std::arch::is_x86_feature_detected!("aes"),
        "pclmulqdq" => std::arch::is_x86_feature_detected!("pclmulqdq"),
        "bmi1" => std::arch::is_x86_feature_detected!("bmi1"),
        "adx" => std::arch::is_x86_feature_detected!("adx"),
        "avx" => std::arch::is_x86_feature_detected!("avx"),
        "avx2" => std::arch::is_x86_feature_detected!("avx2"),
        _ => false,
    }
}

/// Runtime detection for the features named in the lists above.
#[cfg(target_arch = "aarch64")]
fn detected(feature: &str) -> bool {
    match feature {
        "neon" => std::arch::is_aarch64_feature_detected!("neon"),
        "aes" => std::arch::is_aarch64_feature_detected!("aes"),
        "pmull" => std::arch::is_aarch64_feature_detected!("pmull"),
        "sha2" => std::arch::is_aarch64_feature_detected!("sha2"),
        _ => false,
    }
}

/// Turns the missing features for `arch` into a result.
pub(crate) fn check(
    arch: &'static str,
    required: &'static [&'static str],
    probe: impl Fn(&str) -> bool,
) -> Result<(), ConnectError> {
    let missing = missing_features(required, probe);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ConnectError::UnsupportedCpu {
            provider: "graviola",
            arch,
            missing,
        })
    }
}

/// Checks that this CPU has every feature graviola needs.
#[cfg(target_arch = "x86_64")]
pub(crate) fn check_graviola() -> Result<(), ConnectError> {
    check("x86_64", X86_64_REQUIRED, detected)
}

/// Checks that this CPU has every feature graviola needs.
#[cfg(target_arch = "aarch64")]
pub(crate) fn check_graviola() -> Result<(), ConnectError> {
    check("aarch64", AARCH64_REQUIRED, detected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_present_passes() {
        assert!(check("x86_64", X86_64_REQUIRED, |_| true).is_ok());
        assert!(check("aarch64", AARCH64_REQUIRED, |_| true).is_ok());
    }

    #[test]
    fn missing_features_are_listed_in_order() {
        let e = check("x86_64", X86_64_REQUIRED, |f| f != "adx" && f != "avx2").unwrap_err();
        match &e {
            ConnectError::UnsupportedCpu { missing, arch, .. } => {
                assert_eq!(missing, &["adx", "avx2"]);
                assert_eq!(*arch, "x86_64");
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = e.to_string();
        assert!(
            text.contains("adx, avx2") && text.contains("ring"),
            "{text}"
        );
    }

    #[test]
    fn old_aarch64_without_crypto_extensions() {
        let missing = missing_features(AARCH64_REQUIRED, |f| f == "neon");
        assert_eq!(missing, ["aes", "pmull", "sha2"]);
    }

    #[test]
    fn probe_only_answers_known_names() {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        assert!(!detected("no-such-feature"));
    }

    /// The tests of this crate run graviola, so the machine running them must pass the check.
    #[test]
    fn this_machine_is_supported() {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        check_graviola().unwrap();
    }
}
