//! Which AWS region to use, looked for where the AWS SDKs look:
//! the `aws.region` setting → `AWS_REGION` → `AWS_DEFAULT_REGION` → the selected profile's
//! `region` → (only if asked, with [`resolve_region_with_imds`]) the EC2 instance's region.
//! Nothing found is [`AwsError::NoRegion`] listing each place looked.

use super::env::AwsEnv;
use super::error::AwsError;
use super::imds::ImdsCredentials;
use super::profile::ProfileFiles;

/// The name of the setting that gives the region explicitly.
const SETTING: &str = "aws.region";

/// The region from the setting (`explicit`), the environment or profile `profile` of
/// `profiles` (`None`: the shared files were not read, so not looked at). A value that
/// cannot be a region (`us east 1`) is an error naming where it came from.
pub fn resolve_region(
    explicit: Option<&str>,
    env: &AwsEnv,
    profiles: Option<&ProfileFiles>,
    profile: &str,
) -> Result<String, AwsError> {
    local_region(explicit, env, profiles, profile)?.map_err(|looked| AwsError::NoRegion { looked })
}

/// Like [`resolve_region`], then asks the EC2 instance metadata service (IMDSv2; about 1 s
/// off EC2) when nothing local gives a region.
pub async fn resolve_region_with_imds(
    explicit: Option<&str>,
    env: &AwsEnv,
    profiles: Option<&ProfileFiles>,
    profile: &str,
    imds: &ImdsCredentials,
) -> Result<String, AwsError> {
    let mut looked = match local_region(explicit, env, profiles, profile)? {
        Ok(region) => return Ok(region),
        Err(looked) => looked,
    };
    let place = format!("EC2 instance metadata at {}", imds.endpoint());
    if imds.is_disabled() {
        looked.push(format!("{place} (disabled by AWS_EC2_METADATA_DISABLED)"));
        return Err(AwsError::NoRegion { looked });
    }
    match imds.region().await {
        Ok(region) => checked(&region, &place),
        Err(e) => {
            looked.push(format!("{place} ({e})"));
            Err(AwsError::NoRegion { looked })
        }
    }
}

/// A region, or the places looked at without finding one.
type Found = Result<String, Vec<String>>;

/// `Ok(Ok(region))`, `Ok(Err(places looked))`, or `Err` for an invalid value.
fn local_region(
    explicit: Option<&str>,
    env: &AwsEnv,
    profiles: Option<&ProfileFiles>,
    profile: &str,
) -> Result<Found, AwsError> {
    let mut looked = Vec::new();
    if let Some(region) = explicit.filter(|r| !r.trim().is_empty()) {
        return checked(region, SETTING).map(Ok);
    }
    looked.push(SETTING.to_owned());
    for variable in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(region) = env.get(variable) {
            return checked(region, variable).map(Ok);
        }
        looked.push(variable.to_owned());
    }
    if let Some(files) = profiles {
        let place = files.describe(profile);
        if let Some(region) = files.profile(profile).and_then(|p| p.get("region")) {
            return checked(region, &place).map(Ok);
        }
        looked.push(place);
    }
    Ok(Err(looked))
}

