/* Guest page protections: mprotect/mmap/munmap enforced on the page tables (pt_prot.c, issue 12). */
#include "test.h"
#include "isobench.h"
#include "test_request.h"
#include "engine.h"
#include "pt_prot.h"
#include <errno.h>
#include <stdlib.h>

/* ---- page tables without a vCPU: the host-side edits on a plain buffer ---- */

static struct vm *table_vm(uint64_t size) {
  struct vm *vm = calloc(1, sizeof(*vm));
  vm->mem_size = size;
  vm->npages = size / GPAGE;
  vm->mem = calloc(1, size);
  if (vm_write_low_layout(vm) < 0) { free(vm->mem); free(vm); return NULL; }
  return vm;
}

static void table_vm_free(struct vm *vm) {
  free(vm->mem);
  free(vm);
}

TEST(pt_protect_splits_and_folds_2m_pages) {
  struct vm *vm = table_vm(16 << 20);
  CHECK(vm, "layout failed");
  uint64_t a = 4 << 20; /* a 2 MiB region */
  CHECK_EQ(pt_prot_at(vm, a), PT_PROT_RWX);
  CHECK_EQ(pt_protect(vm, a + GPAGE, GPAGE, PT_PROT_R), 0);
  CHECK_EQ(pt_pool_used(&vm->proc), 1);
  CHECK_EQ(pt_prot_at(vm, a), PT_PROT_RWX);
  CHECK_EQ(pt_prot_at(vm, a + GPAGE), PT_PROT_R);
  CHECK_EQ(pt_prot_at(vm, a + 2 * GPAGE), PT_PROT_RWX);
  CHECK(vm->tlb_stale && vm->pt_changed, "a change must ask for a TLB flush");
  CHECK_EQ(pt_protect(vm, a + GPAGE, GPAGE, PT_PROT_RWX), 0); /* uniform again: folded, slot freed */
  CHECK_EQ(pt_pool_used(&vm->proc), 0);
  CHECK_EQ(pt_prot_at(vm, a + GPAGE), PT_PROT_RWX);
  /* a range across regions: whole regions stay 2 MiB pages, the edges split */
  CHECK_EQ(pt_protect(vm, a + HUGE2M - GPAGE, HUGE2M + 2 * GPAGE, 0), 0);
  CHECK_EQ(pt_pool_used(&vm->proc), 2);
  CHECK_EQ(pt_prot_at(vm, a + HUGE2M - GPAGE), 0);
  CHECK_EQ(pt_prot_at(vm, a + HUGE2M), 0);
  CHECK_EQ(pt_prot_at(vm, a + 2 * HUGE2M), 0);
  CHECK_EQ(pt_prot_at(vm, a + 2 * HUGE2M + GPAGE), PT_PROT_RWX);
  CHECK_EQ(pt_protect(vm, a, 3 * HUGE2M, PT_PROT_R | PT_PROT_W), 0); /* whole regions: tables freed */
  CHECK_EQ(pt_pool_used(&vm->proc), 0);
  CHECK_EQ(pt_prot_at(vm, a + 5 * GPAGE), PT_PROT_R | PT_PROT_W);
  /* the TLB holds present entries only: making not-present pages present needs no flush */
  vm->tlb_stale = vm->pt_changed = 0;
  CHECK_EQ(pt_protect(vm, a, HUGE2M, 0), 0);
  CHECK(vm->tlb_stale, "present -> not present must flush");
  vm->tlb_stale = vm->pt_changed = 0;
  CHECK_EQ(pt_protect(vm, a + GPAGE, GPAGE, PT_PROT_R | PT_PROT_W), 0);
  CHECK(!vm->tlb_stale && vm->pt_changed, "not present -> present: no flush, but a change for the reset");
  CHECK_EQ(pt_protect(vm, a + GPAGE, GPAGE, PT_PROT_R), 0);
  CHECK(vm->tlb_stale, "RW -> R must flush");
  /* nothing below L_USER nor past the end is ever changed */
  CHECK_EQ(pt_protect(vm, L_USER - GPAGE, 2 * GPAGE, 0), -EINVAL);
  CHECK_EQ(pt_protect(vm, L_STUB, GPAGE, PT_PROT_RWX), -EINVAL);
  CHECK_EQ(pt_protect(vm, vm->mem_size - GPAGE, 2 * GPAGE, 0), -EINVAL);
  table_vm_free(vm);
}

