#!/bin/sh
# PID 1 of the test bed's initramfs (busybox). Kernel command-line words KEY=VALUE arrive as
# environment variables: TB_RESULTS is the results folder inside the shared checkout.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail() { echo "testbed: $*"; sync; poweroff -f; }
for m in virtio_pci 9pnet_virtio 9p; do modprobe "$m" || fail "modprobe $m failed"; done
# TCG emulates SVM with nested paging but not nrip_save; npt=0 (shadow paging) is far too slow
modprobe kvm_amd npt=1 nested=1 vgif=1 nrips=0 || echo "testbed: modprobe kvm_amd failed"
ip link set lo up # loopback connects fail without it
H=/host
# the host's root, read-only; cache=loose: it does not change under the guest during a run
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host $H || fail "cannot mount the host root"
mount -t devtmpfs dev $H/dev
mkdir -p $H/dev/shm $H/dev/pts
mount -t tmpfs shm $H/dev/shm
mount -t devpts pts $H/dev/pts
mount -t proc proc $H/proc
mount -t sysfs sys $H/sys
mount -t tmpfs -o size=4g tmp $H/tmp
mount -t tmpfs run $H/run
# the checkout, read-write, at its host path (found through the results folder's path)
REPO=${TB_RESULTS%/results/testbed}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 work $H$REPO || fail "cannot mount the checkout at $REPO"
chroot $H /bin/bash "$REPO/native/testbed/inside.sh"
echo "testbed: inside.sh exit $?"
sync
poweroff -f
