//! STS's XML answers: the credentials of AssumeRole / AssumeRoleWithWebIdentity, the identity
//! of GetCallerIdentity and the `<ErrorResponse>` document. Parse errors never quote the
//! document (a success holds a secret key and a session token).

use std::time::SystemTime;

use quick_xml::events::Event;
use quick_xml::Reader;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::AwsError;
use crate::AwsCredentials;
use ottla_sasl::Secret;

/// The service name in errors.
const SERVICE: &str = "STS";

/// The most elements a response may nest (STS's go four deep).
const MAX_DEPTH: usize = 32;

/// Temporary credentials from STS and the assumed-role user they belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumedRole {
    credentials: AwsCredentials,
    arn: Option<String>,
    assumed_role_id: Option<String>,
}

impl AssumedRole {
    /// The credentials (with their expiry).
    pub fn credentials(&self) -> &AwsCredentials {
        &self.credentials
    }

    /// The credentials, taken out.
    pub fn into_credentials(self) -> AwsCredentials {
        self.credentials
    }

    /// `AssumedRoleUser/Arn`: `arn:aws:sts::<account>:assumed-role/<role>/<session name>`,
    /// the principal a broker sees.
    pub fn arn(&self) -> Option<&str> {
        self.arn.as_deref()
    }

    /// `AssumedRoleUser/AssumedRoleId`: `<role id>:<session name>`.
    pub fn assumed_role_id(&self) -> Option<&str> {
        self.assumed_role_id.as_deref()
    }
}

/// Who a set of credentials belongs to (GetCallerIdentity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The principal's ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>` for an
    /// assumed role).
    pub arn: String,
    /// The account id.
    pub account: String,
    /// The unique id of the principal.
    pub user_id: String,
}

/// The text of every leaf element of a document, by path of local names
/// (`AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId`).
#[derive(Default)]
pub(super) struct XmlFields {
    fields: Vec<(String, String)>,
}

impl XmlFields {
    /// Reads a whole document; `Err` says what is malformed (structure only, no content).
    pub(super) fn parse(body: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(body)
            .map_err(|e| format!("not UTF-8 (byte {})", e.valid_up_to()))?;
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<(String, String)> = Vec::new();
        let mut out = Self::default();
        let mut saw_root = false;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| format!("malformed XML at byte {}: {e}", reader.error_position()))?;
            match event {
                Event::Start(start) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err("XML nested too deeply".into());
                    }
                    if stack.is_empty() && saw_root {
                        return Err("more than one root element".into());
                    }
                    saw_root = true;
                    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                    stack.push((name, String::new()));
                }
                Event::Empty(_) => {
                    if stack.is_empty() {
                        saw_root = true;
                    }
                }
                Event::End(_) => {
                    let Some((name, value)) = stack.pop() else {
                        return Err("unbalanced end tag".into());
                    };
                    let value = value.trim();
                    if !value.is_empty() {
                        let mut path: String = stack.iter().map(|(n, _)| format!("{n}/")).collect();
                        path.push_str(&name);
                        out.fields.push((path, value.to_owned()));
                    }
                }
                Event::Text(t) => {
                    let s = t
                        .decode()
                        .map_err(|_| "text is not valid UTF-8".to_string())?;
                    match stack.last_mut() {
                        Some((_, value)) => value.push_str(&s),
                        None if s.trim().is_empty() => {}
                        None => return Err("text outside the root element".into()),
                    }
                }
                Event::CData(t) => {
                    let s = t
                        .decode()
                        .map_err(|_| "CDATA is not valid UTF-8".to_string())?;
                    if let Some((_, value)) = stack.last_mut() {
                        value.push_str(&s);
                    }
                }
                Event::GeneralRef(r) => {
                    let name = r
                        .decode()
                        .map_err(|_| "entity is not valid UTF-8".to_string())?;
                    let entity = format!("&{name};");
                    let s = quick_xml::escape::unescape(&entity)
                        .map_err(|_| "unknown XML entity".to_string())?;
                    if let Some((_, value)) = stack.last_mut() {
                        value.push_str(&s);
                    }
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if !stack.is_empty() {
            return Err("the document ends inside an element".into());
        }
        if !saw_root {
            return Err("no XML element".into());
        }
        Ok(out)
    }

    /// The text at `path`, if present.
    pub(super) fn get(&self, path: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_str())
    }
}

