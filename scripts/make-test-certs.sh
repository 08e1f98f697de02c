#!/usr/bin/env bash
# Regenerates the PEM fixtures used by the ottla-tls tests (crates/ottla-tls/tests/fixtures).
# Needs the `openssl` command-line tool (Debian: apt-get install openssl). The fixtures are
# committed; run this only to change or renew them. Everything is valid for 100 years except
# client-expired.pem, which expired in 2001 on purpose.
#
# Files written (all PEM):
#   ca.pem                 root CA that signs everything the tests trust
#   other-ca.pem           an unrelated root CA (for "unknown issuer" cases)
#   intermediate-ca.pem    intermediate CA signed by ca.pem
#   server.pem/.key        server cert for DNS localhost + IP 127.0.0.1 (EC P-256, PKCS#8 key)
#   server-other-name.pem/.key   server cert for broker.example only (hostname mismatch)
#   client.pem             client cert (RSA 2048) signed by ca.pem
#   client.key.pkcs8.pem   its key, PKCS#8          (BEGIN PRIVATE KEY)
#   client.key.pkcs1.pem   its key, PKCS#1          (BEGIN RSA PRIVATE KEY)
#   client.key.encrypted.pem  its key, encrypted PKCS#8, PBES2 AES-256-CBC PBKDF2-SHA256,
#                          password "ottla-test"    (BEGIN ENCRYPTED PRIVATE KEY)
#   client.key.pbe-sha1-3des.pem  its key, encrypted with PKCS#12 PBE-SHA1-3DES (unsupported)
#   client-ec.pem          client cert (EC P-256) signed by ca.pem
#   client-ec.key.sec1.pem its key, SEC1            (BEGIN EC PRIVATE KEY)
#   client-ec.key.pkcs8.pem  its key, PKCS#8
#   client-chain.pem       client cert signed by intermediate-ca.pem, followed by the intermediate
#   client-chain.key.pem   its key (PKCS#8)
#   client-expired.pem/.key   client cert signed by ca.pem, valid 2000-01-01 .. 2001-01-01
#   client-untrusted.pem/.key client cert signed by other-ca.pem
#   client-v1-ca.pem       root CA for the X.509 v1 client certificate (its key is not kept)
#   client-v1.pem/.key     X.509 v1 client cert (no extensions, what `openssl x509 -req` makes
#                          by default; RSA 2048, PKCS#8 key) signed by client-v1-ca.pem
#
# `make-test-certs.sh --v1-only` writes only the three client-v1* files and leaves every other
# fixture alone: the v1 certificate has a CA of its own because ca.pem's key is not committed.
set -euo pipefail

v1_only=false
case "${1:-}" in
"") ;;
--v1-only) v1_only=true ;;
*)
    echo "usage: $0 [--v1-only]" >&2
    exit 2
    ;;
esac

here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/crates/ottla-tls/tests/fixtures"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

days=36500
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

cat >ca.ext <<'EOF'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
cat >server.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EOF
cat >server-other-name.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:broker.example
EOF
cat >client.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EOF

# Root CAs (self-signed).
self_signed_ca() { # name subject
    ec_key "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -signkey "$1.key" -days "$days" -sha256 \
        -extfile ca.ext -set_serial "0x$(openssl rand -hex 8)" -out "$1.pem"
}
# Leaf or intermediate signed by a CA: name subject ca extfile
signed() {
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -days "$days" -sha256 \
        -extfile "$4" -set_serial "0x$(openssl rand -hex 8)" -out "$1.pem"
}

# An X.509 v1 client certificate: `openssl x509 -req` without -extfile writes version 1.
v1_client() {
    self_signed_ca client-v1-ca "/CN=ottla test CA for v1 client certificates"
    rsa_key client-v1.key
    openssl req -new -key client-v1.key -subj "/CN=ottla-client-v1" -out client-v1.csr
    openssl x509 -req -in client-v1.csr -CA client-v1-ca.pem -CAkey client-v1-ca.key \
        -days "$days" -sha256 -set_serial "0x$(openssl rand -hex 8)" -out client-v1.pem
    openssl x509 -in client-v1.pem -noout -text | grep -q 'Version: 1 (0x0)'
    openssl verify -CAfile client-v1-ca.pem client-v1.pem >/dev/null
    mkdir -p "$out"
    cp client-v1-ca.pem client-v1.pem "$out/"
    openssl pkcs8 -topk8 -nocrypt -in client-v1.key -out "$out/client-v1.key"
}
v1_client
if "$v1_only"; then
    echo "wrote the v1 client certificate fixtures to $out"
    exit 0
