/* Guest page protections (mmap/mprotect/munmap): the host edits the guest's identity-map page
 * tables. A 2 MiB region with one protection stays one 2 MiB entry; a region whose pages differ is
 * split into a 4 KiB page table taken from a pool of supervisor-only pages in the low 2 MiB (never
 * reachable by the guest nor by host accesses on its behalf: gm_valid starts at L_USER), and folded
 * back when its pages agree again. PROT_NONE = not present, no PROT_WRITE = read-only, no PROT_EXEC
 * = NX (PROT_EXEC alone reads too: x86 without protection keys). Page-table pages are guest memory:
 * host writes mark them dirty, so the reset modes put the master's tables back with the rest of
 * the private set; the pool's state lives in struct guest_proc (restored with it). A change of a
 * present entry leaves the vCPU's TLB stale: vm->tlb_stale asks vm_run to flush before the guest
 * runs again (making not-present pages present needs none: the TLB holds present entries only). */
#ifndef IB_PT_PROT_H
#define IB_PT_PROT_H
#include "engine.h"

#define PT_PROT_R 1
#define PT_PROT_W 2
#define PT_PROT_X 4
#define PT_PROT_RWX 7

/* sets the protection of [addr, addr+len) (page aligned, inside [L_USER, mem_size)); 0, -EINVAL
 * for a range outside guest user memory, -ENOMEM when the page-table pool is exhausted (pages up
 * to the failing 2 MiB region are changed, as Linux may leave a partial mprotect) */
int pt_protect(struct vm *vm, uint64_t addr, uint64_t len, int prot);
/* protection of the page holding addr (PT_PROT_* bits, 0 = none) */
int pt_prot_at(const struct vm *vm, uint64_t addr);
/* flushes the vCPU's TLB (KVM_SET_SREGS with CR3 switched between two identical PML4 pages: KVM
 * resets the MMU context and flushes the guest's ASID); clears vm->tlb_stale. 0 or -1 */
int pt_flush_tlb(struct vm *vm);
/* page-table pages in use in the pool */
unsigned pt_pool_used(const struct guest_proc *p);

#endif
