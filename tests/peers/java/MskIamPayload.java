package dev.ottla.peer;

import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.regions.Region;
import software.amazon.msk.auth.iam.internals.AWS4SignedPayloadGenerator;
import software.amazon.msk.auth.iam.internals.AuthenticationRequestParams;
import software.amazon.msk.auth.iam.internals.UserAgentUtils;
import software.amazon.msk.auth.iam.internals.region.ConfigurableRegionProvider;

/**
 * {@code msk-iam-payload}: the AWS_MSK_IAM client message aws-msk-iam-auth sends to broker
 * {@code --host}, signed now with the given credentials, printed as the library writes it (one
 * JSON object, then a newline).
 *
 * <p>It does what the library's IAMSaslClient does: {@code AuthenticationRequestParams.create}
 * with the library's user agent, then {@code AWS4SignedPayloadGenerator.signedPayload}. The
 * library takes the region from the host name (…kafka.REGION.amazonaws.com); its fallback region
 * provider, asked only when the host names none, answers {@code --region} here. The peer fails
 * when the region signed for is not {@code --region}.
 *
 * <p>Compiled only against the aws-msk-iam-auth classpath (scripts/install-java-peer.sh
 * --msk-iam); Peer finds this class by name.
 */
public final class MskIamPayload implements Peer.Subcommand {
    @Override
    public void run(Flags f) throws Exception {
        String host = f.required("host");
        String accessKeyId = f.required("access-key-id");
        String secret = f.required("secret-access-key");
        String sessionToken = f.string("session-token", null);
        String region = f.required("region");
        f.done(false);
        AwsCredentials credentials = sessionToken == null
                ? AwsBasicCredentials.create(accessKeyId, secret)
                : AwsSessionCredentials.create(accessKeyId, secret, sessionToken);
        Region fixed = Region.of(region);
        ConfigurableRegionProvider fallback = new ConfigurableRegionProvider() {
            @Override
            public Region getRegion() {
                return fixed;
            }

            @Override
            public Region getRegion(String ignoredHost) {
                return fixed;
            }
        };
        AuthenticationRequestParams params =
                AuthenticationRequestParams.create(host, credentials, UserAgentUtils.getUserAgentValue(), fallback);
        if (!params.getRegion().id().equals(region)) {
            throw new Peer.Failure("aws-msk-iam-auth signs for region " + params.getRegion().id()
                    + " (taken from the host " + host + "), not --region " + region);
        }
        byte[] payload = new AWS4SignedPayloadGenerator().signedPayload(params);
        System.out.println(new String(payload, StandardCharsets.UTF_8));
    }
}
