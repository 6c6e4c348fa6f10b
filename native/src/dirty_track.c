/* Dirty ring for workers of large guests (see dirty_track.h). */
#include "dirty_track.h"
#include "engine.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int dt_wanted(const struct vm *vm) {
  static int avail = -1;
  if (!vm->is_worker || vm->mem_size < DT_MIN_BYTES || getenv("ISOBENCH_DIRTY_LOG")) return 0;
  if (avail < 0) avail = dirty_ring_available(vm->vm_fd);
  return avail;
}

/* DT_ENTRIES, or ISOBENCH_DIRTY_RING_ENTRIES (a power of two from 1024: tests fill the ring) */
static uint32_t dt_entries(void) {
  const char *e = getenv("ISOBENCH_DIRTY_RING_ENTRIES");
  unsigned long n = e ? strtoul(e, NULL, 10) : 0;
  return n >= 1024 && n <= DT_ENTRIES && !(n & (n - 1)) ? (uint32_t)n : DT_ENTRIES;
}

int dt_enable(struct vm *vm) {
  uint32_t n = dt_entries();
  int e = dirty_ring_enable(vm->vm_fd, n);
  if (e < 0) { ib_set_error("KVM dirty ring (%u entries): %s", n, strerror(-e)); return -1; }
  vm->dt.wanted = 1;
  return 0;
}

int dt_map(struct vm *vm) {
  int e = dirty_ring_map(&vm->dt.ring, vm->vcpu_fd, dt_entries());
  if (e < 0) { ib_set_error("mapping the KVM dirty ring: %s", strerror(-e)); return -1; }
  return 0;
}

void dt_note(struct vm *vm, uint64_t page) {
  struct dirty_track *d = &vm->dt;
  if (d->n == d->cap) {
    uint64_t cap = d->cap ? d->cap * 2 : 4096;
    uint32_t *p = realloc(d->pages, cap * sizeof(*p));
    if (!p) { d->overflow = 1; return; } /* the host bitmap still has the page: fork.c walks it */
    d->pages = p;
    d->cap = cap;
  }
  d->pages[d->n++] = (uint32_t)page;
}

static void mark(void *ctx, uint32_t slot, uint64_t page) {
  struct vm *vm = ctx;
  if (slot == 0 && page < vm->npages) dt_note(vm, page);
}

uint64_t dt_harvest(struct vm *vm) {
  if (vm->dt.ring.gfns) dirty_ring_collect(&vm->dt.ring, mark, vm);
  return vm->dt.n;
}

void dt_ring_full(struct vm *vm) {
  dt_harvest(vm);
  dirty_ring_rearm(vm->vm_fd);
  vm->dt.ring_full++;
}

void dt_free(struct vm *vm) {
  dirty_ring_unmap(&vm->dt.ring);
  free(vm->dt.pages);
  memset(&vm->dt, 0, sizeof(vm->dt));
}
