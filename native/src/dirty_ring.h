/* KVM dirty ring: per-vCPU dirty-page tracking whose collection cost does not grow with the
 * slot size (measured ~1.3 µs for 16 pages at 64 MiB, 1 GiB and 4 GiB, against 2.4/13/48-66 µs
 * for GET+CLEAR_DIRTY_LOG: bench/dirty_tracking_probe.c). Guests with tens of GiB of sparse
 * memory (Deno: 80 GiB for V8's cage reservation) need it: a bitmap over the slot costs ~1 ms
 * per request there.
 *
 * Used by workers of guests >= DT_MIN_BYTES (src/dirty_track.c); smaller guests keep the dirty
 * log. The integration steps, as done:
 *   1. vm_create_kvm() (kvm.c), worker branch: instead of KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, call
 *      dirty_ring_enable(vm->vm_fd, entries) BEFORE KVM_CREATE_VCPU (KVM refuses it later; with a
 *      ring KVM_GET/CLEAR_DIRTY_LOG return ENXIO); keep KVM_MEM_LOG_DIRTY_PAGES on slot 0.
 *   2. after KVM_CREATE_VCPU: dirty_ring_map(&w->ring, vm->vcpu_fd, entries).
 *   3. where fork.c now does GET_DIRTY_LOG ∪ host_dirty + CLEAR_DIRTY_LOG after a request (and in
 *      the memory-cap poll), call dirty_ring_harvest(&ring, vm_fd, mark, ctx) with `mark` setting
 *      the page's bit in the request set / since_reset (the re-arm is the KVM_RESET_DIRTY_RINGS
 *      it does); host_dirty stays as it is.
 *   4. run.c: KVM_EXIT_DIRTY_RING_FULL (exit reason 31) = harvest and re-enter (or stop the
 *      request as limit-memory if the pages harvested this request pass the cap: a natural
 *      per-request memory cap instead of the 2 ms poll).
 *   5. since_reset could then be kept as a list of pages as well as a bitmap, so `pages` reset
 *      walks the restored pages, not a 2.5 MiB bitmap.
 *   6. destroy: dirty_ring_unmap().
 * Entries: a power of two; one entry per page dirtied between two harvests (4096 entries =
 * 64 KiB per worker covers the Deno page request's ~2700 pages; a full ring only costs an exit). */
#ifndef IB_DIRTY_RING_H
#define IB_DIRTY_RING_H
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct dirty_ring {
  struct kvm_dirty_gfn *gfns; /* NULL = not mapped */
  uint32_t entries;           /* power of two */
  uint32_t next;              /* index of the next entry to harvest (free-running) */
  size_t map_len;
};

/* 1 when this KVM offers a dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL or KVM_CAP_DIRTY_LOG_RING) */
int dirty_ring_available(int kvm_fd);
/* enables the ring on a VM with no vCPU yet: 0 or -errno */
int dirty_ring_enable(int vm_fd, uint32_t entries);
/* maps the vCPU's ring: 0 or -errno */
int dirty_ring_map(struct dirty_ring *r, int vcpu_fd, uint32_t entries);
/* collects every page dirtied since the last harvest (mark is called once per entry: a page
 * written again after being harvested shows up again), hands the entries back to KVM and
 * re-arms write tracking of those pages (KVM_RESET_DIRTY_RINGS). Returns the entry count or
 * -errno. */
long dirty_ring_harvest(struct dirty_ring *r, int vm_fd, void (*mark)(void *ctx, uint32_t slot, uint64_t page), void *ctx);
/* the two halves of dirty_ring_harvest: collect marks the entries harvested (KVM does not reuse
 * them, and the pages stay writable without further entries), rearm hands every harvested entry
 * back and write-protects those pages again (KVM_RESET_DIRTY_RINGS) */
long dirty_ring_collect(struct dirty_ring *r, void (*mark)(void *ctx, uint32_t slot, uint64_t page), void *ctx);
int dirty_ring_rearm(int vm_fd);
void dirty_ring_unmap(struct dirty_ring *r);

#endif
