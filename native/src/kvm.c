/* KVM plumbing: VM and vCPU creation, CPUID/MSRs/XCR0, the long-mode ring-3 CPU state, the
 * low guest memory (page tables, GDT/TSS/IDT, stub pages) and the SYSCALL exit-path probe. */
#include "guest_cpuid.h"
#include "dirty_track.h"
#include "engine.h"
#include "pte.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <x86intrin.h>

extern const uint8_t ib_stub_start[], ib_stub_end[];

#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_CSTAR 0xC0000083
#define MSR_FMASK 0xC0000084
#define MSR_TSC 0x10
#define MSR_EFER 0xC0000080
#define MSR_KERNEL_GS_BASE 0xC0000102
#define N_SYSCALL_MSRS 4


#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18
#define SEL_UDATA 0x20
#define SEL_UCODE 0x28
#define SEL_TSS 0x30
#define TSS_LIMIT (0x68 + 32) /* header + I/O bitmap for ports 0..255 + the terminating byte */

static int g_kvm_fd = -1;
static pthread_once_t g_kvm_once = PTHREAD_ONCE_INIT;
static struct kvm_cpuid2 *g_cpuid;
static uint64_t g_xcr0;
static int g_exit_ring0 = -1; /* probed once per process */

static void kvm_open_once(void) {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) { close(fd); return; }
  int n = 256;
  g_cpuid = calloc(1, sizeof(*g_cpuid) + n * sizeof(struct kvm_cpuid_entry2));
  g_cpuid->nent = n;
  if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, g_cpuid) < 0) { free(g_cpuid); g_cpuid = NULL; close(fd); return; }
  g_xcr0 = cpuid_filter(g_cpuid);
  g_kvm_fd = fd;
}

int kvm_open(void) {
  pthread_once(&g_kvm_once, kvm_open_once);
  if (g_kvm_fd < 0) ib_set_error("cannot use /dev/kvm: %s", strerror(errno ? errno : ENODEV));
  return g_kvm_fd;
}

uint64_t host_tsc(void) { return __rdtsc(); }

const char *exit_path_name(void) {
  return g_exit_ring0 < 0 ? "unprobed" : g_exit_ring0 ? "hw-ring0-lstar" : "pvm-ring3-lstar";
}
int exit_path_ring0(void) { return g_exit_ring0 == 1; }
uint64_t guest_xcr0(void) { return g_xcr0; }

static int set_msrs(struct vm *vm, const uint32_t *idx, const uint64_t *val, int n) {
  struct {
    struct kvm_msrs h;
    struct kvm_msr_entry e[8];
  } m;
  memset(&m, 0, sizeof(m));
  m.h.nmsrs = n;
  for (int i = 0; i < n; i++) { m.e[i].index = idx[i]; m.e[i].data = val[i]; }
  if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m) != n) { ib_set_error("KVM_SET_MSRS failed"); return -1; }
  return 0;
}

/* The SYSCALL MSRs of every vCPU. STAR: SYSCALL enters CS 0x08/SS 0x10, SYSRET64 returns to
 * CS 0x2b/SS 0x23. FMASK clears TF IF DF IOPL NT AC on entry, so no flag of the guest's reaches
 * the stub (on the ring-0 path the stub runs at CPL 0). CSTAR (SYSCALL from compatibility mode,
 * AMD) leads to a ud2: on the ring-0 path entry_r3's `jmp *%rcx` would otherwise run guest code
 * at CPL 0. */
static void syscall_msrs(int ring0, uint32_t idx[N_SYSCALL_MSRS], uint64_t val[N_SYSCALL_MSRS]) {
  const uint32_t i[N_SYSCALL_MSRS] = {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_FMASK};
  const uint64_t v[N_SYSCALL_MSRS] = {((uint64_t)(SEL_UCODE32 | 3) << 48) | ((uint64_t)SEL_KCODE << 32),
                                      L_STUB + (ring0 ? S_ENTRY_R0 : S_ENTRY_R3), L_STUB + S_CSTAR,
                                      RFLAGS_SYSCALL_MASK};
  memcpy(idx, i, sizeof(i));
  memcpy(val, v, sizeof(v));
}

int vm_set_lstar(struct vm *vm, int ring0) {
  uint32_t idx[N_SYSCALL_MSRS];
  uint64_t val[N_SYSCALL_MSRS];
  syscall_msrs(ring0, idx, val);
  return set_msrs(vm, idx, val, N_SYSCALL_MSRS);
}

