/* Internal structures shared by the engine's modules. One `struct vm` per KVM VM (master or
 * worker); syscall handlers receive it as their context. */
#ifndef IB_ENGINE_H
#define IB_ENGINE_H
#include <linux/kvm.h>
#include <stdint.h>
#include <stddef.h>
#include <signal.h>
#include <time.h>
#include "../include/isobench.h"
#include "layout.h"
#include "alloc.h"
#include "counters.h"
#include "dirty_ring.h"

#define IB_EXT_MAX 16      /* per-VM state slots for syscall families (see syscall.h) */
#define IB_CAPTURE_MAX (1u << 20)
#define PT_POOL_WORDS 8            /* bitmap words of the page-table pool (L_PT_POOL_SLOTS <= 512) */

enum stop_reason {
  STOP_NONE = 0,
  STOP_READY,   /* master reached its freeze point */
  STOP_BLOCKED, /* guest waits for the next request (vm->resume completes the call) */
  STOP_EXIT,
  STOP_FAULT,
  STOP_LIMIT_TIME,
  STOP_LIMIT_MEM,
  STOP_KILLED,
};

/* Emulated process state kept by the host. Plain data (no pointers): the frozen master's copy
 * is restored into a worker by assignment on every reset. */
struct guest_proc {
  uint64_t brk_start, brk_cur, brk_max; /* [brk_start, brk_max) reserved for brk */
  uint64_t mmap_lo, mmap_hi;            /* anonymous mmap region, allocated top-down */
  uint64_t stack_lo, stack_hi;
  uint64_t at_random;                   /* guest address of the 16 AT_RANDOM bytes */
  uint64_t tid_address, robust_list;
  uint64_t generation;                  /* bumped on every change: lets reset skip the copy */
  uint64_t pt_pool[PT_POOL_WORDS];      /* page-table pool slots in use (pt_prot.c) */
  struct alloc_map amap;                /* anonymous mappings */
};

struct capture {
  char *buf;
  size_t len, cap;
  uint64_t dropped;
};

struct request_io {
  const uint8_t *in;
  size_t in_len;
  int in_delivered;
  uint8_t *out;
  size_t out_cap;
  uint64_t out_len;
};

struct ib_master;

struct vm {
  int vm_fd, vcpu_fd;
  struct kvm_run *run;
  size_t run_size;
  uint8_t *mem; /* host mapping of guest memory: MAP_SHARED (master) or MAP_PRIVATE (worker) */
  uint64_t mem_size;
  uint64_t npages;
  int is_worker;
  int memfd;                             /* master: the memfd behind mem; worker: -1 */
  const struct guest_proc *baseline;     /* worker: the frozen master's process state */
  struct ib_master *master;
  ib_limits limits;

  /* host-side writes into guest memory since the last dirty collection (1 bit per page) */
  uint64_t *host_dirty;
  uint64_t bitmap_words;
  /* dirty ring (workers of large guests, src/dirty_track.h): ring.gfns NULL = dirty log */
  struct dirty_track {
    struct dirty_ring ring;
    int wanted;              /* ring enabled on the VM (mapped after the vCPU exists) */
    uint32_t *pages;         /* pages dirtied since the last collection (ring + host writes; may repeat) */
    uint64_t n, cap;
    int overflow;            /* a page could not be listed: the next reset drops the whole mapping */
    uint64_t ring_full;      /* KVM_EXIT_DIRTY_RING_FULL exits */
  } dt;
  uint64_t dt_set_pages;     /* ring mode: the worker's private set size (for the memory cap) */
  /* guest CLOCK_MONOTONIC (and RAW/COARSE/BOOTTIME) = host CLOCK_MONOTONIC + this. A worker that
   * starts from the frozen state (after its fork, after every reset but persist) sees the clock
   * go on from the freeze instant, so timers pending in the frozen state do not expire between
   * requests (fork.c, rebase_clock). Host-side deadlines of guest waits are kept in guest time. */
  int64_t mono_offset_ns;
  int at_frozen_state;       /* worker: memory and registers are the frozen master's (rebase next run) */
  int tlb_stale;             /* page tables changed since the vCPU's TLB was last flushed (pt_prot.c) */
  int pt_changed;            /* page tables changed since the last reset that puts the master's back */

  struct guest_proc proc;
  struct capture out[3]; /* index 1 = stdout, 2 = stderr */

  /* run state */
  enum stop_reason stop;
  char stop_msg[256];
  int exit_code;
  long (*resume)(struct vm *vm); /* completes the call the guest is blocked in */
  uint64_t blocked_args[6];
  struct request_io req;
  uint64_t req_exits, req_syscalls;
  uint64_t req_host_intr; /* of req_exits: the time/memory-cap timer's interrupts (wall time, not the guest's doing) */

