#!/usr/bin/env bash
# Instructions per request of one benchmark app, counted by valgrind's callgrind: repeatable where timings on a
# shared machine are not (the count does not depend on what else the machine is doing). Not part of `npm run bench`
# (it takes a few minutes per route); run `npm run bench` once first so that bench/dist exists.
#
#   bench/instructions-per-request.sh <express|fastify> <app> <path> [requests]
#   bench/instructions-per-request.sh fastify oso /oso/route
#
# Apps and paths are those of bench/support/http-server.ts and oso-apps.ts. The server runs under callgrind with
# instrumentation off, takes `requests` keep-alive requests to warm up (V8 optimises while valgrind is slow), then
# counts the next `requests`. The count includes garbage collection and any late optimisation, but not cache misses
# (unless CACHE_SIM, below):
# compare it with the side-by-side throughput of `npm run bench`, not instead of it. On Express a full collection
# falls inside the counted requests or not, which moves the count by up to 5%.
#
# With KEEP=<dir>, the server also writes V8's map of its compiled code (`--perf-basic-prof`) and the counts, the
# map and the number of requests are kept in <dir>, for `node bench/dist/instructions-by-function.js <dir>`. With
# CACHE_SIM=1, callgrind also simulates the caches (first-level instruction and data misses: EVENT=I1mr or D1mr there).
set -euo pipefail
platform=$1 app=$2 path=$3 requests=${4:-2500}
here=$(cd "$(dirname "$0")" && pwd)
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
trap 'kill "$server" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
node_flags=()
[ -z "${KEEP:-}" ] || node_flags=(--perf-basic-prof --logfile="$work/v8.log" --no-logfile-per-isolate)

valgrind --tool=callgrind ${CACHE_SIM:+--cache-sim=yes} --instr-atstart=no --callgrind-out-file="$work/callgrind.out" \
  node "${node_flags[@]}" "$here/dist/support/http-server.js" "$platform" "$app" >"$work/port" 2>"$work/valgrind.log" < <(sleep 3600) &
server=$!
for _ in $(seq 1 150); do [ -s "$work/port" ] && break; sleep 2; done
port=$(head -1 "$work/port")
[ -n "$port" ] || { echo "the server did not start; see $work/valgrind.log" >&2; exit 1; }

urls() { for _ in $(seq 1 "$1"); do printf -- '-o /dev/null http://127.0.0.1:%s%s\n' "$port" "$path"; done; }
statuses() { curl -s -w '%{http_code}\n' $(urls "$1") | sort | uniq -c | tr -s ' \n' ' '; }
statuses "$requests" >/dev/null
callgrind_control -i on "$server" >/dev/null 2>&1
seen=$(statuses "$requests")
callgrind_control -i off "$server" >/dev/null 2>&1
callgrind_control -d "$server" >/dev/null 2>&1
sleep 1
if [ -n "${KEEP:-}" ]; then
  echo "$requests" >"$work/requests"
  mv "/tmp/perf-$server.map" "$work/"
fi
total=$(cat "$work"/callgrind.out.* | awk '/^totals:/ { sum += $2 } END { print sum }')
echo "$platform $app $path: $((total / requests)) instructions per request (statuses:$seen)"