/* What a worker's CPU state must be at every request (src/fork.c restores it after a fault and
 * the tests compare it): the SYSCALL MSRs, EFER and KERNEL_GS_BASE (no swapgs ever runs). */
int vm_check_msrs(struct vm *vm, char *why, size_t cap) {
  struct {
    struct kvm_msrs h;
    struct kvm_msr_entry e[8];
  } m;
  uint32_t idx[N_SYSCALL_MSRS];
  uint64_t want[N_SYSCALL_MSRS + 2];
  syscall_msrs(g_exit_ring0 == 1, idx, want);
  want[N_SYSCALL_MSRS] = 0x1 | 0x100 | 0x400 | 0x800; /* EFER: SCE LME LMA NXE */
  want[N_SYSCALL_MSRS + 1] = 0;                       /* KERNEL_GS_BASE */
  memset(&m, 0, sizeof(m));
  m.h.nmsrs = N_SYSCALL_MSRS + 2;
  for (int i = 0; i < N_SYSCALL_MSRS; i++) m.e[i].index = idx[i];
  m.e[N_SYSCALL_MSRS].index = MSR_EFER;
  m.e[N_SYSCALL_MSRS + 1].index = MSR_KERNEL_GS_BASE;
  if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &m) != (int)m.h.nmsrs) { snprintf(why, cap, "KVM_GET_MSRS failed"); return -1; }
  for (uint32_t i = 0; i < m.h.nmsrs; i++)
    if (m.e[i].data != want[i]) {
      snprintf(why, cap, "MSR 0x%x is 0x%llx, expected 0x%llx", m.e[i].index, (unsigned long long)m.e[i].data,
               (unsigned long long)want[i]);
      return -1;
    }
  return 0;
}

int vm_sync_tsc(struct vm *vm) {
  uint32_t idx[] = {MSR_TSC};
  uint64_t val[] = {host_tsc()};
  return set_msrs(vm, idx, val, 1);
}

int vm_create_kvm(struct vm *vm) {
  int kvm = kvm_open();
  if (kvm < 0) return -1;
  vm->vm_fd = ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm->vm_fd < 0) { ib_set_error("KVM_CREATE_VM: %s", strerror(errno)); return -1; }
  ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL); /* needed by VMX for real mode; harmless elsewhere */
  uint32_t flags = 0;
  if (vm->is_worker && dt_wanted(vm)) {
    if (dt_enable(vm) < 0) return -1; /* the ring must exist before the vCPU */
    flags = KVM_MEM_LOG_DIRTY_PAGES;
  } else if (vm->is_worker) {
    struct kvm_enable_cap cap = {.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2};
    cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
    if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
      ib_set_error("KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: %s", strerror(errno));
      return -1;
    }
    flags = KVM_MEM_LOG_DIRTY_PAGES;
  }
  struct kvm_userspace_memory_region region = {
      .slot = 0, .flags = flags, .guest_phys_addr = 0, .memory_size = vm->mem_size,
      .userspace_addr = (uint64_t)(uintptr_t)vm->mem};
  if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
    ib_set_error("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
    return -1;
  }
  vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
  if (vm->vcpu_fd < 0) { ib_set_error("KVM_CREATE_VCPU: %s", strerror(errno)); return -1; }
  int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  vm->run_size = sz;
  vm->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
  if (vm->run == MAP_FAILED) { vm->run = NULL; ib_set_error("mmap kvm_run: %s", strerror(errno)); return -1; }
  if (vm->dt.wanted && dt_map(vm) < 0) return -1;
  if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, g_cpuid) < 0) { ib_set_error("KVM_SET_CPUID2: %s", strerror(errno)); return -1; }
  struct kvm_xcrs xcrs = {.nr_xcrs = 1};
  xcrs.xcrs[0].xcr = 0;
  xcrs.xcrs[0].value = g_xcr0;
  if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &xcrs) < 0) { ib_set_error("KVM_SET_XCRS: %s", strerror(errno)); return -1; }
  uint32_t idx[N_SYSCALL_MSRS + 1];
  uint64_t val[N_SYSCALL_MSRS + 1];
  syscall_msrs(g_exit_ring0 == 1, idx, val);
  idx[N_SYSCALL_MSRS] = MSR_TSC; /* one KVM_SET_MSRS per vCPU, as before */
  val[N_SYSCALL_MSRS] = host_tsc();
  if (set_msrs(vm, idx, val, N_SYSCALL_MSRS + 1) < 0) return -1;
  vm->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
  return 0;
}