/// `region`, trimmed, if it can be a region name (it goes into host names).
fn checked(region: &str, place: &str) -> Result<String, AwsError> {
    let region = region.trim();
    let valid = !region.is_empty()
        && region.len() <= 64
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if valid {
        Ok(region.to_owned())
    } else {
        Err(AwsError::Invalid {
            what: format!("AWS region from {place}"),
            why: format!(
                "`{region}` is not a region name (letters, digits and dashes, like eu-west-1)"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpClient;
    use crate::test_http_server::{Reply, TestHttpServer};
    use std::path::Path;

    fn files(config: &str) -> ProfileFiles {
        ProfileFiles::from_contents(Some((Path::new("/home/x/.aws/config"), config)), None).unwrap()
    }

    #[test]
    fn order_of_places() {
        let f = files("[default]\nregion = ap-southeast-2\n[profile other]\noutput = json\n");
        let all = AwsEnv::from_vars([
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "eu-west-2"),
        ]);
        assert_eq!(
            resolve_region(Some("us-east-2"), &all, Some(&f), "default").unwrap(),
            "us-east-2"
        );
        assert_eq!(
            resolve_region(Some(" "), &all, Some(&f), "default").unwrap(),
            "eu-west-1"
        );
        assert_eq!(
            resolve_region(None, &all, Some(&f), "default").unwrap(),
            "eu-west-1"
        );
        let default_only =
            AwsEnv::from_vars([("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "eu-west-2")]);
        assert_eq!(
            resolve_region(None, &default_only, Some(&f), "default").unwrap(),
            "eu-west-2"
        );
        assert_eq!(
            resolve_region(None, &AwsEnv::default(), Some(&f), "default").unwrap(),
            "ap-southeast-2"
        );
    }

    #[test]
    fn no_region_lists_every_place() {
        let f = files("[default]\nregion = ap-southeast-2\n[profile other]\noutput = json\n");
        let e = resolve_region(None, &AwsEnv::default(), Some(&f), "other").unwrap_err();
        assert_eq!(
            e,
            AwsError::NoRegion {
                looked: vec![
                    "aws.region".into(),
                    "AWS_REGION".into(),
                    "AWS_DEFAULT_REGION".into(),
                    "profile `other` in /home/x/.aws/config".into(),
                ]
            }
        );
        assert_eq!(
            e.to_string(),
            "no AWS region found; looked in aws.region, AWS_REGION, AWS_DEFAULT_REGION, \
             profile `other` in /home/x/.aws/config; set aws.region"
        );
        let e = resolve_region(None, &AwsEnv::default(), None, "default").unwrap_err();
        assert_eq!(
            e,
            AwsError::NoRegion {
                looked: vec![
                    "aws.region".into(),
                    "AWS_REGION".into(),
                    "AWS_DEFAULT_REGION".into()
                ]
            }
        );
    }

    #[test]
    fn invalid_values_name_their_place() {
        let e = resolve_region(
            None,
            &AwsEnv::from_vars([("AWS_REGION", "us east 1")]),
            None,
            "default",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid AWS region from AWS_REGION: `us east 1` is not a region name (letters, digits and dashes, like eu-west-1)"
        );
        let f = files("[default]\nregion = eu-west-1.evil.com\n");
        let e = resolve_region(None, &AwsEnv::default(), Some(&f), "default").unwrap_err();
        assert!(
            e.to_string()
                .contains("from profile `default` in /home/x/.aws/config"),
            "{e}"
        );
        assert_eq!(checked(" cn-north-1 ", "x").unwrap(), "cn-north-1");
        assert!(checked("-x", "x").is_err());
    }

    #[tokio::test]
    async fn imds_only_when_asked_and_only_last() {
        let server = TestHttpServer::start(vec![Reply::ok("tok"), Reply::ok("sa-east-1")]).await;
        let env = AwsEnv::default().with("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url());
        let imds = ImdsCredentials::new(&env, HttpClient::new());
        // A local value wins without a request.
        let f = files("[default]\nregion = eu-west-3\n");
        assert_eq!(
            resolve_region_with_imds(None, &env, Some(&f), "default", &imds)
                .await
                .unwrap(),
            "eu-west-3"
        );
        assert!(server.requests().is_empty());
        assert_eq!(
            resolve_region_with_imds(None, &env, None, "default", &imds)
                .await
                .unwrap(),
            "sa-east-1"
        );
        assert_eq!(server.requests().len(), 2);
    }

    #[tokio::test]
    async fn imds_failure_is_listed() {
        let server = TestHttpServer::start(vec![Reply::status(403, "no")]).await;
        let env = AwsEnv::default().with("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url());
        let imds = ImdsCredentials::new(&env, HttpClient::new());
        let e = resolve_region_with_imds(None, &env, None, "default", &imds)
            .await
            .unwrap_err();
        match &e {
            AwsError::NoRegion { looked } => {
                assert_eq!(looked.len(), 4, "{looked:?}");
                assert!(
                    looked[3].starts_with(&format!("EC2 instance metadata at {} (", server.url())),
                    "{}",
                    looked[3]
                );
                assert!(looked[3].contains("HTTP 403"), "{}", looked[3]);
            }
            other => panic!("{other:?}"),
        }
        let disabled = env.clone().with("AWS_EC2_METADATA_DISABLED", "true");
        let imds = ImdsCredentials::new(&disabled, HttpClient::new());
        let e = resolve_region_with_imds(None, &disabled, None, "default", &imds)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("(disabled by AWS_EC2_METADATA_DISABLED)"),
            "{e}"
        );
    }
}
