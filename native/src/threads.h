/* Guest threads on the single vCPU, run cooperatively: a thread runs until it blocks (futex wait,
 * sleep, a poll/epoll with nothing ready), yields or exits; a new thread runs first. Switching
 * is done by the host inside a syscall exit: it keeps the stopped thread's general registers,
 * loads the next one's into the synced-regs area with rip = the stub's switch trampoline, which
 * saves/restores the FPU/SSE/AVX state and FS/GS bases in the guest (no vCPU ioctl).
 *
 * All state is plain data (struct thr_table) held per VM: a worker copies the frozen master's
 * table at fork and gets it back at every reset, so a worker's threads are reset with it. */
#ifndef IB_THREADS_H
#define IB_THREADS_H
#include "engine.h"

#define THR_MAX 64

enum thr_state {
  T_FREE = 0,
  T_RUNNING, /* the thread on the vCPU */
  T_READY,   /* runnable; resumes with rax = ret */
  T_FUTEX,   /* waits on futex_addr (bitset), until deadline when set */
  T_SLEEP,   /* nanosleep until deadline */
  T_RESTART, /* blocked in a readiness wait: re-issues its syscall when scheduled (lowest priority) */
};

struct thr {
  int32_t tid;          /* 0 = free slot */
  uint8_t state;        /* enum thr_state */
  uint8_t fresh;        /* never ran: its FPU image is its parent's save area */
  uint8_t parent;       /* slot of the parent (fresh threads) */
  uint8_t pad;
  uint32_t futex_bitset;
  uint64_t futex_addr;
  uint64_t deadline_ns; /* CLOCK_MONOTONIC, 0 = none */
  int64_t ret;          /* rax to resume with */
  uint64_t clear_tid;   /* CLONE_CHILD_CLEARTID / set_tid_address */
  uint64_t robust_list;
  uint64_t fs, gs;      /* fresh threads: bases to start with (others: in their save area) */
  struct kvm_regs regs; /* saved registers when not running */
};

struct thr_table {
  int32_t cur;          /* slot on the vCPU */
  int32_t live;         /* threads alive */
  int32_t next_tid;
  int32_t rr;           /* round-robin cursor */
  uint64_t areas;       /* guest address of THR_MAX save pages (0 until the first clone) */
  uint64_t generation;  /* bumped on every change: an untouched table skips the reset copy */
  uint64_t switches, futex_waits, futex_wakes, timeouts, created, exited;
  struct thr t[THR_MAX];
};

struct thr_table *thr_table(struct vm *vm);
int thr_live(struct vm *vm);      /* threads alive (1 without clone) */
int32_t thr_current_tid(struct vm *vm);

/* Called by a readiness wait (poll/epoll...) that found nothing ready: when another thread can
 * run, switches to it and makes the caller re-issue syscall nr when it is next scheduled; returns
 * 1 and *rax = the value the handler must return. Returns 0 when no other thread can run (the
 * caller then blocks on the host as usual). */
int thr_park_restart(struct vm *vm, uint64_t nr, long *rax);
/* earliest futex/sleep deadline of a thread other than the current one, 0 = none */
uint64_t thr_next_deadline(struct vm *vm);
/* wakes threads whose deadline has passed (they run at the next switch); count */
int thr_expire(struct vm *vm);

/* for sys_thread.c */
int thr_ensure_areas(struct vm *vm);     /* allocates the save areas (first clone) */
uint64_t thr_scratch_page(struct vm *vm); /* an engine page in guest memory, 0 before the first clone */
void thr_save_current(struct vm *vm, enum thr_state st, int64_t ret);
void thr_complete_io(struct vm *vm);     /* before changing rip in synced regs (hardware KVM) */
/* the current thread (just saved as T_RESTART) re-issues syscall nr at its `syscall` at sys_at */
void thr_set_restart(struct vm *vm, uint64_t sys_at, uint64_t nr);
long thr_schedule_to(struct vm *vm, int slot); /* current saved: run this slot now; rax */
long thr_schedule(struct vm *vm);        /* current thread blocked or ended: run another; rax */
int thr_yield(struct vm *vm, long *rax); /* another ready thread runs now; 0 = none */

#endif