TEST(pt_protect_reports_an_exhausted_pool) {
  struct vm *vm = table_vm(2048ULL << 20); /* more 2 MiB regions than pool pages */
  CHECK(vm, "layout failed");
  int rc = 0;
  uint64_t r = L_USER;
  for (; r < vm->mem_size && rc == 0; r += HUGE2M) rc = pt_protect(vm, r, GPAGE, PT_PROT_R);
  CHECK_EQ(rc, -ENOMEM);
  CHECK(pt_pool_used(&vm->proc) > 300, "pool of %u pages", pt_pool_used(&vm->proc));
  CHECK_EQ(vm->ctr.pt_pool_exhausted, 1);
  CHECK_EQ(pt_prot_at(vm, r - HUGE2M), PT_PROT_RWX); /* the failing region is unchanged */
  table_vm_free(vm);
}

/* ---- in a VM (the reqs guest) ---- */


/* a request that must fault with a page fault, and the worker serving the next one */
static void faults(ib_worker *w, const char *cmd) {
  char out[256];
  ib_request_result res;
  int st = req(w, cmd, out, sizeof(out), &res);
  CHECK(st == IB_FAULTED, "'%s' ended %d (output '%s'), expected a fault", cmd, st, out);
  CHECK(strstr(ib_last_error(), "#PF"), "'%s': %s", cmd, ib_last_error());
  ib_worker_reset(w, -1);
  CHECK_EQ(req(w, "echo again", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "again") == 0, "after '%s': '%s'", cmd, out);
  ib_worker_reset(w, -1);
}

static void works(ib_worker *w, const char *cmd, const char *want) {
  char out[256];
  int st = req(w, cmd, out, sizeof(out), NULL);
  CHECK(st == IB_OK, "'%s' ended %d: %s", cmd, st, ib_last_error());
  CHECK(strcmp(out, want) == 0, "'%s' gave '%s', expected '%s'", cmd, out, want);
  ib_worker_reset(w, -1);
}

KVM_TEST(mprotect_is_enforced_read_only_none_noexec_guard) {
  ib_master *m = boot_reqs(64 << 20, 0);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  works(w, "prot r r", "mprotect 0 done");
  faults(w, "prot r w");
  faults(w, "prot n r");
  faults(w, "prot w x"); /* RW without PROT_EXEC: NX */
  works(w, "prot x x", "mprotect 0 done");
  works(w, "prot w w", "mprotect 0 done");
  works(w, "guard", "mprotect 0 done");
  faults(w, "guard x"); /* the PROT_NONE page between two RW pages */
  const char *c = ib_worker_counters_json(w);
  CHECK(strstr(c, "\"tlbFlushes\":") && !strstr(c, "\"tlbFlushes\":0,"), "counters: %s", c);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

static void reset_case(int mode) {
  ib_master *m = boot_reqs(64 << 20, 0);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, mode);
  CHECK(w, "fork: %s", ib_last_error());
  char out[64];
  for (int round = 0; round < 3; round++) { /* the page the last request left read-only is RW again */
    CHECK_EQ(req(w, "static-ro", out, sizeof(out), NULL), IB_OK);
    CHECK(strcmp(out, "0") == 0, "mprotect gave '%s'", out);
    ib_worker_reset(w, -1);
    int st = req(w, "static-write", out, sizeof(out), NULL);
    if (mode == IB_MODE_PERSIST) {
      CHECK(st == IB_FAULTED, "persist keeps the protection: write ended %d", st);
      break;
    }
    CHECK(st == IB_OK, "mode %d round %d: write after reset ended %d: %s", mode, round, st, ib_last_error());
    ib_worker_reset(w, -1);
  }
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(mprotect_reset_pages_restores_tables) { reset_case(IB_MODE_PAGES); }
KVM_TEST(mprotect_reset_full_restores_tables) { reset_case(IB_MODE_FULL); }
KVM_TEST(mprotect_reset_hybrid_restores_tables) { reset_case(IB_MODE_HYBRID); }
KVM_TEST(mprotect_persist_keeps_protection) { reset_case(IB_MODE_PERSIST); }