fi

self_signed_ca ca "/CN=ottla test CA"
self_signed_ca other-ca "/CN=ottla other test CA"
ec_key intermediate-ca.key
signed intermediate-ca "/CN=ottla test intermediate CA" ca ca.ext

ec_key server.key
signed server "/CN=localhost" ca server.ext
ec_key server-other-name.key
signed server-other-name "/CN=broker.example" ca server-other-name.ext

rsa_key client.key
signed client "/CN=ottla-client" ca client.ext
openssl pkcs8 -topk8 -nocrypt -in client.key -out client.key.pkcs8.pem
openssl rsa -in client.key -traditional -out client.key.pkcs1.pem 2>/dev/null
openssl pkcs8 -topk8 -in client.key -v2 aes-256-cbc -v2prf hmacWithSHA256 \
    -passout pass:ottla-test -out client.key.encrypted.pem
# Old PKCS#12-style encryption (not PBES2), which ottla-tls reports as unsupported.
openssl pkcs8 -topk8 -in client.key -v1 PBE-SHA1-3DES -passout pass:ottla-test \
    -out client.key.pbe-sha1-3des.pem

ec_key client-ec.key
signed client-ec "/CN=ottla-client-ec" ca client.ext
openssl ec -in client-ec.key -out client-ec.key.sec1.pem 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in client-ec.key -out client-ec.key.pkcs8.pem

ec_key client-chain-leaf.key
signed client-chain-leaf "/CN=ottla-client-chain" intermediate-ca client.ext
cat client-chain-leaf.pem intermediate-ca.pem >client-chain.pem

ec_key client-untrusted.key
signed client-untrusted "/CN=ottla-client-untrusted" other-ca client.ext

# The expired certificate needs explicit dates, which `openssl x509` (3.0) cannot set: use `ca`.
ec_key client-expired.key
openssl req -new -key client-expired.key -subj "/CN=ottla-client-expired" -out client-expired.csr
mkdir -p db && : >db/index.txt && openssl rand -hex 8 >db/serial
cat >ca.cnf <<EOF
[ca]
default_ca = test
[test]
database = db/index.txt
serial = db/serial
new_certs_dir = db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
EOF
openssl ca -batch -config ca.cnf -notext -startdate 20000101000000Z -enddate 20010101000000Z \
    -extfile client.ext -in client-expired.csr -out client-expired.pem 2>/dev/null

mkdir -p "$out"
cp ca.pem other-ca.pem intermediate-ca.pem "$out/"
cp server.pem "$out/server.pem" && openssl pkcs8 -topk8 -nocrypt -in server.key -out "$out/server.key"
cp server-other-name.pem "$out/" &&
    openssl pkcs8 -topk8 -nocrypt -in server-other-name.key -out "$out/server-other-name.key"
cp client.pem client.key.pkcs8.pem client.key.pkcs1.pem client.key.encrypted.pem \
    client.key.pbe-sha1-3des.pem "$out/"
cp client-ec.pem client-ec.key.sec1.pem client-ec.key.pkcs8.pem "$out/"
cp client-chain.pem "$out/"
openssl pkcs8 -topk8 -nocrypt -in client-chain-leaf.key -out "$out/client-chain.key.pem"
cp client-expired.pem "$out/" &&
    openssl pkcs8 -topk8 -nocrypt -in client-expired.key -out "$out/client-expired.key"
cp client-untrusted.pem "$out/" &&
    openssl pkcs8 -topk8 -nocrypt -in client-untrusted.key -out "$out/client-untrusted.key"
echo "wrote fixtures to $out"
