/* Program interpreter (PT_INTERP, e.g. ld-linux-x86-64.so.2) loading, as Linux's binfmt_elf does. */
#ifndef IB_ELF_INTERP_H
#define IB_ELF_INTERP_H
#include "engine.h"
/* Loads the interpreter at path into the guest's mmap region (the region must be set up).
 * base: where it was placed (AT_BASE); entry: where the guest starts. 0, or -1 with err filled. */
int elf_interp_load(struct vm *vm, const char *path, uint64_t *base, uint64_t *entry, char *err, size_t errcap);
/* the same from the interpreter's bytes in host memory (path names it in errors) */
int elf_interp_map(struct vm *vm, const char *path, const uint8_t *data, size_t size, uint64_t *base, uint64_t *entry,
                   char *err, size_t errcap);
#endif
