/* Loads a dynamic program's interpreter (ld.so): the engine maps it, the interpreter then maps
 * the program's libraries itself through the guest's openat/mmap, as on Linux. */
#include "elf_interp.h"
#include "elf_load.h"
#include "sys_mem.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INTERP_MAX_SIZE (64ULL << 20)

int elf_interp_load(struct vm *vm, const char *path, uint64_t *base, uint64_t *entry, char *err, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return elf_fail(err, cap, "cannot open program interpreter %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > INTERP_MAX_SIZE) {
    close(fd);
    return elf_fail(err, cap, "program interpreter %s: not a regular file of at most %llu bytes", path,
                (unsigned long long)INTERP_MAX_SIZE);
  }
  size_t size = (size_t)st.st_size, got = 0;
  uint8_t *data = malloc(size ? size : 1);
  while (data && got < size) {
    ssize_t n = read(fd, data + got, size - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  if (!data || got != size) { free(data); return elf_fail(err, cap, "program interpreter %s: short read", path); }
  int rc = elf_interp_map(vm, path, data, size, base, entry, err, cap);
  free(data);
  return rc;
}

int elf_interp_map(struct vm *vm, const char *path, const uint8_t *data, size_t size, uint64_t *base, uint64_t *entry,
                   char *err, size_t cap) {
  struct elf_image img;
  char why[200];
  if (elf_parse(data, size, &img, why, sizeof(why)) < 0) return elf_fail(err, cap, "program interpreter %s: %s", path, why);
  if (img.interp) return elf_fail(err, cap, "program interpreter %s: itself requests an interpreter", path);
  if (!img.is_dyn) return elf_fail(err, cap, "program interpreter %s: not position-independent (ET_DYN)", path);
  /* reserve span + alignment slack in the mmap region, then keep the aligned part */
  uint64_t span = img.hi - img.lo, align = img.max_align;
  long at = mem_map(vm, 0, span + align, 0, 0);
  if (at < 0) return elf_fail(err, cap, "program interpreter %s: no room in guest memory (%llu bytes)", path, (unsigned long long)span);
  uint64_t start = ((uint64_t)at + align - 1) & ~(align - 1);
  if (start > (uint64_t)at) mem_unmap(vm, (uint64_t)at, start - (uint64_t)at);
  if ((uint64_t)at + span + align > start + span) mem_unmap(vm, start + span, (uint64_t)at + span + align - (start + span));
  uint64_t b = start - img.lo;
  if (elf_map(vm, &img, b, why, sizeof(why)) < 0) return elf_fail(err, cap, "program interpreter %s: %s", path, why);
  *base = b;
  *entry = b + img.eh->e_entry;
  return 0;
}
