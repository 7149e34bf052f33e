#!/usr/bin/env bash
# The whole suite, the README's second command: type check, lint, unit (ML on wasm, then on
# tfjs-node where it loads), integration once per database (SQLite, then a throwaway
# PostgreSQL cluster on a loopback port), the browser tests against the built app, and a quick
# benchmark run.
# With --fast (npm run test:fast), the edit loop's tier: type check, then the unit suite and the
# SQLite integration suites without the slow files (*.slow.test.ts: real `npm start` servers,
# training runs); the slow tier is those files, PostgreSQL, the browser tests and the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
FAST=0
case "${1:-}" in
  --fast) FAST=1 ;;
  '') ;;
  *) echo "usage: scripts/test.sh [--fast]" >&2; exit 2 ;;
esac
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
RESULTS=$(mktemp -d /tmp/fewshot-test.XXXXXX)
export TEST_RESULTS_DIR="$RESULTS"
PG_DIR=""

cleanup() {
  if [[ -n "$PG_DIR" && -f "$PG_DIR/data/postmaster.pid" ]]; then
    run_pg pg_ctl -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [[ -n "$PG_DIR" ]] && rm -rf "$PG_DIR"
  rm -rf "$RESULTS"
}
trap cleanup EXIT INT TERM

# PostgreSQL refuses to run as root: run its tools as the postgres user when we are root.
run_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local b
  for b in /usr/lib/postgresql/*/bin; do [[ -x "$b/initdb" ]] && { echo "$b"; return; }; done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

# The fast tier needs only the unit suites' packages (no browser, PostgreSQL or PyTorch reference).
ensure_packages() {
  local missing=()
  [[ -d /usr/share/datasets/fashion-mnist ]] || missing+=(dataset-fashion-mnist)
  [[ -f /usr/lib/python3/dist-packages/skimage/data/astronaut.png ]] || missing+=(python3-skimage)
  if ((!FAST)); then
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    [[ -n "$(pg_bin)" ]] || missing+=(postgresql)
    [[ -d /usr/lib/python3/dist-packages/torch ]] || missing+=(python3-torch)
  fi
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
      echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
      exit 1
    fi
    echo "== installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start_postgres() {
  local bin port
  bin=$(pg_bin)
  port=$(free_port)
  PG_DIR=$(mktemp -d /tmp/fewshot-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres "$PG_DIR"
  run_pg "$bin/initdb" -D "$PG_DIR/data" -U fewshot --auth=trust -E UTF8 >/dev/null
  run_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c full_page_writes=off" start >/dev/null
  export TEST_PG_URL="postgresql://fewshot@127.0.0.1:$port/postgres"
  echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

# Runs vitest on the given paths and records the counts under a label for the summary.
suite() {
  local label=$1; shift
  echo "== $label"
  local status=0
  npx vitest run --reporter=default --reporter=json --outputFile="$RESULTS/$label.json" "$@" || status=$?
  node scripts/test-summary.mjs "$label" "$RESULTS/$label.json"
  return $status
}

# The closing lines: the test counts, then every step that failed by name. A step fails on a
# non-zero exit even when no test failed (lint, a file that does not load, an unhandled error).
finish() {
  node scripts/test-summary.mjs --total "$RESULTS"
  if ((${#FAILED[@]})); then echo "FAILED: ${FAILED[*]}"; exit 1; fi
  echo "all steps passed"
  exit 0
}

tfjs_node_loads() {
  TF_ENABLE_ONEDNN_OPTS=0 node -e "require('@tensorflow/tfjs-node')" >/dev/null 2>&1
}

# The data sets the tests read from ../shared/data: one message naming what is missing, before anything runs.
npx tsx tests/helpers/check-data.ts || exit 1
ensure_packages
FAILED=()
# Suites that need a database run once per database; everything else is a unit suite.
DB_SUITES=(tests/db tests/service tests/http)
EXCLUDE_DB=(--exclude 'tests/db/**' --exclude 'tests/service/**' --exclude 'tests/http/**')

echo "== type check"; npx tsc --noEmit || FAILED+=(typecheck)
if ((FAST)); then
  SLOW=(--exclude 'tests/**/*.slow.test.ts')
  ML_BACKEND=wasm suite unit "${EXCLUDE_DB[@]}" "${SLOW[@]}" || FAILED+=(unit)
  TEST_DB=sqlite ML_BACKEND=wasm suite sqlite "${DB_SUITES[@]}" "${SLOW[@]}" || FAILED+=(sqlite)
  finish
fi
echo "== lint"; npx eslint --max-warnings=0 . || FAILED+=(lint)

ML_BACKEND=wasm suite unit "${EXCLUDE_DB[@]}" || FAILED+=(unit)
if tfjs_node_loads; then
  ML_BACKEND=tensorflow suite unit-tensorflow tests/embedder tests/training || FAILED+=(unit-tensorflow)
else
  echo "== unit-tensorflow: skipped, @tensorflow/tfjs-node does not load here (npm run build:tfjs-node builds it)"
fi

start_postgres
TEST_DB=sqlite ML_BACKEND=wasm suite sqlite "${DB_SUITES[@]}" || FAILED+=(sqlite)
TEST_DB=postgresql ML_BACKEND=wasm suite postgresql "${DB_SUITES[@]}" || FAILED+=(postgresql)

echo "== e2e: Playwright in /usr/bin/chromium against npm start (which builds the app when stale)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/e2e.json" npx playwright test --reporter=list,json || FAILED+=(e2e)
node scripts/test-summary.mjs e2e "$RESULTS/e2e.json"

# The benchmarks are measurements, not tests: the quick run only proves they still run end to end.
echo "== bench: npm run bench -- --quick (results under bench/results/quick/)"
if npm run --silent bench -- --quick; then echo "bench: quick run completed"; else echo "bench: quick run FAILED"; FAILED+=(bench); fi

finish
