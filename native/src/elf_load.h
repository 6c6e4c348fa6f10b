/* ELF64 x86-64 loading: validation, segment placement, the initial stack as Linux builds it. */
#ifndef IB_ELF_H
#define IB_ELF_H
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include "engine.h"

struct elf_image {
  const uint8_t *data;
  size_t size;
  const Elf64_Ehdr *eh;
  const Elf64_Phdr *ph;
  uint64_t lo, hi;      /* page-aligned span of the PT_LOAD segments (link-time addresses) */
  uint64_t max_align;
  int is_dyn;           /* ET_DYN (PIE / interpreter): needs a load base */
  const char *interp;   /* PT_INTERP path, NULL for static programs */
  uint64_t phdr_vaddr;  /* link-time address of the program headers (0 if not loaded) */
};

/* Validates an ELF file image; 0, or -1 with err filled (a clear reason) */
int elf_parse(const uint8_t *data, size_t size, struct elf_image *img, char *err, size_t errcap);
/* Copies the PT_LOAD segments at base (0 for ET_EXEC) into guest memory, zeroing bss */
int elf_map(struct vm *vm, const struct elf_image *img, uint64_t base, char *err, size_t errcap);
/* formats a loader error into err; returns -1 */
int elf_fail(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
