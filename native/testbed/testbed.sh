#!/usr/bin/env bash
# The engine's hardware-path test bed: boots Debian's kernel under QEMU's software emulation
# (TCG, AMD SVM + nested paging), loads kvm_amd, shares the host's root read-only and this checkout
# read-write at the same path, chroots into the host root and runs native/testbed/inside.sh there.
# Every test's result comes back through files in results/testbed/ (not the console), and this
# script prints the per-test table and exits non-zero on any failure, a hung guest, or zero tests.
# Usage and options: native/testbed/README.md (or --help).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CPU=max
# one vCPU by default: with two, the guest kernel was seen to stall for minutes in soft lockups
# (kworker and rcu_preempt stuck on both vCPUs) under TCG on a busy 2-core host
SMP=1
TIMEOUT=5400
PARTS="exitpath c koffi server python deno node gate figures"
FIGURE_REQUESTS=200
FIGURE_SCENARIOS="python-wsgi deno-react-ssr"
RESULTS="$REPO/results/testbed"
INJECT=0
EXEC=

usage() {
  cat <<EOF
Usage: native/testbed/testbed.sh [--cpu MODEL] [--smp N] [--timeout SECONDS] [--parts "P..."] [--figure-requests N] [--inject-exit]
  --cpu MODEL          QEMU CPU model (default max; max,-pku reproduces a host without PKU)
  --timeout SECONDS    kill the guest after this long and report the test that hung (default $TIMEOUT)
  --parts "P..."       parts to run, in order (default: $PARTS)
  --figure-requests N  measured requests per row of the deterministic engine figures (default $FIGURE_REQUESTS)
  --figure-scenarios "S..."  scenarios of the figures part (default: $FIGURE_SCENARIOS)
  --inject-exit        the figures run with one extra VM exit per request (to prove the gate catches it)
  --exec "COMMAND"     run only COMMAND inside (bash, in the checkout, ISOBENCH_REQUIRE_KVM=1): reproduce a failure
Results: $RESULTS/ (summary.json, tests.jsonl, engine-figures.json, console.log)
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) CPU=${2:?--cpu needs a model}; shift 2 ;;
    --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
    --smp) SMP=${2:?--smp needs a count}; shift 2 ;;
    --parts) PARTS=${2:?--parts needs a list}; shift 2 ;;
    --figure-requests) FIGURE_REQUESTS=${2:?--figure-requests needs N}; shift 2 ;;
    --figure-scenarios) FIGURE_SCENARIOS=${2:?--figure-scenarios needs a list}; shift 2 ;;
    --inject-exit) INJECT=1; shift ;;
    --exec) EXEC=${2:?--exec needs a command}; PARTS=exec; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "testbed: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || { echo "testbed: --timeout must be a whole number of seconds" >&2; exit 2; }
[[ "$FIGURE_REQUESTS" =~ ^[1-9][0-9]*$ ]] || { echo "testbed: --figure-requests must be a whole number" >&2; exit 2; }
for p in $PARTS; do
  case " exitpath c koffi server python deno node gate figures exec " in *" $p "*) ;; *) echo "testbed: unknown part $p" >&2; exit 2 ;; esac
done

need() { command -v "$1" >/dev/null || { echo "testbed: $1 not found (apt-get install -y --no-install-recommends $2)" >&2; exit 2; }; }
need qemu-system-x86_64 qemu-system-x86
need cpio cpio
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || { echo "testbed: no static /bin/busybox (apt-get install busybox-static)" >&2; exit 2; }
# the newest Debian kernel that has both an image and its modules
KVER=
for k in $(ls /lib/modules 2>/dev/null | sort -V -r); do
  if [ -r "/boot/vmlinuz-$k" ] && [ -f "/lib/modules/$k/modules.dep" ]; then KVER=$k; break; fi
