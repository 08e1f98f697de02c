#!/usr/bin/env bash
# Installs the Python tools the AWS tests use into a virtualenv $OTTLA_TOOLS_DIR/aws-venv
# (default <repo>/.tools/aws-venv): aws-msk-iam-sasl-signer-python (the official MSK IAM token
# signer, the reference for token equality) and moto[server] (STS and Secrets Manager on
# loopback), every version pinned in scripts/aws-requirements.txt.
# Usage: scripts/install-aws-tools.sh   -> prints the venv's python
# Reinstalls when the requirements file changed since the last install.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"

venv="$TOOLS_DIR/aws-venv"
requirements="$OTTLA_ROOT/scripts/aws-requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256_of "$requirements")"

if [ -x "$venv/bin/python" ] && [ -x "$venv/bin/moto_server" ] &&
    [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] &&
    "$venv/bin/python" -c 'import aws_msk_iam_sasl_signer, moto' 2>/dev/null; then
    echo "$venv/bin/python"
    exit 0
fi

rm -rf "$venv"
"$(pick_plain_python)" -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" </dev/null >&2 ||
    die "pip install -r $requirements failed"
"$venv/bin/python" -c 'import aws_msk_iam_sasl_signer, moto' ||
    die "the aws venv cannot import aws_msk_iam_sasl_signer and moto"
echo "$want" >"$stamp"
echo "$venv/bin/python"
