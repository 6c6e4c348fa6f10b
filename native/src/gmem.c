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
    if (vm->dt.ring.gfns && !(vm->host_dirty[p / 64] & bit)) dt_note(vm, p); /* ring mode: listed too */
    vm->host_dirty[p / 64] |= bit;
  }
}

const void *gm_read_ptr(const struct vm *vm, uint64_t gva, uint64_t len) {
  return gm_valid(vm, gva, len) ? vm->mem + gva : NULL;
}

void *gm_write_ptr(struct vm *vm, uint64_t gva, uint64_t len) {
  if (!gm_valid(vm, gva, len)) return NULL;
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
