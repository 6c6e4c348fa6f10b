/* Guest threads: the per-VM thread table, the scheduler and the context switch (see threads.h).
 * The syscalls that create, block, wake and end threads are in sys_thread.c. */
#include "threads.h"
#include "fork.h"
#include "sys_mem.h"
#include "syscall.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

static int g_slot = -1;

struct thr_table *thr_table(struct vm *vm) { return g_slot >= 0 ? vm->ext[g_slot] : NULL; }

int thr_live(struct vm *vm) {
  struct thr_table *tt = thr_table(vm);
  return tt ? tt->live : 1;
}

int32_t thr_current_tid(struct vm *vm) {
  struct thr_table *tt = thr_table(vm);
  return tt ? tt->t[tt->cur].tid : 1;
}

static void table_init(struct thr_table *tt) {
  memset(tt, 0, sizeof(*tt));
  tt->t[0].tid = 1; /* the first thread's tid is the pid */
  tt->t[0].state = T_RUNNING;
  tt->live = 1;
  tt->next_tid = 2;
}

static void on_create(struct vm *vm) {
  struct thr_table *tt = malloc(sizeof(*tt));
  if (tt) table_init(tt);
  vm->ext[g_slot] = tt;
}

static void on_fork(struct vm *child, struct vm *master) {
  struct thr_table *m = thr_table(master), *tt = malloc(sizeof(*tt));
  if (tt && m) *tt = *m;
  else if (tt) table_init(tt);
  child->ext[g_slot] = tt;
}

static void on_reset(struct vm *vm, int full) {
  (void)full;
  struct thr_table *tt = thr_table(vm), *m = vm->master ? thr_table(&vm->master->vm) : NULL;
  if (tt && m && tt->generation != m->generation) *tt = *m;
}

static void on_destroy(struct vm *vm) {
  free(vm->ext[g_slot]);
  vm->ext[g_slot] = NULL;
}

static const struct sys_family_hooks g_hooks = {
    .name = "threads", .on_create = on_create, .on_fork = on_fork, .on_reset = on_reset, .on_destroy = on_destroy};

SYS_FAMILY(threads) { g_slot = sys_family_hooks_register(&g_hooks); }

/* ---- switching ---- */

static uint64_t area_of(const struct thr_table *tt, int slot) { return tt->areas + (uint64_t)slot * GPAGE; }

int thr_ensure_areas(struct vm *vm) {
  struct thr_table *tt = thr_table(vm);
  if (!tt) return -ENOMEM;
  if (tt->areas) return 0;
  /* THR_MAX save pages + one page of engine scratch (a zero timespec for readiness probes);
   * the memfd is sparse: only pages a switch writes take host memory */
  long at = mem_map(vm, 0, (THR_MAX + 1) * GPAGE, 0, 0);
  if (at < 0) return (int)at;
  tt->areas = (uint64_t)at;
  tt->generation++;
  return 0;
}

uint64_t thr_scratch_page(struct vm *vm) {
  struct thr_table *tt = thr_table(vm);
  return tt && tt->areas ? area_of(tt, THR_MAX) : 0;
}

/* On hardware KVM the port exit leaves rip at the `out`, which KVM skips on the next KVM_RUN
 * (after loading synced regs): loading another thread's rip would then be skipped too. Complete
 * the exit first with an immediate-exit KVM_RUN (no guest entry). kvm_pvm reports rip past the
 * `out` already and needs nothing. */
void thr_complete_io(struct vm *vm) {
  struct kvm_regs *r = &vm->run->s.regs.regs;
  if (r->rip + 2 > L_USER || vm->mem[r->rip] != 0xE6 || vm->mem[r->rip + 1] != PORT_SYSCALL) return;
  vm->run->immediate_exit = 1;
  ioctl(vm->vcpu_fd, KVM_RUN, 0);
  vm->run->immediate_exit = 0;
}

/* keeps the running thread's registers; it resumes later with rax = ret */
void thr_save_current(struct vm *vm, enum thr_state st, int64_t ret) {
  struct thr_table *tt = thr_table(vm);
  thr_complete_io(vm);
  struct thr *t = &tt->t[tt->cur];
  t->regs = vm->run->s.regs.regs;
  t->state = (uint8_t)st;
  t->ret = ret;
  tt->generation++;
}