void vm_destroy_kvm(struct vm *vm) {
  if (vm->run) munmap(vm->run, vm->run_size);
  if (vm->vcpu_fd > 0) close(vm->vcpu_fd);
  if (vm->vm_fd > 0) close(vm->vm_fd);
  vm->run = NULL;
  vm->vcpu_fd = vm->vm_fd = -1;
}

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v) { memcpy(mem + gpa, &v, 8); }

static uint64_t seg_desc(uint32_t type, int dpl, int l, int db) {
  /* base 0, limit 0xfffff, G=1, S=1, P=1 */
  uint64_t d = 0xffffULL | (0xfULL << 48);
  d |= (uint64_t)(type & 0xf) << 40;
  d |= 1ULL << 44;                  /* S */
  d |= (uint64_t)(dpl & 3) << 45;
  d |= 1ULL << 47;                  /* P */
  d |= (uint64_t)(l & 1) << 53;
  d |= (uint64_t)(db & 1) << 54;
  d |= 1ULL << 55;                  /* G */
  return d;
}

void fill_clock_page(uint8_t *data) {
  /* calibrate host TSC against CLOCK_MONOTONIC over ~2 ms (once per process) */
  static uint64_t mult;
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&mu);
  if (!mult) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t t0 = host_tsc();
    do clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) < 2000000);
    uint64_t t1 = host_tsc();
    uint64_t ns = (b.tv_sec - a.tv_sec) * 1000000000ULL + (b.tv_nsec - a.tv_nsec);
    mult = (uint64_t)(((__uint128_t)ns << 32) / (t1 - t0));
  }
  pthread_mutex_unlock(&mu);
  struct timespec r, m;
  uint64_t tsc = host_tsc();
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m);
  uint64_t real_ns = r.tv_sec * 1000000000ULL + r.tv_nsec, mono_ns = m.tv_sec * 1000000000ULL + m.tv_nsec;
  memcpy(data + D_TSC_BASE, &tsc, 8);
  memcpy(data + D_MULT, &mult, 8);
  memcpy(data + D_REAL_NS, &real_ns, 8);
  memcpy(data + D_MONO_NS, &mono_ns, 8);
}

