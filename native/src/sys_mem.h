/* Guest memory management shared with other families (e.g. file-backed mmap in a files family). */
#ifndef IB_SYS_MEM_H
#define IB_SYS_MEM_H
#include "engine.h"
/* reserve len bytes (page multiple) of zeroed anonymous memory; fixed: exactly at addr
 * (replacing what is there), else anywhere in the mmap region. address or -errno */
long mem_map(struct vm *vm, uint64_t addr, uint64_t len, int fixed, int noreplace);
/* the same with the guest's protection (PT_PROT_* bits; mem_map: read-write-execute) */
long mem_map_prot(struct vm *vm, uint64_t addr, uint64_t len, int fixed, int noreplace, int prot);
/* release [addr, addr+len): later reads see zeros, accesses fault (not present); 0 or -errno */
long mem_unmap(struct vm *vm, uint64_t addr, uint64_t len);
/* makes the mmap area's free parts not present (master creation, after the ELF loader): a fresh
 * mmap then only makes pages present, which needs no TLB flush (pt_prot.c) */
void mem_hide_unmapped(struct vm *vm);
/* make [addr, addr+len) read as zeros again without unmapping it */
void mem_zero_range(struct vm *vm, uint64_t addr, uint64_t len);
#endif
