#!/bin/bash
# Runs inside the test bed's VM, chrooted into the host's root (read-only) with the checkout
# mounted read-write at its host path. Each part leaves its results in $TB_RESULTS (the host reads
# them after power-off): parts.jsonl (one line per part: name, exit status, seconds), the node
# reporter's <part>.jsonl, the C tests' output, and engine-figures.json.
set -u
export R=${TB_RESULTS:?}
# shellcheck disable=SC1091
. "$R/env.sh"
cd "$TB_REPO" || exit 1
export HOME=/tmp/home CI=1 ISOBENCH_REQUIRE_KVM=1
# endurance tests (server, python, deno): 200 requests per mode instead of 1,000 (README.md)
export ISOBENCH_ENDURANCE_REQUESTS=${ISOBENCH_ENDURANCE_REQUESTS:-200}
mkdir -p "$HOME"
uptime_s() { cut -d' ' -f1 /proc/uptime; }
echo "{\"bootSeconds\":$(uptime_s),\"kernel\":\"$(uname -r)\",\"devKvm\":$([ -c /dev/kvm ] && echo true || echo false),\"cpuFlags\":\"$(grep -m1 -o -w 'svm\|npt\|pku' /proc/cpuinfo | sort -u | tr '\n' ' ')\"}" > "$R/guest.json"
echo "testbed: guest up after $(uptime_s) s; /dev/kvm: $(ls -l /dev/kvm 2>&1)"

NODE_TEST=(node --import tsx --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout
  --test-reporter=./test/support/jsonl-reporter.mjs)

# part NAME LIMIT_SECONDS CMD...: runs one part under a time limit, records its outcome
part() {
  local name=$1 limit=$2; shift 2
  echo "$name" > "$R/current"
  echo "testbed: == $name (limit ${limit}s)"
  local t0 rc
  t0=$(uptime_s)
  timeout --signal=KILL "$limit" "$@"
  rc=$?
  echo "{\"part\":\"$name\",\"exitStatus\":$rc,\"timedOut\":$([ $rc -eq 137 ] && echo true || echo false),\"seconds\":$(echo "$(uptime_s) $t0" | awk '{printf "%.1f", $1 - $2}')}" >> "$R/parts.jsonl"
  rm -f "$R/current"
  echo "testbed: == $name exit $rc"
}

node_part() {
  local name=$1 limit=$2; shift 2
  part "$name" "$limit" "${NODE_TEST[@]}" --test-reporter-destination="$R/$name.jsonl" "$@"
}

# the exit path the engine's start-up probe chose, from a static guest run to its ready point
exitpath() {
  native/build/isobench-run --counters "$R/exitpath.json" -- native/build/guests/reqs
}

figures() {
  local inject=()
  [ "$TB_INJECT" = 1 ] && inject=(--set engineInjectExit=true)
  local scenarios=()
  for s in $TB_FIGURE_SCENARIOS; do scenarios+=(--scenario "$s"); done
  node --import tsx harness/cli.ts run --no-tui --no-pin --no-isolation "${scenarios[@]}" \
    --target kvm-persist --target kvm-pages --target kvm-full --target kvm-hybrid \
    --requests "$TB_FIGURE_REQUESTS" --warmup 20 --ready-timeout 300 "${inject[@]}" --out "$R/engine-figures.json"
}

export -f exitpath figures
for p in $TB_PARTS; do
  case "$p" in
    exitpath) part exitpath 120 bash -c exitpath ;;
    c) part c 1200 make -C native test ;;
    koffi) node_part koffi 1500 test/engine/*.test.ts ;;
    server) node_part server 900 test/engine-server/*.test.ts ;;
    python) node_part python 1500 test/engine-python/*.test.ts ;;
    deno) node_part deno 1500 test/engine-deno/*.test.ts ;;
    node) node_part node 1500 test/engine-node/*.test.ts ;;
    gate) node_part gate 900 test/engine-gate/*.test.ts ;;
    figures) part figures 1500 bash -c figures ;;
    exec) part exec 3600 bash -c "$TB_EXEC" ;;
  esac
done
sync