  /* per-run limits */
  timer_t timer;
  int timer_armed_tid; /* tid the timer signals, 0 = no timer */
  uint64_t deadline_ns;
  uint64_t dirty_cap_pages; /* 0 = no cap */
  /* the cap where the host allocates (gmem.c): a host write on the guest's behalf may not take the
   * private set past the cap. private_set: the worker's set bitmap (fork.c), private_pages: its size
   * when the request started, req_host_pages: pages the host's writes added to it since */
  const uint64_t *private_set;
  uint64_t private_pages, req_host_pages;

  struct ib_counters ctr;
  void *ext[IB_EXT_MAX];
};

/* error reporting (api.c): thread-local message */
void ib_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* kvm.c: KVM plumbing */
int kvm_open(void); /* shared /dev/kvm fd, -1 + error */
int vm_create_kvm(struct vm *vm);           /* VM fd, memslot (vm->mem must be mapped), vCPU, CPUID, MSRs */
int vm_write_low_layout(struct vm *vm);     /* page tables, GDT/TSS/IDT, stub pages into vm->mem */
int vm_set_user_sregs(struct vm *vm);       /* long mode, ring 3 */
int vm_probe_exit_path(struct vm *vm, int *ring0); /* runs the probe; sets LSTAR accordingly */
int vm_set_lstar(struct vm *vm, int ring0);   /* the SYSCALL MSRs (STAR LSTAR CSTAR FMASK) of the exit path */
int vm_check_msrs(struct vm *vm, char *why, size_t cap); /* 0 = SYSCALL MSRs, EFER, KERNEL_GS_BASE as set */
int vm_sync_tsc(struct vm *vm);             /* guest TSC := host TSC */
void vm_destroy_kvm(struct vm *vm);
uint64_t host_tsc(void);
const char *exit_path_name(void);
int exit_path_ring0(void);
uint64_t guest_xcr0(void);                  /* XCR0 of every guest: the state components the engine saves */
void fill_clock_page(uint8_t *data_page);   /* TSC calibration for the stub's clock_gettime */

/* run.c: the vCPU loop */
int vm_run(struct vm *vm, uint64_t time_limit_us); /* runs until a stop; returns enum stop_reason */
uint64_t now_ns(void);
/* the guest's CLOCK_MONOTONIC now, in ns (see mono_offset_ns) */
static inline uint64_t vm_mono_ns(const struct vm *vm) { return now_ns() + (uint64_t)vm->mono_offset_ns; }
/* a guest timeout of sec seconds plus sub units of unit_ns (both >= 0) in ns, saturated at
 * INT64_MAX: the guest chooses the values, and 292 years waits as long as forever */
static inline int64_t guest_timeout_ns(int64_t sec, int64_t sub, int64_t unit_ns) {
  int64_t s, f, r;
  if (__builtin_mul_overflow(sec, 1000000000LL, &s) || __builtin_mul_overflow(sub, unit_ns, &f) || __builtin_add_overflow(s, f, &r))
    return INT64_MAX;
  return r;
}
void vm_stop(struct vm *vm, enum stop_reason why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* one syscall exit as the vCPU loop handles it: the stub's fast-path bookkeeping, then the
 * handler (sys_dispatch); the fuzz targets and unit tests drive handlers through it without a vCPU */
long vm_syscall_exit(struct vm *vm, uint64_t nr, const uint64_t a[6]);
void vm_count_dirty(struct vm *vm, uint64_t *kvm_bitmap, uint64_t *pages);
/* completes a host-handled syscall in the synced registers: rax = ret. On kvm_pvm's ring-3 path
 * the stub returns with `jmp *%rcx`, so RFLAGS is set from R11 as SYSRET would, masked to the user
 * flags (the guest may reach the port with any R11); on the ring-0 path the stub's sysretq
 * masks R11 itself and the stub's own flags stay as SYSCALL left them (FMASK). */
static inline void vm_syscall_return(struct vm *vm, long ret) {
  struct kvm_regs *r = &vm->run->s.regs.regs;
  r->rax = (uint64_t)ret;
  if (!exit_path_ring0()) r->rflags = (r->r11 & RFLAGS_USER) | RFLAGS_FIXED;
  vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

/* elf.c */
struct elf_image;
int elf_load_program(struct vm *vm, const char *path, const char *const *argv, const char *const *envp,
                     uint64_t *entry, uint64_t *sp);
/* the same from an image in host memory (the program's bytes; path names it in errors and
 * AT_EXECFN); interp_data: the interpreter's bytes, NULL = read the file PT_INTERP names */
int elf_load_image(struct vm *vm, const char *path, const uint8_t *data, size_t size, const uint8_t *interp_data,
                   size_t interp_size, const char *const *argv, const char *const *envp, uint64_t *entry, uint64_t *sp);

/* capture of stdout/stderr */
void capture_append(struct capture *c, const void *p, size_t n);

#endif
