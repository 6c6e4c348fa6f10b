/* File-backed mmap and mremap. A file mapping is a private copy: the guest memory is reserved
 * like anonymous memory and the file's bytes are copied into it. No host file is ever mapped
 * into the guest, and a writable shared mapping (which would write back) is refused. Replaces
 * the core's anonymous-only mmap (SYS_FAMILY_LATE). */
#include "fdtable.h"
#include "policy.h"
#include "sys_mem.h"
#include "pt_prot.h"
#include "syscall.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_UP(x) (((x) + GPAGE - 1) & ~(GPAGE - 1))
#define LX_MAP_TYPE 0x0f
#define LX_MAP_FIXED_NOREPLACE 0x100000

static long sys_mmap(struct vm *vm, const uint64_t a[6]) {
  uint64_t addr = a[0], len = a[1], prot = a[2], flags = a[3], off = a[5];
  int gfd = (int)a[4];
  int type = (int)(flags & LX_MAP_TYPE);
  if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE) return -EINVAL;
  int fixed = (flags & (MAP_FIXED | LX_MAP_FIXED_NOREPLACE)) != 0;
  int noreplace = (flags & LX_MAP_FIXED_NOREPLACE) != 0;
  if (flags & MAP_ANONYMOUS) return mem_map_prot(vm, addr, len, fixed, noreplace, (int)(prot & PT_PROT_RWX));
  if (off % GPAGE) return -EINVAL;
  if (!len) return -EINVAL;
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) return -EBADF;
  if (o->kind != FDK_FILE || (o->status & O_PATH)) return -ENODEV;
  if ((o->status & O_ACCMODE) == O_WRONLY) return -EACCES;
  if (type != MAP_PRIVATE && (prot & PROT_WRITE)) {
    struct fs_stats *s = policy_stats(vm);
    if (s) s->refused[REF_WRITE]++;
    policy_log_once(vm, "refused write", "writable MAP_SHARED file mapping");
    return -EACCES;
  }
  struct stat st;
  if (fstat(o->host_fd, &st) < 0) return -errno;
  long at = mem_map_prot(vm, addr, len, fixed, noreplace, (int)(prot & PT_PROT_RWX)); /* host writes ignore it */
  if (at < 0) return at;
  uint64_t fsize = (uint64_t)st.st_size, n = 0;
  if (off < fsize) n = fsize - off < len ? fsize - off : len;
  if (n) {
    uint8_t *p = gm_write_ptr(vm, (uint64_t)at, n);
    uint64_t done = 0;
    while (p && done < n) {
      ssize_t r = pread(o->host_fd, p + done, n - done, (off_t)(off + done));
      if (r <= 0) break;
      done += (uint64_t)r;
    }
    if (!p || done < n) {
      mem_unmap(vm, (uint64_t)at, len);
      return -EIO;
    }
  }
  return at;
}

#define LX_MREMAP_MAYMOVE 1
#define LX_MREMAP_FIXED 2
#define LX_MREMAP_DONTUNMAP 4

static long sys_mremap(struct vm *vm, const uint64_t a[6]) {
  uint64_t old = a[0], olen = PAGE_UP(a[1]), nlen = PAGE_UP(a[2]), flags = a[3];
  struct guest_proc *p = &vm->proc;
  if (old % GPAGE || !nlen || (flags & ~(uint64_t)(LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED))) return -EINVAL;
  if ((flags & LX_MREMAP_FIXED) && !(flags & LX_MREMAP_MAYMOVE)) return -EINVAL;
  if (!olen || old < p->mmap_lo || old + olen > p->mmap_hi) return -EFAULT;
  int prot = pt_prot_at(vm, old); /* the new pages get the mapping's protection (of its first page) */
  if (!(flags & LX_MREMAP_FIXED)) {
    if (nlen <= olen) {
      if (nlen < olen) mem_unmap(vm, old + nlen, olen - nlen);
      return (long)old;
    }
    /* grow in place when the pages after the mapping are free */
    if (old + nlen <= p->mmap_hi && !alloc_overlaps(&p->amap, old + olen, nlen - olen)) {
      long r = mem_map_prot(vm, old + olen, nlen - olen, 1, 1, prot);
      if (r >= 0) return (long)old;
    }
    if (!(flags & LX_MREMAP_MAYMOVE)) return -ENOMEM;
  }
  long dst = (flags & LX_MREMAP_FIXED) ? mem_map_prot(vm, a[4], nlen, 1, 0, prot) : mem_map_prot(vm, 0, nlen, 0, 0, prot);
  if (dst < 0) return dst;
  uint64_t keep = olen < nlen ? olen : nlen;
  void *to = gm_write_ptr(vm, (uint64_t)dst, keep);
  const void *from = gm_read_ptr(vm, old, keep);
  if (!to || !from) return -EFAULT;
  memmove(to, from, keep);
  mem_unmap(vm, old, olen);
  return dst;
}

SYS_FAMILY_LATE(fs_mmap) {
  sys_register(9, "mmap", sys_mmap);
  sys_register(25, "mremap", sys_mremap);
}