static void put_data(uint8_t *d, uint64_t off, uint64_t v) { memcpy(d + off, &v, 8); }

/* Puts slot `to` on the vCPU (the current thread was saved or has ended). Returns the rax the
 * syscall handler returns (the trampoline sets rax itself, run.c's write is harmless). */
static long switch_to(struct vm *vm, int to) {
  struct thr_table *tt = thr_table(vm);
  struct thr *nx = &tt->t[to];
  if (to == tt->cur) { /* its own wait ended: the synced registers are still its own */
    nx->state = T_RUNNING;
    tt->generation++;
    return nx->ret;
  }
  uint8_t *d = vm->mem + L_DATA;
  uint64_t fs = nx->fs, gs = nx->gs;
  if (!nx->fresh) {
    memcpy(&fs, vm->mem + area_of(tt, to) + SW_AREA_FS, 8);
    memcpy(&gs, vm->mem + area_of(tt, to) + SW_AREA_GS, 8);
  }
  put_data(d, D_SW_OLD, area_of(tt, tt->cur));
  put_data(d, D_SW_NEW, area_of(tt, nx->fresh ? nx->parent : to));
  put_data(d, D_SW_FS, fs);
  put_data(d, D_SW_GS, gs);
  put_data(d, D_SW_RAX, (uint64_t)nx->ret);
  put_data(d, D_SW_RCX, nx->regs.rcx);
  put_data(d, D_SW_RDX, nx->regs.rdx);
  /* ring-0 path: every thread not on the vCPU stopped in a syscall, so it goes back to CPL 3
   * through the stub's sysretq at rcx (its return address, or its `syscall` to re-issue); the
   * saved rip (a stub address, or the guest's own code for a restart) is never jumped to at CPL 0 */
  put_data(d, D_SW_RIP, exit_path_ring0() ? L_STUB + S_RET_R0 : nx->regs.rip);
  put_data(d, D_TID, (uint64_t)(uint32_t)nx->tid);
  gm_mark_dirty(vm, L_DATA, GPAGE);
  struct kvm_regs *r = &vm->run->s.regs.regs;
  *r = nx->regs;
  r->rip = L_STUB + S_SWITCH;
  vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
  nx->fresh = 0;
  nx->state = T_RUNNING;
  tt->cur = to;
  tt->switches++;
  tt->generation++;
  return nx->ret;
}

/* next thread in state st after the round-robin cursor, -1 = none; `skip` is never picked */
static int pick(struct thr_table *tt, enum thr_state st, int skip) {
  for (int k = 1; k <= THR_MAX; k++) {
    int i = (tt->rr + k) % THR_MAX;
    if (i != skip && tt->t[i].tid && tt->t[i].state == st) {
      tt->rr = i;
      return i;
    }
  }
  return -1;
}

int thr_expire(struct vm *vm) {
  struct thr_table *tt = thr_table(vm);
  if (!tt) return 0;
  uint64_t now = vm_mono_ns(vm); /* deadlines are guest time */
  int n = 0;
  for (int i = 0; i < THR_MAX; i++) {
    struct thr *t = &tt->t[i];
    if (!t->tid || !t->deadline_ns || (t->state != T_FUTEX && t->state != T_SLEEP) || t->deadline_ns > now) continue;
    t->ret = t->state == T_FUTEX ? -ETIMEDOUT : 0;
    t->state = T_READY;
    t->deadline_ns = 0;
    tt->timeouts++;
    n++;
  }
  if (n) tt->generation++;
  return n;
}

static uint64_t earliest_deadline(struct thr_table *tt, int skip) {
  uint64_t d = 0;
  for (int i = 0; i < THR_MAX; i++) {
    struct thr *t = &tt->t[i];
    if (i == skip || !t->tid || !t->deadline_ns || (t->state != T_FUTEX && t->state != T_SLEEP)) continue;
    if (!d || t->deadline_ns < d) d = t->deadline_ns;
  }
  return d;
}

