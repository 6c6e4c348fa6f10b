/* The guest's CPU contract (DESIGN.md, "Exit path"): a deliberate CPUID whose leaf 0xD matches
 * XCR0 and the frozen XSAVE image, and guest code that only ever runs at CPL 3 whatever it tries
 * (guests/hostile.c): each attack ends the request with a fault or harmlessly, the worker is reset
 * and serves the next request, and the SYSCALL MSRs and sregs are what the master froze. */
#include "test.h"
#include "isobench.h"
#include "layout.h"
#include "test_request.h"
#include "../src/fork.h"
#include "../src/guest_cpuid.h"
#include <stdlib.h>
#include <sys/ioctl.h>

static struct kvm_cpuid_entry2 *entry(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx) {
  for (uint32_t i = 0; i < c->nent; i++)
    if (c->entries[i].function == fn && c->entries[i].index == idx) return &c->entries[i];
  return NULL;
}

/* a PKU/AVX-512/AMX/CET host as KVM_GET_SUPPORTED_CPUID would describe it */
TEST(guest_cpuid_keeps_only_the_state_the_engine_saves) {
  struct {
    struct kvm_cpuid2 h;
    struct kvm_cpuid_entry2 e[16];
  } c;
  memset(&c, 0, sizeof(c));
  const struct kvm_cpuid_entry2 host[] = {
      {.function = 1, .ecx = 0x7ffefbff, .edx = 0xbfebfbff},
      {.function = 7, .index = 0, .eax = 1, .ebx = 0xffffffff, .ecx = 0xffffffff, .edx = 0xffffffff},
      {.function = 7, .index = 1, .eax = 0xffffffff},
      {.function = 0xD, .index = 0, .eax = 0x2e7, .ebx = 0xa88, .ecx = 0xa88},
      {.function = 0xD, .index = 1, .eax = 0x1f, .ecx = 0x1900},
      {.function = 0xD, .index = 2, .eax = 256, .ebx = 576},
      {.function = 0xD, .index = 5, .eax = 64, .ebx = 1088},
      {.function = 0xD, .index = 6, .eax = 512, .ebx = 1152},
      {.function = 0xD, .index = 7, .eax = 1024, .ebx = 1664},
      {.function = 0xD, .index = 9, .eax = 8, .ebx = 2688},
      {.function = 0x14, .index = 0, .eax = 1},
      {.function = 0x80000001, .ecx = 0xffffffff},
      {.function = 0x8000000A, .eax = 1},
  };
  c.h.nent = sizeof(host) / sizeof(host[0]);
  memcpy(c.e, host, sizeof(host));
  uint64_t xcr0 = cpuid_filter(&c.h);
  CHECK_EQ(xcr0, 0x7);
  struct kvm_cpuid_entry2 *e = entry(&c.h, 7, 0);
  CHECK(e && !(e->ecx & (1u << 3 | 1u << 4)), "PKU/OSPKE still offered");
  CHECK(!(e->ebx & 1u << 16) && !(e->ecx & 1u << 7) && !(e->edx & (1u << 20 | 1u << 24)),
        "AVX-512 / CET / AMX still offered: ebx %x ecx %x edx %x", e->ebx, e->ecx, e->edx);
  CHECK(e->ebx & 1u << 0, "FSGSBASE dropped (the stub uses it)");
  CHECK_EQ(entry(&c.h, 7, 1)->eax, 0);
  e = entry(&c.h, 0xD, 0);
  CHECK(e->eax == 0x7 && e->edx == 0 && e->ecx == 832, "leaf 0xD.0: eax %x edx %x ecx %u", e->eax, e->edx, e->ecx);
  e = entry(&c.h, 0xD, 1);
  CHECK(e->eax == 0x7 && e->ecx == 0 && e->edx == 0, "leaf 0xD.1: XSAVES/XFD/XSS left: eax %x ecx %x", e->eax, e->ecx);
  CHECK(entry(&c.h, 0xD, 2), "AVX's leaf 0xD.2 dropped");
  CHECK(!entry(&c.h, 0xD, 5) && !entry(&c.h, 0xD, 9), "leaf 0xD lists components outside XCR0");
  CHECK(!entry(&c.h, 0x14, 0) && !entry(&c.h, 0x8000000A, 0), "PT / SVM leaves left");
  CHECK(!(entry(&c.h, 0x80000001, 0)->ecx & 1u << 2), "SVM still offered");
  CHECK(entry(&c.h, 1, 0)->ecx >> 31, "hypervisor bit missing");
}

