/* Dirty tracking with KVM's dirty ring for workers of large guests (Deno: 80 GiB sparse), where
 * the dirty log's bitmaps cost ~1 ms per request (GET_DIRTY_LOG + walks over 2.5 MiB). Pages
 * dirtied since the last collection, from the ring and from host writes (gm_mark_dirty), are kept
 * as a list in vm->dt (may repeat); fork.c folds it into the worker's private set (also a list).
 * Re-arming (write-protect again) happens only at a full reset or when the ring fills, so pages of
 * the private set stay writable between requests, as with the dirty log in manual-protect mode. */
#ifndef IB_DIRTY_TRACK_H
#define IB_DIRTY_TRACK_H
#include <stdint.h>

struct vm;

#define DT_MIN_BYTES (4ULL << 30) /* guests from this size use the ring */
#define DT_ENTRIES 65536u         /* 1 MiB per worker (this KVM's maximum) */

/* 1 when this worker should use the ring (large guest, KVM offers it, ISOBENCH_DIRTY_LOG unset) */
int dt_wanted(const struct vm *vm);
/* before KVM_CREATE_VCPU / after it: 0 or -1 with ib_set_error */
int dt_enable(struct vm *vm);
int dt_map(struct vm *vm);
/* a page the host wrote (called by gm_mark_dirty when the page's host bit was clear) */
void dt_note(struct vm *vm, uint64_t page);
/* moves the ring's entries into the list (no re-arm); returns list length */
uint64_t dt_harvest(struct vm *vm);
/* KVM_EXIT_DIRTY_RING_FULL: harvest, then re-arm so the ring can take entries again */
void dt_ring_full(struct vm *vm);
void dt_free(struct vm *vm);

#endif