int vm_write_low_layout(struct vm *vm) {
  uint8_t *mem = vm->mem;
  uint64_t size = vm->mem_size;
  if (size % HUGE2M || size < 2 * HUGE2M || size > (uint64_t)L_PD_MAX << 30) {
    ib_set_error("guest memory must be a multiple of 2 MiB between 4 MiB and %d GiB", L_PD_MAX);
    return -1;
  }
  _Static_assert(L_LOW_END <= L_PD0 && L_PD0 + L_PD_MAX * GPAGE <= L_USER, "page directories fit the low 2 MiB");
  memset(mem, 0, L_USER);
  const uint64_t AD = PTE_A | PTE_D; /* preset: the CPU never writes page tables (no dirty pages) */
  put64(mem, L_PML4, L_PDPT | PTE_P | PTE_W | PTE_U | AD);
  put64(mem, L_PML4_ALT, L_PDPT | PTE_P | PTE_W | PTE_U | AD); /* identical: CR3 switches flush the TLB */
  _Static_assert(L_PML4_ALT >= L_LOW_END && L_PT_POOL >= L_LOW_END, "PML4 copy and page-table pool are not mapped");
  uint64_t gib = (size + (1ULL << 30) - 1) >> 30;
  for (uint64_t g = 0; g < gib; g++) put64(mem, L_PDPT + g * 8, (L_PD0 + g * GPAGE) | PTE_P | PTE_W | PTE_U | AD);
  /* first 2 MiB: 4 KiB pages, only what the stub needs */
  put64(mem, L_PD0, L_PT0 | PTE_P | PTE_W | PTE_U | AD);
  for (uint64_t a = L_PML4; a < L_STUB; a += GPAGE) /* tables, GDT, IDT, IST: supervisor only */
    put64(mem, L_PT0 + (a / GPAGE) * 8, a | PTE_P | PTE_W | AD | PTE_NX);
  put64(mem, L_PT0 + (L_STUB / GPAGE) * 8, L_STUB | PTE_P | PTE_U | AD);
  put64(mem, L_PT0 + (L_DATA / GPAGE) * 8, L_DATA | PTE_P | PTE_U | AD | PTE_NX);
  put64(mem, L_PT0 + (L_SCRATCH / GPAGE) * 8, L_SCRATCH | PTE_P | PTE_W | PTE_U | AD | PTE_NX);
  for (uint64_t a = L_XSAVE; a < L_LOW_END; a += GPAGE) put64(mem, L_PT0 + (a / GPAGE) * 8, a | PTE_P | PTE_U | AD | PTE_NX);
  /* the rest: 2 MiB pages, user read-write-execute */
  for (uint64_t a = L_USER; a < size; a += HUGE2M)
    put64(mem, L_PD0 + (a / HUGE2M) * 8, a | PTE_P | PTE_W | PTE_U | PTE_PS | AD);

  /* GDT + TSS */
  put64(mem, L_GDT + SEL_KCODE, seg_desc(0xb, 0, 1, 0));
  put64(mem, L_GDT + SEL_KDATA, seg_desc(0x3, 0, 0, 1));
  put64(mem, L_GDT + SEL_UCODE32, seg_desc(0xb, 3, 0, 1));
  put64(mem, L_GDT + SEL_UDATA, seg_desc(0x3, 3, 0, 1));
  put64(mem, L_GDT + SEL_UCODE, seg_desc(0xb, 3, 1, 0));
  /* TSS with an I/O permission bitmap for ports 0..255 that allows only the two stub ports:
   * kvm_pvm ignores IOPL for guest ring 3 but honours the bitmap */
  uint64_t tss = L_GDT + 0x100, tss_limit = TSS_LIMIT;
  uint64_t lo = (tss_limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x9ULL << 40) | (1ULL << 47) |
                (((tss >> 24) & 0xff) << 56);
  put64(mem, L_GDT + SEL_TSS, lo);
  put64(mem, L_GDT + SEL_TSS + 8, tss >> 32);
  put64(mem, tss + 4, L_IST_TOP);      /* RSP0 */
  put64(mem, tss + 0x24, L_IST_TOP);   /* IST1 */
  uint16_t iomap = 0x68;
  memcpy(mem + tss + 0x66, &iomap, 2);
  memset(mem + tss + 0x68, 0xff, 33);
  mem[tss + 0x68 + PORT_SYSCALL / 8] &= (uint8_t)~(1u << (PORT_SYSCALL % 8));
  mem[tss + 0x68 + PORT_FAULT / 8] &= (uint8_t)~(1u << (PORT_FAULT % 8));

  /* IDT: 32 interrupt gates, kernel CS, IST1, DPL 0 */
  for (int v = 0; v < 32; v++) {
    uint64_t h = L_STUB + S_VECTORS + v * 16;
    uint64_t lo = (h & 0xffff) | ((uint64_t)SEL_KCODE << 16) | (1ULL << 32) /* IST1 */ | (0xeULL << 40) |
                  (1ULL << 47) | (((h >> 16) & 0xffff) << 48);
    put64(mem, L_IDT + v * 16, lo);
    put64(mem, L_IDT + v * 16 + 8, h >> 32);
  }

  /* stub code and data */
  _Static_assert(S_VECTORS + 32 * 16 <= 4096, "stub fits a page");
  size_t stub_len = ib_stub_end - ib_stub_start;
  if (stub_len > GPAGE) { ib_set_error("stub too large"); return -1; }
  memcpy(mem + L_STUB, ib_stub_start, stub_len);
  uint8_t *data = mem + L_DATA;
  data[D_RING0] = g_exit_ring0 == 1;
  fill_clock_page(data);
  uint64_t pid = 1, xcr0 = g_xcr0;
  memcpy(data + D_PID, &pid, 8);
  memcpy(data + D_TID, &pid, 8); /* the first thread's tid is the pid */
  memcpy(data + D_MEM_END, &size, 8);
  memcpy(data + D_XCR0, &xcr0, 8);
  return 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int dpl, int l, int db) {
  memset(s, 0, sizeof(*s));
  s->selector = sel;
  s->limit = 0xffffffff;
  s->type = type;
  s->present = 1;
  s->dpl = dpl;
  s->s = 1;
  s->l = l;
  s->db = db;
  s->g = 1;
}