static char gpath[512];

static ib_master *boot_hostile(void) {
  snprintf(gpath, sizeof(gpath), "%s/hostile", guest_dir);
  ib_limits lim = {.mem_bytes = 64 << 20};
  ib_master *m = ib_master_create(gpath, NULL, NULL, &lim);
  if (!m) { printf("  create: %s\n", ib_last_error()); return NULL; }
  if (ib_master_run_to_ready(m) != IB_OK) { printf("  run_to_ready: %s\n", ib_last_error()); ib_master_destroy(m); return NULL; }
  return m;
}

/* "a b c d" hex words of a cpuid request */
static int cpuid_words(ib_worker *w, const char *leaf, uint64_t v[4]) {
  char q[64], out[256];
  snprintf(q, sizeof(q), "cpuid %s", leaf);
  if (req(w, q, out, sizeof(out), NULL) != IB_OK) return -1;
  char *p = out;
  for (int i = 0; i < 4; i++) v[i] = strtoull(p, &p, 16);
  return 0;
}

/* the frozen XSAVE image, the guest's XCR0 and its CPUID leaf 0xD agree; PKU is not offered.
 * Before the filter, on a PKU host, every request faulted #GP at the resume stub's xrstor. */
KVM_TEST(guest_xcr0_matches_cpuid_and_frozen_xsave_image) {
  ib_master *m = boot_hostile();
  CHECK(m, "boot failed");
  uint64_t xcr0 = guest_xcr0(), bv;
  memcpy(&bv, m->vm.mem + L_XSAVE + 512, 8);
  CHECK((bv & ~xcr0) == 0, "frozen XSTATE_BV 0x%llx outside XCR0 0x%llx", (unsigned long long)bv, (unsigned long long)xcr0);
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[256];
  for (int round = 0; round < 2; round++) { /* the second request runs after a reset (resume stub) */
    CHECK_EQ(req(w, "xcr0", out, sizeof(out), NULL), IB_OK);
    CHECK(strtoull(out, NULL, 16) == xcr0, "guest XCR0 %s, engine 0x%llx", out, (unsigned long long)xcr0);
    CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_PAGES);
  }
  uint64_t v[4];
  CHECK(cpuid_words(w, "13 0", v) == 0, "cpuid 0xD: %s", ib_last_error());
  CHECK(v[0] == (xcr0 & 0xffffffff) && v[3] == xcr0 >> 32, "leaf 0xD.0 eax %llx edx %llx, XCR0 %llx",
        (unsigned long long)v[0], (unsigned long long)v[3], (unsigned long long)xcr0);
  CHECK(cpuid_words(w, "7 0", v) == 0, "cpuid 7: %s", ib_last_error());
  CHECK(!(v[2] & 0x18), "guest sees PKU/OSPKE: leaf 7 ecx %llx", (unsigned long long)v[2]);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

/* the engine flushes the TLB by switching CR3 between two identical host-owned PML4 pages
 * (pt_prot.c): either one is the frozen root */
static uint64_t pml4_root(uint64_t cr3) { return (cr3 & ~0xfffULL) == L_PML4_ALT ? (cr3 & 0xfffULL) | L_PML4 : cr3; }

