#!/usr/bin/env bash
# Azurite's blob service (the Azure Storage emulator) on loopback over HTTPS, for the demo and
# the tests that stage files in blob storage.
#
# Usage: hack/azurite.sh start DIR [--oauth]
#                                    install Azurite if needed, start it, write DIR/env.sh
#        hack/azurite.sh stop DIR    stop the Azurite started with DIR
#        hack/azurite.sh install     only install (npm, into .tmp/azurite)
#
# `start` is idempotent: with Azurite already running for DIR it only prints the endpoint.
# DIR receives the blob data, a self-signed certificate for 127.0.0.1 (cert.pem, which is
# also the CA file clients trust), azurite.pid, azurite.log, and env.sh with
# AZURITE_BLOB_ENDPOINT (https://127.0.0.1:PORT/devstoreaccount1), AZURITE_ACCOUNT,
# AZURITE_KEY (Azurite's public well-known development key) and AZURITE_CA_FILE.
# With --oauth, requests may also carry an Entra ID bearer token for storage (Azurite's `--oauth
# basic` checks the token's issuer, audience and lifetime, not its signature), so modules that
# read with their own identity, such as image_build reading customization.log from the staging
# storage account, work against it as against Azure. Off by default: with it, Azurite answers a
# wrong account key with 400 InvalidAuthenticationInfo instead of 403 AuthorizationFailure.
set -euo pipefail

install_dir=.tmp/azurite
launcher=$install_dir/node_modules/azurite/dist/src/blob/main.js
account=devstoreaccount1
# Azurite's documented development key, the same for every installation (not a secret).
account_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

die() {
    echo "hack/azurite.sh: $*" >&2
    exit 1
}

install() {
    if [[ -f $launcher ]]; then
        return
    fi
    command -v npm >/dev/null || die "npm is needed to install Azurite (apt-get install npm)"
    echo "installing Azurite into $install_dir (npm, about 30 s)"
    mkdir -p "$install_dir"
    npm install --prefix "$install_dir" --no-audit --no-fund --loglevel=error azurite >/dev/null
    [[ -f $launcher ]] || die "npm installed Azurite but $launcher is missing"
}

running_pid() {
    local pid_file=$1/azurite.pid
    [[ -f $pid_file ]] || return 1
    local pid
    pid=$(<"$pid_file")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_certificate() {
    local dir=$1
    [[ -f $dir/cert.pem && -f $dir/key.pem ]] && return
    command -v openssl >/dev/null || die "openssl is needed to make Azurite's certificate"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
}

start() {
    local dir=$1 oauth=()
    case "${2:-}" in
        --oauth) oauth=(--oauth basic) ;;
        "") ;;
        *) die "unknown option for start: $2" ;;
    esac
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if running_pid "$dir" >/dev/null; then
        # shellcheck disable=SC1091  # written by an earlier start
        source "$dir/env.sh"
        echo "Azurite already running at $AZURITE_BLOB_ENDPOINT; source $dir/env.sh"
        return
    fi
    command -v node >/dev/null || die "Node.js is needed to run Azurite"
    install
    write_certificate "$dir"
    local port
    port=$(free_port)
    node "$launcher" --blobHost 127.0.0.1 --blobPort "$port" --location "$dir/data" \
        --cert "$dir/cert.pem" --key "$dir/key.pem" \
        "${oauth[@]}" --disableTelemetry --skipApiVersionCheck --loose >"$dir/azurite.log" 2>&1 &
    echo $! >"$dir/azurite.pid"
    local deadline=$((SECONDS + 30))
    until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" \
        2>/dev/null; do
        if ! running_pid "$dir" >/dev/null; then
            cat "$dir/azurite.log" >&2
            die "Azurite exited while starting (log above)"
        fi
        ((SECONDS < deadline)) || die "Azurite did not listen on port $port within 30 s"
        sleep 0.2
    done
    cat >"$dir/env.sh" <<EOF
export AZURITE_BLOB_ENDPOINT=https://127.0.0.1:$port/$account
export AZURITE_ACCOUNT=$account
export AZURITE_KEY='$account_key'
export AZURITE_CA_FILE=$dir/cert.pem
EOF
    echo "Azurite running at https://127.0.0.1:$port/$account (pid $(<"$dir/azurite.pid")); source $dir/env.sh"
}

stop() {
    local dir=$1 pid
    if ! pid=$(running_pid "$dir"); then
        rm -f "$dir/azurite.pid"
        echo "Azurite is not running for $dir"
        return
    fi
    kill "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
    fi
    rm -f "$dir/azurite.pid"
    echo "Azurite stopped (pid $pid)"
}

case "${1:-}" in
    start) start "${2:?usage: hack/azurite.sh start DIR [--oauth]}" "${3:-}" ;;
    stop) stop "${2:?usage: hack/azurite.sh stop DIR}" ;;
    install) install ;;
    *) die "usage: hack/azurite.sh start DIR [--oauth] | stop DIR | install" ;;
esac