int vm_set_user_sregs(struct vm *vm) {
  struct kvm_sregs s;
  if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) { ib_set_error("KVM_GET_SREGS: %s", strerror(errno)); return -1; }
  seg(&s.cs, SEL_UCODE | 3, 0xb, 3, 1, 0);
  seg(&s.ss, SEL_UDATA | 3, 0x3, 3, 0, 1);
  seg(&s.ds, SEL_UDATA | 3, 0x3, 3, 0, 1);
  seg(&s.es, SEL_UDATA | 3, 0x3, 3, 0, 1);
  seg(&s.fs, SEL_UDATA | 3, 0x3, 3, 0, 1);
  seg(&s.gs, SEL_UDATA | 3, 0x3, 3, 0, 1);
  memset(&s.tr, 0, sizeof(s.tr));
  s.tr.selector = SEL_TSS;
  s.tr.base = L_GDT + 0x100;
  s.tr.limit = TSS_LIMIT;
  s.tr.type = 0xb;
  s.tr.present = 1;
  memset(&s.ldt, 0, sizeof(s.ldt));
  s.ldt.unusable = 1;
  s.gdt.base = L_GDT;
  s.gdt.limit = SEL_TSS + 15;
  s.idt.base = L_IDT;
  s.idt.limit = 32 * 16 - 1;
  s.cr0 = 0x80010033;          /* PG WP NE ET MP PE */
  s.cr3 = L_PML4;
  s.cr4 = 0x20 | 0x200 | 0x400 | 0x10000 | 0x40000; /* PAE OSFXSR OSXMMEXCPT FSGSBASE OSXSAVE; no SMEP/SMAP */
  s.efer = 0x1 | 0x100 | 0x400 | 0x800;             /* SCE LME LMA NXE */
  if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0) { ib_set_error("KVM_SET_SREGS: %s", strerror(errno)); return -1; }
  return 0;
}

/* Ring-0 path (hardware KVM): the stub runs at CPL 0, so ring 3 must not reach any of it.
 * After the probe (which ran `syscall` from the stub page in ring 3): the stub page becomes
 * supervisor-only (ring 3 can no longer jump into it at any offset), the TSS I/O bitmap closes
 * every port (ring 3 cannot `out` to the syscall port with forged registers: #GP; the stub's
 * `out` runs at CPL 0 <= IOPL), and the 32-bit user code segment goes (no far jump into
 * compatibility mode; SYSRET64 does not read it). kvm_pvm's ring-3 path needs all three. */
static void ring0_lockdown(uint8_t *mem) {
  uint64_t pte = L_STUB | PTE_P | PTE_A | PTE_D;
  put64(mem, L_PT0 + (L_STUB / GPAGE) * 8, pte);
  memset(mem + L_GDT + 0x100 + 0x68, 0xff, 33);
  put64(mem, L_GDT + SEL_UCODE32, 0);
}

/* Runs the probe code: does SYSCALL reach LSTAR in ring 0 (hardware) or ring 3 (kvm_pvm)? */
int vm_probe_exit_path(struct vm *vm, int *ring0) {
  struct kvm_regs r;
  memset(&r, 0, sizeof(r));
  r.rip = L_STUB + S_PROBE;
  r.rflags = 0x2; /* IOPL 0: the TSS I/O bitmap opens only the stub's two ports */
  r.rsp = L_USER + 0x1000;
  if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0) { ib_set_error("KVM_SET_REGS: %s", strerror(errno)); return -1; }
  if (vm_set_user_sregs(vm) < 0) return -1;
  uint64_t t_before = host_tsc();
  if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) { ib_set_error("probe KVM_RUN: %s", strerror(errno)); return -1; }
  uint64_t t_after = host_tsc();
  struct kvm_run *run = vm->run;
  if (run->exit_reason != KVM_EXIT_IO || run->io.port != PORT_SYSCALL) {
    ioctl(vm->vcpu_fd, KVM_GET_REGS, &r);
    uint64_t frame[6];
    memcpy(frame, vm->mem + L_IST_TOP - 48, sizeof(frame));
    ib_set_error("exit-path probe: unexpected exit %u (port 0x%x, vector %llu, rip 0x%llx, frame %llx %llx %llx); "
                 "SYSCALL did not reach the stub",
                 run->exit_reason, run->exit_reason == KVM_EXIT_IO ? run->io.port : 0, (unsigned long long)(r.rax & 0xff),
                 (unsigned long long)r.rip, (unsigned long long)frame[0], (unsigned long long)frame[1],
                 (unsigned long long)frame[3]);
    return -1;
  }
  struct kvm_sregs s;
  if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0 || ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0) {
    ib_set_error("probe: get regs: %s", strerror(errno));
    return -1;
  }
  if (r.rax != HC_PROBE) { ib_set_error("exit-path probe: rax %llx", (unsigned long long)r.rax); return -1; }
  *ring0 = (s.cs.selector & 3) == 0;
  if (g_exit_ring0 < 0) g_exit_ring0 = *ring0;
  vm->mem[L_DATA + D_RING0] = *ring0;
  if (*ring0) ring0_lockdown(vm->mem);
  /* the guest's TSC should be the host's (MSR written at creation); keep the measured skew */
  (void)t_before;
  (void)t_after;
  return vm_set_lstar(vm, *ring0);
}
