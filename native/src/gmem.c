#include "gmem.h"
#include "dirty_track.h"
#include <errno.h>
#include <string.h>

int gm_valid(const struct vm *vm, uint64_t gva, uint64_t len) {
  if (gva < L_USER || gva > vm->mem_size) return 0;
  return len <= vm->mem_size - gva;
}

void gm_mark_dirty(struct vm *vm, uint64_t gpa, uint64_t len) {
  if (!vm->host_dirty || len == 0) return;
  for (uint64_t p = gpa / GPAGE, last = (gpa + len - 1) / GPAGE; p <= last && p < vm->npages; p++) {
    uint64_t bit = 1ULL << (p % 64);
    if (vm->host_dirty[p / 64] & bit) continue;
    if (vm->dt.ring.gfns) dt_note(vm, p); /* ring mode: listed too */
    if (vm->private_set && !(vm->private_set[p / 64] & bit)) vm->req_host_pages++;
    vm->host_dirty[p / 64] |= bit;
  }
}

/* pages of [gva, gva+len) a host write would add to the worker's private set */
static uint64_t new_private_pages(const struct vm *vm, uint64_t gva, uint64_t len) {
  uint64_t n = 0;
  for (uint64_t p = gva / GPAGE, last = (gva + len - 1) / GPAGE; p <= last; p++) {
    uint64_t bit = 1ULL << (p % 64);
    if (!(vm->host_dirty[p / 64] & bit) && !(vm->private_set[p / 64] & bit)) n++;
  }
  return n;
}

/* The per-request memory cap, checked before the host allocates on the guest's behalf (a copy,
 * a zero-fill, a read into guest memory): over the cap the write is refused and the request
 * stops as limit-memory, before any byte is written. The guest's own writes since the request
 * began are not in private_pages (KVM reports them at collection): vm_run's timer and the
 * dirty-ring-full exit bound those (DESIGN.md "Limits"). */
static int host_write_allowed(struct vm *vm, uint64_t gva, uint64_t len) {
  if (!vm->dirty_cap_pages || !vm->private_set || !vm->host_dirty || len == 0) return 1;
  uint64_t have = vm->private_pages + vm->req_host_pages;
  if (have + new_private_pages(vm, gva, len) <= vm->dirty_cap_pages) return 1;
  vm->ctr.limit_hits[LIM_REQUEST_MEMORY]++;
  vm->ctr.cap_host_refusals++;
  if (vm->stop == STOP_NONE)
    vm_stop(vm, STOP_LIMIT_MEM, "request memory cap: a host write of %llu KiB on the guest's behalf would take its private "
            "memory past the cap of %llu KiB (%llu KiB held)", (unsigned long long)(len >> 10),
            (unsigned long long)(vm->dirty_cap_pages * GPAGE >> 10), (unsigned long long)(have * GPAGE >> 10));
  return 0;
}

const void *gm_read_ptr(const struct vm *vm, uint64_t gva, uint64_t len) {
  return gm_valid(vm, gva, len) ? vm->mem + gva : NULL;
}

void *gm_write_ptr(struct vm *vm, uint64_t gva, uint64_t len) {
  if (!gm_valid(vm, gva, len) || !host_write_allowed(vm, gva, len)) return NULL;
  gm_mark_dirty(vm, gva, len);
  return vm->mem + gva;
}

int gm_read(const struct vm *vm, uint64_t gva, void *dst, uint64_t len) {
  const void *p = gm_read_ptr(vm, gva, len);
  if (!p) return -EFAULT;
  memcpy(dst, p, len);
  return 0;
}

int gm_write(struct vm *vm, uint64_t gva, const void *src, uint64_t len) {
  void *p = gm_write_ptr(vm, gva, len);
  if (!p) return -EFAULT;
  memcpy(p, src, len);
  return 0;
}

int gm_zero(struct vm *vm, uint64_t gva, uint64_t len) {
  void *p = gm_write_ptr(vm, gva, len);
  if (!p) return -EFAULT;
  memset(p, 0, len);
  return 0;
}

long gm_read_str(const struct vm *vm, uint64_t gva, char *dst, size_t cap) {
  if (cap == 0) return -ENAMETOOLONG;
  if (!gm_valid(vm, gva, 1)) return -EFAULT;
  uint64_t avail = vm->mem_size - gva;
  const char *src = (const char *)vm->mem + gva;
  size_t max = avail < cap ? avail : cap;
  const char *nul = memchr(src, 0, max);
  if (!nul) return avail < cap ? -EFAULT : -ENAMETOOLONG;
  size_t n = nul - src;
  memcpy(dst, src, n + 1);
  return (long)n;
}
