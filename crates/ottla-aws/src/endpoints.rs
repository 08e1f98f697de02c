//! Endpoint URLs of STS and Secrets Manager, as the AWS SDKs resolve them: a service-specific
//! override (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`), else the global
//! override `AWS_ENDPOINT_URL`, else the regional endpoint
//! `https://<service>.<region>.amazonaws.com` (`.amazonaws.com.cn` in the China regions).

use super::env::AwsEnv;
use super::error::AwsError;

/// `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else `https://sts.<region>.<suffix>`.
/// The answer is the URL to POST to (with a path, `/` when the endpoint has none).
pub fn sts_endpoint(env: &AwsEnv, region: &str) -> Result<String, AwsError> {
    resolve(env, "AWS_ENDPOINT_URL_STS", "sts", region)
}

/// `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL`, else
/// `https://secretsmanager.<region>.<suffix>`.
pub fn secrets_manager_endpoint(env: &AwsEnv, region: &str) -> Result<String, AwsError> {
    resolve(
        env,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "secretsmanager",
        region,
    )
}

/// The DNS suffix of `region`'s partition: `amazonaws.com.cn` for `cn-*`, else
/// `amazonaws.com`.
pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// Checks that `region` looks like an AWS region (`us-east-1`): lowercase letters, digits and
/// dashes, so it can go into a host name.
pub fn validate_region(region: &str) -> Result<(), AwsError> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(AwsError::Invalid {
            what: "AWS region".into(),
            why: format!("`{region}` is not a region name like us-east-1"),
        })
    }
}

fn resolve(
    env: &AwsEnv,
    service_var: &str,
    host_prefix: &str,
    region: &str,
) -> Result<String, AwsError> {
    validate_region(region)?;
    for var in [service_var, "AWS_ENDPOINT_URL"] {
        if let Some(url) = env.get(var) {
            return endpoint_url(var, url.trim());
        }
    }
    Ok(format!(
        "https://{host_prefix}.{region}.{}/",
        dns_suffix(region)
    ))
}

/// Checks an override from `var` and gives it a path.
fn endpoint_url(var: &str, url: &str) -> Result<String, AwsError> {
    let invalid = |why: String| AwsError::Invalid {
        what: var.to_owned(),
        why,
    };
    let uri: http::Uri = url
        .parse()
        .map_err(|e| invalid(format!("`{url}` is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(invalid(format!(
                "`{url}` must start with http:// or https://"
            )))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid(format!("`{url}` has no host")));
    }
    if uri.query().is_some() {
        return Err(invalid(format!("`{url}` must not have a query string")));
    }
    if uri.path().is_empty() || uri.path() == "/" {
        Ok(format!("{}/", url.trim_end_matches('/')))
    } else {
        Ok(url.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_defaults() {
        let env = AwsEnv::default();
        assert_eq!(
            sts_endpoint(&env, "eu-west-1").unwrap(),
            "https://sts.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            sts_endpoint(&env, "cn-north-1").unwrap(),
            "https://sts.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(
            secrets_manager_endpoint(&env, "us-gov-west-1").unwrap(),
            "https://secretsmanager.us-gov-west-1.amazonaws.com/"
        );
        assert_eq!(
            secrets_manager_endpoint(&env, "cn-northwest-1").unwrap(),
            "https://secretsmanager.cn-northwest-1.amazonaws.com.cn/"
        );
    }

    #[test]
    fn overrides_service_first_then_global() {
        let env = AwsEnv::from_vars([("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")]);
        assert_eq!(
            sts_endpoint(&env, "us-east-1").unwrap(),
            "http://127.0.0.1:4566/"
        );
        assert_eq!(
            secrets_manager_endpoint(&env, "us-east-1").unwrap(),
            "http://127.0.0.1:4566/"
        );
        let env = env
            .with("AWS_ENDPOINT_URL_STS", "http://localhost:5055/")
            .with(
                "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                "https://vpce-1.example/prefix",
            );
        assert_eq!(
            sts_endpoint(&env, "us-east-1").unwrap(),
            "http://localhost:5055/"
        );
        assert_eq!(
            secrets_manager_endpoint(&env, "us-east-1").unwrap(),
            "https://vpce-1.example/prefix"
        );
        // Empty means unset.
        let env = AwsEnv::from_vars([("AWS_ENDPOINT_URL_STS", "")]);
        assert_eq!(
            sts_endpoint(&env, "us-east-1").unwrap(),
            "https://sts.us-east-1.amazonaws.com/"
        );
    }

    #[test]
    fn bad_overrides_and_regions() {
        for bad in [
            "localhost:5055",
            "ftp://h/",
            "http://h/?x=1",
            "http://",
            "::",
        ] {
            let env = AwsEnv::from_vars([("AWS_ENDPOINT_URL_STS", bad)]);
            let err = sts_endpoint(&env, "us-east-1").unwrap_err();
            assert!(
                matches!(&err, AwsError::Invalid { what, .. } if what == "AWS_ENDPOINT_URL_STS"),
                "{bad}: {err}"
            );
        }
        for bad in ["", "US-EAST-1", "us east", "evil.com/x", "-a"] {
            let err = sts_endpoint(&AwsEnv::default(), bad).unwrap_err();
            assert!(matches!(err, AwsError::Invalid { .. }), "{bad}: {err}");
        }
    }
}
