/* The guest's CPUID: KVM_GET_SUPPORTED_CPUID filtered down to what the engine supports. Passing
 * KVM's set unfiltered told the guest (and KVM, which sizes the XSAVE image from leaf 0xD) about
 * state components the engine never enables in XCR0 (PKRU, AVX-512, AMX, CET...): KVM_GET_XSAVE
 * then returned an image whose XSTATE_BV had PKRU set while XCR0 was x87|SSE|AVX, and the resume
 * stub's xrstor raised #GP on every request (hosts with PKU). Here every feature with state or
 * privileged controls the engine does not manage is removed; leaf 0xD describes exactly XCR0. */
#include "guest_cpuid.h"
#include <string.h>

#define BIT(n) (1u << (n))

/* leaf 1 ECX: no MONITOR/VMX/SMX/EST/TM2/PDCM/PCID/DCA/x2APIC/TSC-deadline; OSXSAVE is computed
 * by KVM from CR4; hypervisor present is set */
#define L1_ECX_KEEP                                                                                                 \
  (BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) | BIT(19) | BIT(20) | BIT(22) | BIT(23) | BIT(25) | BIT(26) | \
   BIT(27) | BIT(28) | BIT(29) | BIT(30))
/* leaf 7.0 EBX: FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS RDSEED ADX SMAP CLFLUSHOPT CLWB SHA (no HLE/RTM,
 * MPX, AVX-512 of any kind, INVPCID, PQM/PQE, Intel PT) */
#define L7_EBX_KEEP \
  (BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) | BIT(9) | BIT(18) | BIT(19) | BIT(20) | BIT(23) | BIT(24) | BIT(29))
/* leaf 7.0 ECX: GFNI VAES VPCLMULQDQ RDPID (no PKU/OSPKE, CET shadow stack, AVX-512, UMIP, LA57,
 * WAITPKG, KeyLocker, ENQCMD/MOVDIR, PKS) */
#define L7_ECX_KEEP (BIT(8) | BIT(9) | BIT(10) | BIT(22))
/* leaf 7.0 EDX: FSRM MD_CLEAR SERIALIZE and the speculation-control enumeration (no CET IBT, AMX,
 * AVX-512, UINTR, arch LBR, TSX ldtrk) */
#define L7_EDX_KEEP (BIT(4) | BIT(10) | BIT(14) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(31))
/* leaf 0xD.1 EAX: XSAVEOPT XSAVEC XGETBV1 (no XSAVES: no supervisor states; no XFD: no AMX) */
#define LD1_EAX_KEEP (BIT(0) | BIT(1) | BIT(2))
/* leaf 0x80000001 ECX: everything but SVM (2) and the extended APIC space (3) */
#define LX1_ECX_DROP (BIT(2) | BIT(3))

/* the XSAVE image must leave the thread save page's FS/GS slots (SW_AREA_FS = 0xf00) alone */
#define XSAVE_MAX_BYTES 0xf00u

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx) {
  for (uint32_t i = 0; i < c->nent; i++)
    if (c->entries[i].function == fn && c->entries[i].index == idx) return &c->entries[i];
  return NULL;
}

/* drops leaf `fn` (every sub-leaf when all_idx) from the list */
static void drop_leaf(struct kvm_cpuid2 *c, uint32_t fn, int all_idx, uint32_t idx) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < c->nent; i++) {
    struct kvm_cpuid_entry2 *e = &c->entries[i];
    if (e->function == fn && (all_idx || e->index == idx)) continue;
    c->entries[k++] = *e;
  }
  c->nent = k;
}

uint64_t cpuid_filter(struct kvm_cpuid2 *c) {
  /* XCR0: x87 | SSE always, AVX when offered and its image fits */
  uint64_t xcr0 = 0x3;
  struct kvm_cpuid_entry2 *d0 = find(c, 0xD, 0), *avx = find(c, 0xD, 2);
  if (d0 && (d0->eax & 0x4) && avx && avx->eax + avx->ebx <= XSAVE_MAX_BYTES) xcr0 |= 0x4;
  struct kvm_cpuid_entry2 *e;
  if ((e = find(c, 1, 0))) {
    e->ecx &= L1_ECX_KEEP;
    if (!(xcr0 & 0x4)) e->ecx &= ~(BIT(28) | BIT(12) | BIT(29)); /* AVX, FMA, F16C need AVX state */
    e->ecx |= BIT(31);                                             /* hypervisor present */
  }
  if ((e = find(c, 7, 0))) {
    e->eax = 0; /* sub-leaf 0 only */
    e->ebx &= L7_EBX_KEEP;
    if (!(xcr0 & 0x4)) e->ebx &= ~BIT(5); /* AVX2 */
    e->ecx &= L7_ECX_KEEP;
    e->edx &= L7_EDX_KEEP;
  }
  for (uint32_t i = 0; i < c->nent; i++)
    if (c->entries[i].function == 7 && c->entries[i].index > 0) memset(&c->entries[i].eax, 0, 16);
  if ((e = find(c, 0xD, 0))) {
    uint32_t size = 512 + 64; /* legacy area + header */
    for (int b = 2; b < 32; b++) {
      struct kvm_cpuid_entry2 *s = (xcr0 >> b) & 1 ? find(c, 0xD, (uint32_t)b) : NULL;
      if (s && s->eax + s->ebx > size) size = s->eax + s->ebx;
    }
    e->eax = (uint32_t)xcr0;
    e->edx = 0;
    e->ebx = size; /* KVM keeps EBX in step with the guest's XCR0 */
    e->ecx = size; /* the largest image any allowed XCR0 needs */
  }
  if ((e = find(c, 0xD, 1))) {
    e->eax &= LD1_EAX_KEEP;
    e->ecx = e->edx = 0; /* no IA32_XSS components */
  }
  for (uint32_t b = 2; b < 64; b++)
    if (!((xcr0 >> b) & 1)) drop_leaf(c, 0xD, 0, b);
  if ((e = find(c, 0x80000001, 0))) e->ecx &= ~LX1_ECX_DROP;
  drop_leaf(c, 0x8000000A, 1, 0); /* SVM features */
  drop_leaf(c, 0x12, 1, 0);       /* SGX */
  drop_leaf(c, 0x14, 1, 0);       /* processor trace */
  drop_leaf(c, 0x19, 1, 0);       /* Key Locker */
  drop_leaf(c, 0x1D, 1, 0);       /* AMX tiles */
  drop_leaf(c, 0x1E, 1, 0);       /* AMX TMUL */
  return xcr0;
}
