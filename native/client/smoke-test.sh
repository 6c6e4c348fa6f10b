#!/usr/bin/env bash
# Runs the client against the trivial server: every request must succeed and be reported.
set -euo pipefail
bin=$1
out=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$out"' EXIT
"$bin/isobench-trivial-server" --port 0 >"$out/server.txt" &
server=$!
for _ in $(seq 100); do grep -q listening "$out/server.txt" 2>/dev/null && break; sleep 0.05; done
port=$(awk '/listening/ {print $2}' "$out/server.txt")
"$bin/isobench-client" --port "$port" --path /x --connections 4 --requests 200 --sample-every 50 >"$out/client.txt"
ok=$(grep -c '^R [0-9]* 200$' "$out/client.txt" || true)
samples=$(grep -c '^S 200 ' "$out/client.txt" || true)
grep -q '^D 200 0 ' "$out/client.txt" || { echo "client summary wrong:"; tail -n 3 "$out/client.txt"; exit 1; }
[ "$ok" = 200 ] && [ "$samples" = 4 ] || { echo "expected 200 responses and 4 samples, got $ok and $samples"; exit 1; }
# a refused connection is reported as an error of kind connect, not a crash
"$bin/isobench-client" --port 1 --requests 3 >"$out/refused.txt"
[ "$(grep -c '^E connect$' "$out/refused.txt")" = 3 ] || { echo "refused connections not reported"; exit 1; }
# bad flags exit 2
if "$bin/isobench-client" --port 0 --requests 1 2>/dev/null; then echo "bad port accepted"; exit 1; fi
echo "client smoke test: ok ($ok responses, $samples samples)"