uint64_t thr_next_deadline(struct vm *vm) {
  struct thr_table *tt = thr_table(vm);
  return tt ? earliest_deadline(tt, tt->cur) : 0;
}

/* host sleep until `until` (the guest's CLOCK_MONOTONIC ns), bounded by the run's time limit;
 * -1 = limit hit */
static int host_sleep_until(struct vm *vm, uint64_t until) {
  until -= (uint64_t)vm->mono_offset_ns; /* to host time */
  for (;;) {
    uint64_t now = now_ns();
    if (vm->deadline_ns && now >= vm->deadline_ns) {
      vm->ctr.limit_hits[LIM_TIME]++;
      vm_stop(vm, STOP_LIMIT_TIME, "time limit exceeded while every guest thread was waiting");
      return -1;
    }
    if (now >= until) return 0;
    uint64_t end = until;
    if (vm->deadline_ns && vm->deadline_ns < end) end = vm->deadline_ns;
    struct timespec ts = {(time_t)(end / 1000000000ULL), (long)(end % 1000000000ULL)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* EINTR (the run's kick): loop */
  }
}

/* The current thread cannot run (blocked or ended): run another. Order: ready threads round
 * robin, then waiters whose timeout passed, then threads blocked in a readiness wait (they
 * re-issue it and block on the host there), else sleep until the earliest timeout. Nothing
 * left that can ever run is a deadlock: the run is killed with a message. */
long thr_schedule(struct vm *vm) {
  struct thr_table *tt = thr_table(vm);
  for (;;) {
    int to = pick(tt, T_READY, -1);
    if (to < 0 && thr_expire(vm)) to = pick(tt, T_READY, -1);
    if (to < 0) to = pick(tt, T_RESTART, -1);
    if (to >= 0) return switch_to(vm, to);
    uint64_t d = earliest_deadline(tt, -1);
    if (!d) {
      vm->ctr.killed++;
      vm_stop(vm, STOP_KILLED, "deadlock: all %d guest threads wait on futexes with no timeout", tt->live);
      return 0;
    }
    if (host_sleep_until(vm, d) < 0) return 0;
  }
}

long thr_schedule_to(struct vm *vm, int slot) { return switch_to(vm, slot); }

/* Another ready thread runs now; the current one stays ready (sched_yield). 0 = none ready. */
int thr_yield(struct vm *vm, long *rax) {
  struct thr_table *tt = thr_table(vm);
  if (!tt || tt->live < 2) return 0;
  int to = pick(tt, T_READY, tt->cur);
  if (to < 0 && thr_expire(vm)) to = pick(tt, T_READY, tt->cur);
  if (to < 0) return 0;
  thr_save_current(vm, T_READY, 0);
  *rax = switch_to(vm, to);
  return 1;
}

int thr_park_restart(struct vm *vm, uint64_t nr, long *rax) {
  struct thr_table *tt = thr_table(vm);
  if (!tt || tt->live < 2) return 0;
  int to = pick(tt, T_READY, tt->cur);
  if (to < 0 && thr_expire(vm)) to = pick(tt, T_READY, tt->cur);
  if (to < 0) return 0;
  struct kvm_regs *r = &vm->run->s.regs.regs;
  uint64_t sys_at = r->rcx - 2; /* the guest's `syscall` instruction */
  if (r->rcx < L_USER + 2 || !gm_valid(vm, sys_at, 2) || vm->mem[sys_at] != 0x0f || vm->mem[sys_at + 1] != 0x05)
    return 0;
  thr_save_current(vm, T_RESTART, (int64_t)nr);
  thr_set_restart(vm, sys_at, nr);
  *rax = switch_to(vm, to);
  return 1;
}

void thr_set_restart(struct vm *vm, uint64_t sys_at, uint64_t nr) {
  struct thr_table *tt = thr_table(vm);
  struct thr *t = &tt->t[tt->cur];
  t->regs.rip = sys_at; /* kvm_pvm: the switch jumps here in ring 3 */
  t->regs.rcx = sys_at; /* ring-0 path: sysretq goes here (the `syscall` rewrites rcx anyway) */
  t->regs.rax = nr;
}
