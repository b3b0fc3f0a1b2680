#!/usr/bin/env bash
# Runs schemathesis against the live OpenAPI spec of a freshly started
# server, with a valid API key: no 5xx, and every response as documented.
# Usage: bash tests/schemathesis.sh [path/to/termino] [seconds]
set -euo pipefail

bin=${1:-target/debug/termino}
seconds=${2:-60}
port=18199
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT

export TERMINO_DATA_DIR="$dir/data" TERMINO_LISTEN="127.0.0.1:$port"
# Fuzzing sends thousands of requests a minute from one key.
export TERMINO_RATE_LIMIT_PER_KEY=1000000 TERMINO_RATE_LIMIT_PUBLIC=1000000
unset DATABASE_URL KEYSTORE_URL REDIS_URL TERMINO_MASTER_KEY TERMINO_MASTER_KEY_FILE

"$bin" tenant create --slug schemathesis --name "Schemathesis" \
    --owner-email owner@schemathesis.example.com --password "Schemat-Test-Haslo-2026" >/dev/null
key=$("$bin" api-key create --tenant schemathesis --name schemathesis | tail -n 1)
"$bin" serve >"$dir/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
    sleep 0.2
done

# The interpreter's own scripts folder: found even where a version manager
# (pyenv) has not put a shim for a freshly installed tool on PATH yet.
st="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/schemathesis"
[ -x "$st" ] || st=schemathesis
"$st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    -H "Authorization: Bearer $key" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
    --phases coverage,fuzzing --max-time "$seconds" --workers 2 --seed 20261122
