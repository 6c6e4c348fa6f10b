/* brk, anonymous mmap/munmap, mprotect/madvise. Memory handed to the guest must read as zeros:
 * the master punches holes in its memfd; a worker drops its private pages (MADV_DONTNEED: they
 * revert to the master's contents) and zeroes what the frozen master had allocated there. */
#include "syscall.h"
#include "sys_mem.h"
#include "pt_prot.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#define PAGE_UP(x) (((x) + GPAGE - 1) & ~(GPAGE - 1))

static void zero_intersection(struct vm *vm, uint64_t a, uint64_t len, uint64_t s, uint64_t slen) {
  uint64_t lo = a > s ? a : s, hi = (a + len) < (s + slen) ? (a + len) : (s + slen);
  if (lo < hi) gm_zero(vm, lo, hi - lo);
}

void mem_zero_range(struct vm *vm, uint64_t addr, uint64_t len) {
  if (!len || !gm_valid(vm, addr, len)) return;
  if (!vm->is_worker) {
    fallocate(vm->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)addr, (off_t)len);
    return;
  }
  madvise(vm->mem + addr, len, MADV_DONTNEED);
  const struct guest_proc *b = vm->baseline;
  if (!b) return;
  for (uint32_t i = 0; i < b->amap.n; i++) zero_intersection(vm, addr, len, b->amap.ext[i].start, b->amap.ext[i].len);
  zero_intersection(vm, addr, len, b->brk_start, PAGE_UP(b->brk_cur) - b->brk_start);
}

long mem_map(struct vm *vm, uint64_t addr, uint64_t len, int fixed, int noreplace) {
  return mem_map_prot(vm, addr, len, fixed, noreplace, PT_PROT_RWX);
}

long mem_map_prot(struct vm *vm, uint64_t addr, uint64_t len, int fixed, int noreplace, int prot) {
  struct guest_proc *p = &vm->proc;
  if (len == 0) return -EINVAL;
  len = PAGE_UP(len);
  if (fixed) {
    if (addr % GPAGE) return -EINVAL;
    if (addr < p->mmap_lo || addr > p->mmap_hi || len > p->mmap_hi - addr) return -ENOMEM;
    if (alloc_overlaps(&p->amap, addr, len)) {
      if (noreplace) return -EEXIST;
      if (alloc_remove(&p->amap, addr, len) < 0) return -ENOMEM;
    }
    mem_zero_range(vm, addr, len);
  } else {
    addr = alloc_find(&p->amap, p->mmap_lo, p->mmap_hi, len);
    if (!addr) {
      vm->ctr.limit_hits[LIM_VM_MEMORY]++;
      return -ENOMEM;
    }
  }
  if (alloc_insert(&p->amap, addr, len) < 0) return -ENOMEM;
  p->generation++;
  if (pt_protect(vm, addr, len, prot) < 0) { /* page-table pool exhausted */
    alloc_remove(&p->amap, addr, len);
    pt_protect(vm, addr, len, 0);
    return -ENOMEM;
  }
  return (long)addr;
}

void mem_hide_unmapped(struct vm *vm) {
  const struct guest_proc *p = &vm->proc;
  uint64_t at = p->mmap_lo;
  for (uint32_t i = 0; i <= p->amap.n; i++) {
    uint64_t end = i < p->amap.n ? p->amap.ext[i].start : p->mmap_hi;
    if (end > p->mmap_hi) end = p->mmap_hi;
    if (end > at) pt_protect(vm, at, end - at, 0); /* pool exhausted: stays mapped, as before */
    if (i < p->amap.n && p->amap.ext[i].start + p->amap.ext[i].len > at) at = p->amap.ext[i].start + p->amap.ext[i].len;
  }
}

long mem_unmap(struct vm *vm, uint64_t addr, uint64_t len) {
  struct guest_proc *p = &vm->proc;
  if (addr % GPAGE || len == 0) return -EINVAL;
  len = PAGE_UP(len);
  if (addr < p->mmap_lo || addr >= p->mmap_hi) return 0; /* not ours: nothing mapped there */
  if (len > p->mmap_hi - addr) len = p->mmap_hi - addr;
  if (!alloc_overlaps(&p->amap, addr, len)) return 0;
  if (alloc_remove(&p->amap, addr, len) < 0) return -ENOMEM;
  mem_zero_range(vm, addr, len);
  p->generation++;
  pt_protect(vm, addr, len, 0); /* not present; pool exhausted: left as it was (counted), reads zeros */
  return 0;
}

#define LX_MAP_SHARED 0x01
#define LX_MAP_PRIVATE 0x02
#define LX_MAP_FIXED 0x10
#define LX_MAP_ANONYMOUS 0x20
#define LX_MAP_FIXED_NOREPLACE 0x100000

static long sys_munmap(struct vm *vm, const uint64_t a[6]) { return mem_unmap(vm, a[0], a[1]); }

static long sys_brk(struct vm *vm, const uint64_t a[6]) {
  struct guest_proc *p = &vm->proc;
  uint64_t want = a[0];
  if (want < p->brk_start) return (long)p->brk_cur;
  if (want > p->brk_max) {
    vm->ctr.limit_hits[LIM_VM_MEMORY]++;
    return (long)p->brk_cur;
  }
  uint64_t old_top = PAGE_UP(p->brk_cur), new_top = PAGE_UP(want);
  if (new_top < old_top) mem_zero_range(vm, new_top, old_top - new_top);
  p->brk_cur = want;
  p->generation++;
  return (long)want;
}

#define LX_PROT_KNOWN (PT_PROT_RWX | 0x8 /* PROT_SEM */ | 0x01000000 /* GROWSDOWN */ | 0x02000000 /* GROWSUP */)
/* enforced on the guest's page tables (pt_prot.c). Ranges outside guest user memory: ENOMEM, as
 * Linux answers for unmapped ranges (the low 2 MiB, stub and page tables, are never changed) */
static long sys_mprotect(struct vm *vm, const uint64_t a[6]) {
  uint64_t addr = a[0], len = PAGE_UP(a[1]);
  if (addr % GPAGE || a[2] & ~(uint64_t)LX_PROT_KNOWN || len < a[1]) return -EINVAL;
  if (!len) return 0;
  if (!gm_valid(vm, addr, len)) return -ENOMEM;
  return pt_protect(vm, addr, len, (int)(a[2] & PT_PROT_RWX));
}

#define LX_MADV_DONTNEED 4
static long sys_madvise(struct vm *vm, const uint64_t a[6]) {
  if (a[0] % GPAGE) return -EINVAL;
  if (a[2] == LX_MADV_DONTNEED) {
    uint64_t len = PAGE_UP(a[1]);
    if (!gm_valid(vm, a[0], len)) return -ENOMEM;
    mem_zero_range(vm, a[0], len);
  }
  return 0;
}

/* mmap is the fs_mmap family's (sys_fs_mmap.c): anonymous mappings go to mem_map() */
SYS_FAMILY(mem) {
  sys_register(10, "mprotect", sys_mprotect);
  sys_register(11, "munmap", sys_munmap);
  sys_register(12, "brk", sys_brk);
  sys_register(28, "madvise", sys_madvise);
}
