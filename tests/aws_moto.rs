//! STS and Secrets Manager against a moto server (`OTTLA_MOTO_ENDPOINT`): AssumeRole (external
//! id, stable session name, STS region), AssumeRoleWithWebIdentity from a token file, errors on
//! both sides, and SCRAM secrets from GetSecretValue.
//!
//! Endpoints reach moto through the `AwsEnv` variables `AWS_ENDPOINT_URL_STS` and
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER`, never the process environment. Moto accepts any
//! credentials and any web identity token; what it received is read back from its
//! `/moto-api/data.json`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ottla_aws::{
    AssumeRoleProvider, AssumeRoleRequest, AwsCredentials, AwsEnv, AwsError, BoxFuture,
    CachedCredentials, ProvideAwsCredentials, RoleArn, SecretsManagerClient, StsClient,
    WebIdentityProvider, DEFAULT_SESSION_NAME,
};
use ottla_sasl::Secret;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Moto's default account.
const ACCOUNT: &str = "123456789012";

/// The keys moto's documentation uses; it accepts any.
#[derive(Debug)]
struct TestingKeys;

impl ProvideAwsCredentials for TestingKeys {
    fn credentials(&self) -> BoxFuture<'_, Result<AwsCredentials, AwsError>> {
        Box::pin(async { Ok(keys()) })
    }
}

fn keys() -> AwsCredentials {
    AwsCredentials::new("testing", Secret::new("testing"), None, None, "test")
}

fn env_for(moto: &str) -> AwsEnv {
    AwsEnv::from_vars([
        ("AWS_ENDPOINT_URL_STS", moto),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto),
    ])
}

/// A name no other run used.
fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}{}-{}",
        std::process::id(),
        nanos % 1_000_000_000_000
    )
}

/// Who `credentials` are, according to moto's GetCallerIdentity.
async fn whoami(moto: &str, credentials: &AwsCredentials) -> String {
    StsClient::new(&env_for(moto), "us-east-1")
        .unwrap()
        .get_caller_identity(credentials)
        .await
        .unwrap()
        .arn
}

/// Moto's record of the role session that `access_key_id` belongs to. Read with a plain
/// HTTP/1.0 GET: the dump of every backend can outgrow the AWS client's body limit.
async fn moto_session(moto: &str, access_key_id: &str) -> Value {
    let authority = moto
        .strip_prefix("http://")
        .expect("OTTLA_MOTO_ENDPOINT is an http:// URL")
        .trim_end_matches('/');
    let mut s = tokio::net::TcpStream::connect(authority).await.unwrap();
    s.write_all(
        format!("GET /moto-api/data.json HTTP/1.0\r\nHost: {authority}\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let start = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let data: Value = serde_json::from_slice(&raw[start..]).unwrap();
    data["sts"]["AssumedRole"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["access_key_id"] == access_key_id)
        .cloned()
        .unwrap_or_else(|| panic!("moto has no session for {access_key_id}"))
}

#[tokio::test]
async fn assume_role_with_external_id_and_a_stable_session_name() {
    let Some(moto) = ottla_tests::moto_endpoint() else {
        return;
    };
    let role = format!(
        "arn:aws:iam::{ACCOUNT}:role/kafka/{}",
        unique("msk-client-")
    );
    let session = unique("ottla-it-");
    let provider = AssumeRoleProvider::builder(&role, &env_for(&moto))
        .unwrap()
        .region("us-east-1")
        .sts_region("eu-west-1")
        .session_name(session.as_str())
        .external_id("ext-id:42")
        .duration(Duration::from_secs(900))
        .build(Arc::new(TestingKeys))
        .unwrap();
    let before = SystemTime::now();
    let first = provider.credentials().await.unwrap();
    let second = provider.credentials().await.unwrap();
    assert_eq!(first.source(), "sts:AssumeRole");
    assert_ne!(
        first.access_key_id(),
        second.access_key_id(),
        "two STS calls"
    );
    assert!(first.session_token().is_some());
    // The duration asked for is the one granted.
    let left = first.expires_at().unwrap().duration_since(before).unwrap();
    assert!(
        left > Duration::from_secs(880) && left <= Duration::from_secs(905),
        "{left:?}"
    );

    // Both refreshes are the same principal, with the session name sent.
    let role_name = RoleArn::parse(&role).unwrap().role_name().to_owned();
    let principal = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}");
    assert_eq!(whoami(&moto, &first).await, principal);
    assert_eq!(whoami(&moto, &second).await, principal);

    // What moto received: external id, session name, role, and the STS region signed for.
    for c in [&first, &second] {
        let record = moto_session(&moto, c.access_key_id()).await;
        assert_eq!(record["external_id"], "ext-id:42", "{record}");
        assert_eq!(record["session_name"], session.as_str(), "{record}");
        assert_eq!(record["role_arn"], role.as_str(), "{record}");
        assert_eq!(record["region_name"], "eu-west-1", "{record}");
    }
}

#[tokio::test]
async fn assume_role_default_session_name_and_assumed_role_user() {
    let Some(moto) = ottla_tests::moto_endpoint() else {
        return;
    };
    let role = format!("arn:aws:iam::{ACCOUNT}:role/{}", unique("r-"));
    let provider = AssumeRoleProvider::builder(&role, &env_for(&moto))
        .unwrap()
        .region("us-west-2")
        .build(Arc::new(TestingKeys))
        .unwrap();
    let c = provider.credentials().await.unwrap();
    let role_name = RoleArn::parse(&role).unwrap().role_name().to_owned();
    assert_eq!(
        whoami(&moto, &c).await,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{DEFAULT_SESSION_NAME}")
    );
    assert_eq!(
        moto_session(&moto, c.access_key_id()).await["external_id"],
        Value::Null
    );

    // The client call itself reports the assumed-role user.
    let sts = StsClient::new(&env_for(&moto), "us-west-2").unwrap();
    let request = AssumeRoleRequest::new(RoleArn::parse(&role).unwrap(), "direct-call").unwrap();
    let assumed = sts.assume_role(&keys(), &request).await.unwrap();
    assert_eq!(
        assumed.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/direct-call").as_str())
    );
    assert!(assumed.assumed_role_id().unwrap().ends_with(":direct-call"));
    // STS's default duration (moto: one hour) when none is asked for.
    let left = assumed
        .credentials()
        .expires_at()
        .unwrap()
        .duration_since(SystemTime::now())
        .unwrap();
    assert!(left > Duration::from_secs(3500), "{left:?}");
}

#[tokio::test]
async fn web_identity_from_a_token_file_rereads_it_and_caches() {
    let Some(moto) = ottla_tests::moto_endpoint() else {
        return;
    };
    let dir = std::env::temp_dir();
    let token_file = dir.join(unique("ottla-moto-token-"));
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.first.sig\n").unwrap();
    let role = format!("arn:aws:iam::{ACCOUNT}:role/{}", unique("eks-"));
    let env = env_for(&moto)
        .with("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_string_lossy())
        .with("AWS_ROLE_ARN", role.as_str())
        .with("AWS_ROLE_SESSION_NAME", "pod-session");
    let provider = WebIdentityProvider::from_env(&env, "us-east-1")
        .unwrap()
        .expect("the variables are set");
    let c = provider.credentials().await.unwrap();
    assert_eq!(c.source(), "sts:AssumeRoleWithWebIdentity");
    let role_name = RoleArn::parse(&role).unwrap().role_name().to_owned();
    let principal = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/pod-session");
    assert_eq!(whoami(&moto, &c).await, principal);

    // A rotated token still works, and a deleted one is an error naming the file.
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.second.sig").unwrap();
    let again = provider.credentials().await.unwrap();
    assert_eq!(whoami(&moto, &again).await, principal);

    // Behind the cache: one STS call serves many, and the cached ones survive the token
    // file disappearing while they are fresh.
    let cached = CachedCredentials::new(Arc::new(provider.clone()));
    let a = cached.credentials().await.unwrap();
    std::fs::remove_file(&token_file).unwrap();
    let b = cached.credentials().await.unwrap();
    assert_eq!(a.access_key_id(), b.access_key_id());
    let err = provider.credentials().await.unwrap_err();
    assert!(
        matches!(&err, AwsError::Provider { provider: "web identity", why }
            if why.contains(&*token_file.to_string_lossy())),
        "{err}"
    );
}

#[tokio::test]
async fn sts_errors() {
    let Some(moto) = ottla_tests::moto_endpoint() else {
        return;
    };
    // A malformed role ARN is refused before anything is sent (moto would accept it).
    for bad in [
        "nonsense",
        "arn:aws:iam::123:role/r",
        "arn:aws:iam::123456789012:user/u",
    ] {
        let err = AssumeRoleProvider::builder(bad, &env_for(&moto)).unwrap_err();
        assert!(
            matches!(&err, AwsError::Invalid { what, .. } if what == "role ARN"),
            "{bad}: {err}"
        );
    }
    let env = env_for(&moto)
        .with("AWS_ROLE_ARN", "arn:aws:iam::123456789012:rol/x")
        .with("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent");
    assert!(matches!(
        WebIdentityProvider::from_env(&env, "us-east-1"),
        Err(AwsError::Invalid { .. })
    ));
    // A session name STS would refuse (moto checks only its length) is refused here too.
    let role = RoleArn::parse("arn:aws:iam::123456789012:role/r").unwrap();
    assert!(AssumeRoleRequest::new(role.clone(), &"x".repeat(65)).is_err());

    // Moto answering with an error status (no STS error document) surfaces it: an endpoint
    // path moto does not serve.
    let env = AwsEnv::from_vars([(
        "AWS_ENDPOINT_URL_STS",
        format!("{}/ottla-no-such-path", moto.trim_end_matches('/')),
    )]);
    let sts = StsClient::new(&env, "us-east-1").unwrap();
    let err = sts
        .assume_role(&keys(), &AssumeRoleRequest::new(role, "s1").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            AwsError::HttpStatus {
                service: "STS",
                status: 404,
                ..
            }
        ),
        "{err}"
    );

    // Nothing listening: a transport error naming STS.
    let env = AwsEnv::from_vars([("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]);
    let err = StsClient::new(&env, "us-east-1")
        .unwrap()
        .get_caller_identity(&keys())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AwsError::Http { service: "STS", .. }),
        "{err}"
    );
}

/// Creates a secret in moto (a signed CreateSecret); returns its ARN.
async fn create_secret(sm: &SecretsManagerClient, name: &str, body: Value) -> String {
    let mut request = json!({ "Name": name });
    if let (Some(target), Some(fields)) = (request.as_object_mut(), body.as_object()) {
        target.extend(fields.clone());
    }
    let answer = sm.call(&keys(), "CreateSecret", &request).await.unwrap();
    assert_eq!(answer["Name"], name, "{answer}");
    answer["ARN"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn scram_secret_from_secrets_manager() {
    let Some(moto) = ottla_tests::moto_endpoint() else {
        return;
    };
    let sm = SecretsManagerClient::new(&env_for(&moto), "us-east-1").unwrap();
    let name = unique("AmazonMSK_test_");
    let password = unique("pw-\"quoted\"-");
    let arn = create_secret(
        &sm,
        &name,
        json!({ "SecretString": json!({ "username": "alice", "password": password }).to_string() }),
    )
    .await;
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-1:"),
        "{arn}"
    );

    let by_name = sm.get_scram_secret(&keys(), &name).await.unwrap();
    assert_eq!(by_name.username, "alice");
    assert_eq!(by_name.password.expose(), password);
    assert!(!format!("{by_name:?}").contains(&password));
    let by_arn = sm.get_scram_secret(&keys(), &arn).await.unwrap();
    assert_eq!(by_arn, by_name);
    let value = sm.get_secret_value(&keys(), &arn).await.unwrap();
    assert_eq!(value.name(), Some(name.as_str()));
    assert_eq!(value.arn(), Some(arn.as_str()));
    assert!(value.version_id().is_some());

    // With temporary credentials from STS, too.
    let session = StsClient::new(&env_for(&moto), "us-east-1")
        .unwrap()
        .assume_role(
            &keys(),
            &AssumeRoleRequest::new(
                RoleArn::parse(&format!("arn:aws:iam::{ACCOUNT}:role/secret-reader")).unwrap(),
                "reader",
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .into_credentials();
    assert_eq!(sm.get_scram_secret(&session, &name).await.unwrap(), by_name);
}

#[tokio::test]
async fn secrets_manager_errors() {
    let Some(moto) = ottla_tests::moto_endpoint() else {
        return;
    };
    let sm = SecretsManagerClient::new(&env_for(&moto), "us-east-1").unwrap();

    let missing = unique("AmazonMSK_missing_");
    let err = sm.get_scram_secret(&keys(), &missing).await.unwrap_err();
    assert!(
        matches!(&err, AwsError::Service { service: "Secrets Manager", code, .. }
            if code == "ResourceNotFoundException"),
        "{err}"
    );

    // A secret without a password: a clear error that does not echo the secret.
    let name = unique("AmazonMSK_nopw_");
    let leaked = unique("hunter2-");
    create_secret(
        &sm,
        &name,
        json!({ "SecretString": json!({ "username": "bob", "pass": leaked }).to_string() }),
    )
    .await;
    let err = sm.get_scram_secret(&keys(), &name).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, AwsError::Invalid { .. }), "{msg}");
    assert!(
        msg.contains(&name) && msg.contains("no `password` field"),
        "{msg}"
    );
    assert!(!msg.contains(&leaked), "{msg}");

    // A secret that is not JSON at all.
    let name = unique("AmazonMSK_plain_");
    create_secret(&sm, &name, json!({ "SecretString": leaked })).await;
    let msg = sm
        .get_scram_secret(&keys(), &name)
        .await
        .unwrap_err()
        .to_string();
    assert!(msg.contains("not JSON") && !msg.contains(&leaked), "{msg}");

    // A binary secret.
    let name = unique("AmazonMSK_binary_");
    create_secret(&sm, &name, json!({ "SecretBinary": "AAECAw==" })).await;
    let msg = sm
        .get_scram_secret(&keys(), &name)
        .await
        .unwrap_err()
        .to_string();
    assert!(msg.contains("binary"), "{msg}");
}
