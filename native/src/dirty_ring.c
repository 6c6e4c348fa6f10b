/* KVM dirty ring (see dirty_ring.h). */
#include "dirty_ring.h"
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int ring_cap(int fd) {
  if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_ACQ_REL) > 0) return KVM_CAP_DIRTY_LOG_RING_ACQ_REL;
  if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING) > 0) return KVM_CAP_DIRTY_LOG_RING;
  return 0;
}

int dirty_ring_available(int kvm_fd) { return ring_cap(kvm_fd) != 0; }

int dirty_ring_enable(int vm_fd, uint32_t entries) {
  if (!entries || (entries & (entries - 1))) return -EINVAL;
  int cap = ring_cap(vm_fd);
  if (!cap) return -ENOTSUP;
  struct kvm_enable_cap c = {.cap = (uint32_t)cap};
  c.args[0] = (uint64_t)entries * sizeof(struct kvm_dirty_gfn);
  return ioctl(vm_fd, KVM_ENABLE_CAP, &c) < 0 ? -errno : 0;
}

int dirty_ring_map(struct dirty_ring *r, int vcpu_fd, uint32_t entries) {
  r->gfns = NULL;
  r->entries = entries;
  r->next = 0;
  r->map_len = (size_t)entries * sizeof(struct kvm_dirty_gfn);
  void *p = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, (off_t)KVM_DIRTY_LOG_PAGE_OFFSET * getpagesize());
  if (p == MAP_FAILED) return -errno;
  r->gfns = p;
  return 0;
}

long dirty_ring_harvest(struct dirty_ring *r, int vm_fd, void (*mark)(void *ctx, uint32_t slot, uint64_t page), void *ctx) {
  long n = dirty_ring_collect(r, mark, ctx);
  if (n > 0 && dirty_ring_rearm(vm_fd) < 0) return -errno;
  return n;
}

int dirty_ring_rearm(int vm_fd) { return ioctl(vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0 ? -errno : 0; }

long dirty_ring_collect(struct dirty_ring *r, void (*mark)(void *ctx, uint32_t slot, uint64_t page), void *ctx) {
  if (!r->gfns) return -EINVAL;
  long n = 0;
  for (;;) {
    struct kvm_dirty_gfn *e = &r->gfns[r->next & (r->entries - 1)];
    /* acquire: the slot/offset KVM wrote before publishing the DIRTY flag */
    if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY)) break;
    mark(ctx, e->slot, e->offset);
    __atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
    r->next++;
    n++;
  }
  return n;
}

void dirty_ring_unmap(struct dirty_ring *r) {
  if (r->gfns) munmap(r->gfns, r->map_len);
  r->gfns = NULL;
}