done
[ -n "$KVER" ] || { echo "testbed: no kernel with modules under /boot and /lib/modules (apt-get install linux-image-amd64)" >&2; exit 2; }

# initramfs: busybox, the module closure of kvm_amd + 9p over virtio, and init.sh; cached per
# kernel version and hash of the files it is made of, so every checkout shares it
KEY=$(cat "$HERE/init.sh" "$0" /bin/busybox | sha256sum | cut -c1-16)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/isobench-testbed/$KVER-$KEY"
IMG="$CACHE/initrd.gz"
if [ ! -s "$IMG" ]; then
  echo "testbed: building the initramfs for $KVER into $CACHE"
  mkdir -p "$CACHE"
  R=$(mktemp -d "$CACHE/root.XXXXXX")
  trap 'rm -rf "$R"' EXIT
  mkdir -p "$R"/{bin,proc,sys,dev,host}
  cp /bin/busybox "$R/bin/busybox"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
  mods=$(for m in virtio_pci 9pnet_virtio 9p kvm_amd; do modprobe -S "$KVER" --show-depends "$m"; done | awk '$1 == "insmod" { print $2 }' | sort -u)
  for m in $mods; do mkdir -p "$R$(dirname "$m")"; cp "$m" "$R$m"; done
  for f in modules.order modules.builtin modules.builtin.modinfo; do
    [ -f "/lib/modules/$KVER/$f" ] && cp "/lib/modules/$KVER/$f" "$R/lib/modules/$KVER/"
  done
  depmod -b "$R" "$KVER"
  install -m 755 "$HERE/init.sh" "$R/init"
  (cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 > "$IMG.tmp") && mv "$IMG.tmp" "$IMG"
  rm -rf "$R"; trap - EXIT
fi

# the engine is built on the host (fast) so the guest only runs it
echo "testbed: building the engine on the host"
make -s -C "$REPO/native" all build/test/engine_tests build/test/engine_tests_asan >/dev/null
(cd "$REPO" && node --import tsx harness/build-scenarios.ts >/dev/null) # the Deno bundle the figures part serves

rm -rf "$RESULTS"; mkdir -p "$RESULTS"
# what the guest needs from this shell (the kernel command line is too short for it)
{
  printf 'export PATH=%q\n' "$PATH"
  printf 'export TB_REPO=%q TB_RESULTS=%q TB_PARTS=%q TB_FIGURE_REQUESTS=%q TB_INJECT=%q TB_CPU=%q TB_EXEC=%q TB_FIGURE_SCENARIOS=%q\n' \
    "$REPO" "$RESULTS" "$PARTS" "$FIGURE_REQUESTS" "$INJECT" "$CPU" "$EXEC" "$FIGURE_SCENARIOS"
} > "$RESULTS/env.sh"

# no_timer_check: on a loaded host the kernel's early IO-APIC timer check can miss its ticks under
# TCG and panic ("IO-APIC + timer doesn't work"), as it did once in six boots here (2026-12-02)
echo "testbed: booting $KVER under qemu -accel tcg -cpu $CPU -smp $SMP (timeout ${TIMEOUT}s)"
start_ns=$(date +%s%N)
set +e
timeout --signal=KILL "$TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -machine q35 -cpu "$CPU" -m 8G -smp "$SMP" \
  -nographic -no-reboot -nic none -kernel "/boot/vmlinuz-$KVER" -initrd "$IMG" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 no_timer_check TB_RESULTS=$RESULTS" \
  -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap,id=h \
  -virtfs local,path="$REPO",mount_tag=work,security_model=none,multidevs=remap,id=w \
  </dev/null 2>&1 | tee "$RESULTS/console.log"
qemu_rc=${PIPESTATUS[0]}
set -e
wall_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

TB_PARTS="$PARTS" TB_EXEC="$EXEC" exec node "$HERE/report.mjs" "$RESULTS" "$qemu_rc" "$wall_ms" "$CPU" "$KVER"
