#!/bin/sh
# Run by the one-shot `certs` service of docker-compose.yml (alpine/openssl image, POSIX sh):
# writes a throw-away test CA and one server certificate for the Kafka and Redpanda SASL_SSL
# listeners into $OUT (default /certs, bind-mounted from docker/certs/). Existing files are kept,
# so restarts do not rotate them; delete docker/certs/ to start over.
# Files: ca.crt ca.key server.crt server.key (PEM), kafka.keystore.p12 (PKCS#12 for Kafka's JVM),
# kafka_keystore_creds / kafka_ssl_key_creds (its password, as the apache/kafka image expects) and
# kafka_server_jaas.conf (the broker's SCRAM login module).
# Usage (by hand, with openssl on PATH): OUT=dir sh docker/gen-certs.sh
set -eu
OUT="${OUT:-/certs}"
PASS="ottla-test-keystore"
mkdir -p "$OUT"
cd "$OUT"

if [ -s server.crt ] && [ -s kafka.keystore.p12 ] && [ -s kafka_server_jaas.conf ]; then
    echo "certs: already present in $OUT"
    exit 0
fi

openssl req -x509 -newkey rsa:2048 -sha256 -days 3650 -nodes \
    -keyout ca.key -out ca.crt -subj "/CN=ottla test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"

openssl req -newkey rsa:2048 -sha256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=localhost"
cat >server.ext <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:kafka,DNS:redpanda,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -sha256 -days 3650 -extfile server.ext -out server.crt
rm -f server.csr server.ext ca.srl

openssl pkcs12 -export -name kafka -in server.crt -inkey server.key -certfile ca.crt \
    -passout "pass:$PASS" -out kafka.keystore.p12
printf '%s' "$PASS" >kafka_keystore_creds
printf '%s' "$PASS" >kafka_ssl_key_creds

cat >kafka_server_jaas.conf <<'JAAS'
KafkaServer {
    org.apache.kafka.common.security.scram.ScramLoginModule required;
};
JAAS

# The brokers run as non-root users (appuser in apache/kafka, redpanda in redpandadata/redpanda).
chmod 0644 ./*
echo "certs: written to $OUT"
ls -l
