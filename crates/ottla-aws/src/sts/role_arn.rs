//! IAM role ARNs (`arn:aws:iam::123456789012:role/path/name`), checked before anything is
//! sent to STS.

use std::fmt;
use std::str::FromStr;

use crate::error::AwsError;

/// The partitions a role can live in.
const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// The longest role name IAM allows.
const MAX_ROLE_NAME: usize = 64;

/// The longest role path IAM allows (with its slashes).
const MAX_ROLE_PATH: usize = 512;

/// A valid IAM role ARN: `arn:<aws|aws-cn|aws-us-gov>:iam::<12-digit account>:role/[<path>/]<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleArn {
    arn: String,
    partition_end: usize,
}

impl RoleArn {
    /// Checks `arn` and keeps it.
    pub fn parse(arn: &str) -> Result<Self, AwsError> {
        let invalid = |why: &str| AwsError::Invalid {
            what: "role ARN".into(),
            why: format!("`{arn}` {why}; expected arn:aws:iam::<12-digit account id>:role/<name>"),
        };
        let arn = arn.trim();
        let mut parts = arn.splitn(6, ':');
        let (
            Some(prefix),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(invalid("does not have the six parts of an ARN"));
        };
        if prefix != "arn" {
            return Err(invalid("does not start with `arn:`"));
        }
        if !PARTITIONS.contains(&partition) {
            return Err(invalid("is not in the aws, aws-cn or aws-us-gov partition"));
        }
        if service != "iam" {
            return Err(invalid("is not an IAM ARN"));
        }
        if !region.is_empty() {
            return Err(invalid("has a region (IAM ARNs have none)"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("does not have a 12-digit account id"));
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(invalid("is not a role"));
        };
        let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c);
        if !path_and_name.chars().all(allowed) {
            return Err(invalid("has characters a role path or name cannot have"));
        }
        if path_and_name.split('/').any(str::is_empty) {
            return Err(invalid("has an empty role path segment or name"));
        }
        let (path, name) = path_and_name
            .rsplit_once('/')
            .unwrap_or(("", path_and_name));
        if name.len() > MAX_ROLE_NAME {
            return Err(invalid("has a role name longer than 64 characters"));
        }
        if path.len() + 2 > MAX_ROLE_PATH {
            return Err(invalid("has a role path longer than 512 characters"));
        }
        Ok(Self {
            arn: arn.to_owned(),
            partition_end: 4 + partition.len(),
        })
    }

    /// The ARN.
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// The partition: `aws`, `aws-cn` or `aws-us-gov`.
    pub fn partition(&self) -> &str {
        self.arn.get(4..self.partition_end).unwrap_or_default()
    }

    /// The 12-digit account id.
    pub fn account_id(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or_default()
    }

    /// The role's name (after its path).
    pub fn role_name(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or_default()
    }
}

impl FromStr for RoleArn {
    type Err = AwsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_arns() {
        let a = RoleArn::parse("arn:aws:iam::123456789012:role/msk-client").unwrap();
        assert_eq!(a.as_str(), "arn:aws:iam::123456789012:role/msk-client");
        assert_eq!(a.partition(), "aws");
        assert_eq!(a.account_id(), "123456789012");
        assert_eq!(a.role_name(), "msk-client");
        let a: RoleArn = " arn:aws-cn:iam::000000000000:role/team/kafka/Producer+v2@x=y,z.w_1-2 "
            .parse()
            .unwrap();
        assert_eq!(a.partition(), "aws-cn");
        assert_eq!(a.role_name(), "Producer+v2@x=y,z.w_1-2");
        assert_eq!(
            a.to_string(),
            "arn:aws-cn:iam::000000000000:role/team/kafka/Producer+v2@x=y,z.w_1-2"
        );
        let a = RoleArn::parse("arn:aws-us-gov:iam::111122223333:role/r").unwrap();
        assert_eq!(a.partition(), "aws-us-gov");
    }

    #[test]
    fn invalid_arns() {
        let long_name = format!("arn:aws:iam::123456789012:role/{}", "a".repeat(65));
        let long_path = format!("arn:aws:iam::123456789012:role/{}/n", "p".repeat(511));
        for bad in [
            "",
            "nonsense",
            "arn:aws:iam::123456789012",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:sts::123456789012:assumed-role/r/s",
            "arn:aws:iam:us-east-1:123456789012:role/r",
            "arn:aws:iam::12345678901:role/r",
            "arn:aws:iam::1234567890123:role/r",
            "arn:aws:iam::12345678901a:role/r",
            "arn:azure:iam::123456789012:role/r",
            "arn:aws-iso:iam::123456789012:role/r",
            "xrn:aws:iam::123456789012:role/r",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a//b",
            "arn:aws:iam::123456789012:role/a/",
            "arn:aws:iam::123456789012:role/has space",
            "arn:aws:iam::123456789012:role/ünïcode",
            "arn:aws:iam::123456789012:role/a:b",
            &long_name,
            &long_path,
        ] {
            let err = RoleArn::parse(bad).unwrap_err();
            assert!(
                matches!(&err, AwsError::Invalid { what, .. } if what == "role ARN"),
                "{bad}: {err}"
            );
        }
    }
}