fn bad(why: String) -> AwsError {
    AwsError::BadResponse {
        service: SERVICE,
        why,
    }
}

/// Parses the answer to `action` (`AssumeRole`, `AssumeRoleWithWebIdentity`) into credentials
/// labelled `source`.
pub(crate) fn parse_assumed_role(
    body: &[u8],
    action: &str,
    source: &'static str,
) -> Result<AssumedRole, AwsError> {
    let doc = XmlFields::parse(body).map_err(|why| bad(format!("{action}: {why}")))?;
    let result = format!("{action}Response/{action}Result");
    let field = |name: &str| -> Result<&str, AwsError> {
        doc.get(&format!("{result}/Credentials/{name}"))
            .ok_or_else(|| bad(format!("no Credentials/{name} in the {action} response")))
    };
    let access_key_id = field("AccessKeyId")?;
    let secret_access_key = field("SecretAccessKey")?;
    let session_token = field("SessionToken")?;
    let expiration = field("Expiration")?;
    let expires_at = parse_expiration(expiration).ok_or_else(|| {
        bad(format!(
            "{action}: Expiration `{expiration}` is not an RFC 3339 time"
        ))
    })?;
    Ok(AssumedRole {
        credentials: AwsCredentials::new(
            access_key_id,
            Secret::new(secret_access_key),
            Some(Secret::new(session_token)),
            Some(expires_at),
            source,
        ),
        arn: doc
            .get(&format!("{result}/AssumedRoleUser/Arn"))
            .map(str::to_owned),
        assumed_role_id: doc
            .get(&format!("{result}/AssumedRoleUser/AssumedRoleId"))
            .map(str::to_owned),
    })
}

/// Parses a GetCallerIdentity answer.
pub(crate) fn parse_caller_identity(body: &[u8]) -> Result<CallerIdentity, AwsError> {
    let doc = XmlFields::parse(body).map_err(|why| bad(format!("GetCallerIdentity: {why}")))?;
    let field = |name: &str| -> Result<String, AwsError> {
        doc.get(&format!(
            "GetCallerIdentityResponse/GetCallerIdentityResult/{name}"
        ))
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("no {name} in the GetCallerIdentity response")))
    };
    Ok(CallerIdentity {
        arn: field("Arn")?,
        account: field("Account")?,
        user_id: field("UserId")?,
    })
}

/// The code and message of an `<ErrorResponse><Error>` document, if `body` is one.
pub(crate) fn parse_error(body: &[u8]) -> Option<(String, String)> {
    let doc = XmlFields::parse(body).ok()?;
    let code = doc.get("ErrorResponse/Error/Code")?;
    let message = doc.get("ErrorResponse/Error/Message").unwrap_or_default();
    Some((code.to_owned(), message.to_owned()))
}