static int sregs_match(ib_worker *w, const struct kvm_sregs *f, char *why, size_t cap) {
  struct kvm_sregs s;
  if (ioctl(w->vm.vcpu_fd, KVM_GET_SREGS, &s) < 0) { snprintf(why, cap, "KVM_GET_SREGS failed"); return 0; }
  const struct { const char *n; uint64_t a, b; } cmp[] = {
      {"cs", s.cs.selector, f->cs.selector}, {"ss", s.ss.selector, f->ss.selector},
      {"ds", s.ds.selector, f->ds.selector}, {"es", s.es.selector, f->es.selector},
      {"fs", s.fs.selector, f->fs.selector}, {"gs", s.gs.selector, f->gs.selector},
      {"tr", s.tr.selector, f->tr.selector}, {"gdt", s.gdt.base + s.gdt.limit, f->gdt.base + f->gdt.limit},
      {"idt", s.idt.base + s.idt.limit, f->idt.base + f->idt.limit}, {"cr0", s.cr0, f->cr0},
      {"cr3", pml4_root(s.cr3), pml4_root(f->cr3)}, {"cr4", s.cr4, f->cr4}, {"efer", s.efer, f->efer}};
  for (size_t i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++)
    if (cmp[i].a != cmp[i].b) {
      snprintf(why, cap, "%s 0x%llx, frozen 0x%llx", cmp[i].n, (unsigned long long)cmp[i].a, (unsigned long long)cmp[i].b);
      return 0;
    }
  return 1;
}

/* every way the guest has to run its own code at CPL 0 or keep CPU state across requests */
KVM_TEST(hostile_guest_never_runs_at_ring0_and_cpu_state_stays_frozen) {
  ib_master *m = boot_hostile();
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  int ring0 = exit_path_ring0();
  static const char *const attacks[] = {
      "forged-out", "iret-ring0", "far-compat", "park-ring0", "segs",
      /* ring-0 path only (kvm_pvm's stub runs in ring 3 by design): into the stub at its sysretq,
       * the resume and switch trampolines, the ring-0 entry, an odd offset of the net paths */
      "stub-jump 960", "stub-jump 1024", "stub-jump 1280", "stub-jump 512", "stub-jump 2561"};
  char out[256], why[256];
  for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
    const char *a = attacks[i];
    if (!ring0 && strncmp(a, "stub-jump", 9) == 0) continue;
    ib_request_result res;
    int st = req(w, a, out, sizeof(out), &res);
    if (strcmp(a, "segs") == 0) {
      CHECK(st == IB_OK, "%s: status %d (%s)", a, st, ib_last_error());
    } else if (strcmp(a, "forged-out") == 0 && !ring0) {
      /* kvm_pvm: the port is open to ring 3; the host's RFLAGS from R11 must drop IOPL/TF/NT/IF */
      CHECK(st == IB_FAULTED || (st == IB_OK && !(strtoull(out + 7, NULL, 16) & 0x7300)), "%s: status %d out '%s'", a, st, out);
    } else {
      CHECK(st == IB_FAULTED && strstr(ib_last_error(), "guest fault"), "%s: status %d out '%s' (%s)", a, st, out,
            st == IB_OK ? "" : ib_last_error());
    }
    CHECK(vm_check_msrs(&w->vm, why, sizeof(why)) == 0, "after %s: %s", a, why);
    CHECK_EQ(ib_worker_reset(w, -1), st == IB_OK ? IB_MODE_PAGES : IB_MODE_FULL);
    CHECK_EQ(req(w, "cpl", out, sizeof(out), NULL), IB_OK);
    CHECK(strcmp(out, "3") == 0, "after %s: guest runs at CPL %s", a, out);
    CHECK(sregs_match(w, &m->snap_sregs, why, sizeof(why)), "after %s: %s", a, why);
    CHECK(vm_check_msrs(&w->vm, why, sizeof(why)) == 0, "after %s, next request: %s", a, why);
    CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_PAGES);
  }
  ib_worker_destroy(w);
  ib_master_destroy(m);
}
