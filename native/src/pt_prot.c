/* Guest page protections on the host-built identity map (see pt_prot.h). */
#include "pt_prot.h"
#include "gmem.h"
#include "pte.h"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#define PTE_ADDR 0x000ffffffffff000ULL
#define PTE_FLAGS (~PTE_ADDR)

_Static_assert(L_PT_POOL_SLOTS <= 64 * PT_POOL_WORDS, "pool bitmap holds every slot");

static uint64_t get64(const struct vm *vm, uint64_t off) {
  uint64_t v;
  memcpy(&v, vm->mem + off, 8);
  return v;
}

static void put64(struct vm *vm, uint64_t off, uint64_t v) {
  memcpy(vm->mem + off, &v, 8);
  gm_mark_dirty(vm, off, 8);
}

/* leaf flags for a protection (A/D preset: the CPU never writes page tables) */
static uint64_t leaf_flags(int prot) {
  if (!(prot & PT_PROT_RWX)) return 0;
  return PTE_P | PTE_U | PTE_A | PTE_D | ((prot & PT_PROT_W) ? PTE_W : 0) | ((prot & PT_PROT_X) ? 0 : PTE_NX);
}

static int prot_of(uint64_t e) {
  if (!(e & PTE_P)) return 0;
  return PT_PROT_R | ((e & PTE_W) ? PT_PROT_W : 0) | ((e & PTE_NX) ? 0 : PT_PROT_X);
}

static uint64_t pde_off(uint64_t region) { return L_PD0 + (region / HUGE2M) * 8; }
/* a PDE that points to a page table (present, not a 2 MiB page) */
static int is_table(uint64_t pde) { return (pde & PTE_P) && !(pde & PTE_PS); }

static uint64_t slot_addr(const struct vm *vm, unsigned i) {
  uint64_t a = L_PT_POOL + (uint64_t)i * GPAGE;
  uint64_t pd_end = L_PD0 + ((vm->mem_size + (1ULL << 30) - 1) >> 30) * GPAGE;
  return a >= L_PD0 && a < pd_end ? 0 : a; /* the page directories themselves */
}

static uint64_t pool_alloc(struct vm *vm) {
  struct guest_proc *p = &vm->proc;
  for (unsigned i = 0; i < L_PT_POOL_SLOTS; i++) {
    if (p->pt_pool[i / 64] >> (i % 64) & 1) continue;
    uint64_t a = slot_addr(vm, i);
    if (!a) continue;
    p->pt_pool[i / 64] |= 1ULL << (i % 64);
    return a;
  }
  return 0;
}

static void pool_free(struct vm *vm, uint64_t a) {
  if (a < L_PT_POOL || a >= L_USER) return;
  unsigned i = (unsigned)((a - L_PT_POOL) / GPAGE);
  vm->proc.pt_pool[i / 64] &= ~(1ULL << (i % 64));
}

unsigned pt_pool_used(const struct guest_proc *p) {
  unsigned n = 0;
  for (unsigned i = 0; i < PT_POOL_WORDS; i++) n += (unsigned)__builtin_popcountll(p->pt_pool[i]);
  return n;
}

/* Return values of protect_region. The TLB caches present translations only (x86: nothing is
 * cached for a not-present entry), so a change that only makes not-present pages present needs no
 * flush; any change to a present entry does (a stale entry would be too permissive, or too strict:
 * a spurious fault). */
#define PR_SAME 0
#define PR_CHANGED 1       /* only not-present entries changed */
#define PR_CHANGED_FLUSH 2 /* a present entry changed */

/* one 2 MiB region, [lo, hi) inside it: PR_* or -ENOMEM */
static int protect_region(struct vm *vm, uint64_t region, uint64_t lo, uint64_t hi, int prot) {
  uint64_t po = pde_off(region), pde = get64(vm, po), flags = leaf_flags(prot);
  if (lo == region && hi == region + HUGE2M) {
    uint64_t huge = region | PTE_PS | flags;
    if (pde == huge) return PR_SAME;
    if (is_table(pde)) pool_free(vm, pde & PTE_ADDR);
    put64(vm, po, huge);
    return (pde & PTE_P) ? PR_CHANGED_FLUSH : PR_CHANGED;
  }
  uint64_t pt;
  if (!is_table(pde)) {
    if (prot_of(pde) == prot) return PR_SAME;
    pt = pool_alloc(vm);
    if (!pt) {
      vm->ctr.pt_pool_exhausted++;
      return -ENOMEM;
    }
    uint64_t old = leaf_flags(prot_of(pde)), tab[512];
    for (unsigned i = 0; i < 512; i++) tab[i] = (region + i * GPAGE) | old;
    memcpy(vm->mem + pt, tab, sizeof(tab));
    gm_mark_dirty(vm, pt, GPAGE);
    put64(vm, po, pt | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D); /* the leaves restrict */
  } else {
    pt = pde & PTE_ADDR;
  }
  int changed = PR_SAME;
  for (uint64_t a = lo; a < hi; a += GPAGE) {
    uint64_t off = pt + ((a - region) / GPAGE) * 8, e = a | flags, old = get64(vm, off);
    if (old == e) continue;
    put64(vm, off, e);
    if (old & PTE_P) changed = PR_CHANGED_FLUSH;
    else if (changed == PR_SAME) changed = PR_CHANGED;
  }
  if (changed == PR_SAME) return PR_SAME;
  /* fold back into a 2 MiB page when all agree (same permissions: cached 4 KiB entries stay right) */
  uint64_t first = get64(vm, pt) & PTE_FLAGS;
  for (unsigned i = 1; i < 512; i++)
    if ((get64(vm, pt + i * 8) & PTE_FLAGS) != first) return changed;
  pool_free(vm, pt);
  put64(vm, po, region | PTE_PS | first);
  return changed;
}

int pt_protect(struct vm *vm, uint64_t addr, uint64_t len, int prot) {
  if (addr % GPAGE || len % GPAGE || !gm_valid(vm, addr, len)) return -EINVAL;
  int rc = 0, changed = PR_SAME;
  for (uint64_t a = addr, end = addr + len; a < end && rc >= 0;) {
    uint64_t region = a & ~(HUGE2M - 1), hi = region + HUGE2M < end ? region + HUGE2M : end;
    rc = protect_region(vm, region, a, hi, prot & PT_PROT_RWX);
    if (rc > changed) changed = rc;
    a = hi;
  }
  if (changed == PR_CHANGED_FLUSH) vm->tlb_stale = 1;
  if (changed != PR_SAME) { /* a reset putting the master's tables back changes present entries */
    vm->pt_changed = 1;
    vm->proc.generation++;
    vm->ctr.pt_changes++;
  }
  return rc < 0 ? rc : 0;
}

int pt_prot_at(const struct vm *vm, uint64_t addr) {
  if (!gm_valid(vm, addr & ~(GPAGE - 1), GPAGE)) return 0;
  uint64_t region = addr & ~(HUGE2M - 1), pde = get64(vm, pde_off(region));
  if (!is_table(pde)) return prot_of(pde);
  return prot_of(get64(vm, (pde & PTE_ADDR) + ((addr - region) / GPAGE) * 8));
}

int pt_flush_tlb(struct vm *vm) {
  struct kvm_sregs s;
  if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) return -1;
  s.cr3 = (s.cr3 & ~0xfffULL) == L_PML4 ? L_PML4_ALT : L_PML4;
  if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0) return -1;
  vm->tlb_stale = 0;
  vm->ctr.tlb_flushes++;
  return 0;
}