/// An RFC 3339 time (`2019-11-09T13:34:41Z`, fractions allowed) as a `SystemTime`.
fn parse_expiration(s: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const ASSUME_ROLE_OK: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>DevUser123</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>
       AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW
      </SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY&amp;x</SecretAccessKey>
      <Expiration>2019-07-15T23:28:33.359Z</Expiration>
      <AccessKeyId>ASIAJEXAMPLEXEG2JICEA</AccessKeyId>
    </Credentials>
    <PackedPolicySize>8</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>"#;

    #[test]
    fn assume_role_success() {
        let r =
            parse_assumed_role(ASSUME_ROLE_OK.as_bytes(), "AssumeRole", "sts:AssumeRole").unwrap();
        let c = r.credentials();
        assert_eq!(c.access_key_id(), "ASIAJEXAMPLEXEG2JICEA");
        assert_eq!(
            c.secret_access_key().expose(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY&x"
        );
        assert_eq!(
            c.session_token().map(Secret::expose),
            Some("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW")
        );
        assert_eq!(
            c.expires_at(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_563_233_313_359))
        );
        assert_eq!(c.source(), "sts:AssumeRole");
        assert_eq!(
            r.arn(),
            Some("arn:aws:sts::123456789012:assumed-role/demo/John")
        );
        assert_eq!(r.assumed_role_id(), Some("ARO123EXAMPLE123:John"));
        let d = format!("{r:?}");
        assert!(!d.contains("wJalr") && !d.contains("AQoD"), "{d}");
    }

    #[test]
    fn web_identity_success_with_offset_time() {
        let body = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>\
            <Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s</SecretAccessKey>\
            <SessionToken>t</SessionToken><Expiration>2024-01-15T14:00:00+02:00</Expiration>\
            </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
        let r = parse_assumed_role(body.as_bytes(), "AssumeRoleWithWebIdentity", "web identity")
            .unwrap();
        assert_eq!(
            r.credentials().expires_at(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_320_000))
        );
        assert_eq!(r.arn(), None);
        // The answer to another action is not accepted.
        let err = parse_assumed_role(body.as_bytes(), "AssumeRole", "x").unwrap_err();
        assert!(
            err.to_string().contains("no Credentials/AccessKeyId"),
            "{err}"
        );
    }

    #[test]
    fn missing_fields_are_named_and_secrets_not_echoed() {
        for missing in [
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
        ] {
            let start = format!("<{missing}>");
            let end = format!("</{missing}>");
            let from = ASSUME_ROLE_OK.find(&start).unwrap();
            let to = ASSUME_ROLE_OK.find(&end).unwrap() + end.len();
            let body = format!("{}{}", &ASSUME_ROLE_OK[..from], &ASSUME_ROLE_OK[to..]);
            let err = parse_assumed_role(body.as_bytes(), "AssumeRole", "x").unwrap_err();
            assert!(
                matches!(err, AwsError::BadResponse { service: "STS", .. }),
                "{err}"
            );
            assert!(err.to_string().contains(missing), "{err}");
            assert!(!err.to_string().contains("wJalr"), "{err}");
        }
        let body = ASSUME_ROLE_OK.replace("2019-07-15T23:28:33.359Z", "tomorrow");
        let err = parse_assumed_role(body.as_bytes(), "AssumeRole", "x").unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }

    #[test]
    fn malformed_documents() {
        for body in [
            "",
            "not xml at all",
            "<AssumeRoleResponse><AssumeRoleResult>",
            "<a><b></a></b>",
            "<a></a><b></b>",
            "<a>&bogus;</a>",
            "</a>",
        ] {
            let err = parse_assumed_role(body.as_bytes(), "AssumeRole", "x").unwrap_err();
            assert!(
                matches!(err, AwsError::BadResponse { .. }),
                "{body:?}: {err}"
            );
        }
        let secret_in_broken = "<AssumeRoleResponse><SecretAccessKey>hunter2</Oops>";
        let err = parse_assumed_role(secret_in_broken.as_bytes(), "AssumeRole", "x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(parse_assumed_role(&[0xff, 0xfe], "AssumeRole", "x").is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(XmlFields::parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn error_document() {
        let body = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r &amp; more</Message>
  </Error>
  <RequestId>4e4b1d3c</RequestId>
</ErrorResponse>"#;
        let (code, message) = parse_error(body.as_bytes()).unwrap();
        assert_eq!(code, "AccessDenied");
        assert!(
            message.starts_with("User: arn:aws:iam::123456789012:user/x is not"),
            "{message}"
        );
        assert!(message.ends_with("role/r & more"), "{message}");
        assert_eq!(
            parse_error(b"<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"),
            Some(("Throttling".into(), String::new()))
        );
        assert_eq!(parse_error(b"<html><body>500</body></html>"), None);
        assert_eq!(
            parse_error(b"<!doctype html><p>Internal Server Error"),
            None
        );
        assert_eq!(parse_error(ASSUME_ROLE_OK.as_bytes()), None);
    }

    #[test]
    fn caller_identity() {
        let body = "<GetCallerIdentityResponse><GetCallerIdentityResult><UserId>AROA:s</UserId>\
            <Account>123456789012</Account><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn>\
            </GetCallerIdentityResult></GetCallerIdentityResponse>";
        let id = parse_caller_identity(body.as_bytes()).unwrap();
        assert_eq!(id.arn, "arn:aws:sts::123456789012:assumed-role/r/s");
        assert_eq!(id.account, "123456789012");
        assert_eq!(id.user_id, "AROA:s");
        assert!(parse_caller_identity(b"<GetCallerIdentityResponse/>").is_err());
    }
}
