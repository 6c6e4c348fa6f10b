/* Thread syscalls: clone/clone3 (threads only), futex, sched_yield, thread exit, per-thread
 * set_tid_address/set_robust_list/gettid, tgkill/tkill, sleeping as a scheduling point, and the
 * readiness waits of sys_ready.c wrapped so a thread with nothing ready lets the others run.
 * Registered after every other family (priority 350): they replace the single-thread answers. */
#include "net.h"
#include "threads.h"
#include "syscall.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define LX_CLONE_VM 0x100
#define LX_CLONE_FS 0x200
#define LX_CLONE_FILES 0x400
#define LX_CLONE_SIGHAND 0x800
#define LX_CLONE_THREAD 0x10000
#define LX_CLONE_SYSVSEM 0x40000
#define LX_CLONE_SETTLS 0x80000
#define LX_CLONE_PARENT_SETTID 0x100000
#define LX_CLONE_CHILD_CLEARTID 0x200000
#define LX_CLONE_DETACHED 0x400000
#define LX_CLONE_CHILD_SETTID 0x1000000
#define THREAD_NEED (LX_CLONE_VM | LX_CLONE_THREAD | LX_CLONE_SIGHAND)
#define THREAD_OK (THREAD_NEED | LX_CLONE_FS | LX_CLONE_FILES | LX_CLONE_SYSVSEM | LX_CLONE_SETTLS | \
                   LX_CLONE_PARENT_SETTID | LX_CLONE_CHILD_CLEARTID | LX_CLONE_DETACHED | LX_CLONE_CHILD_SETTID)

static void log_once(struct vm *vm, const char *what) {
  static __thread const char *last;
  if (last == what) return;
  last = what;
  (void)vm;
  if (getenv("ISOBENCH_THREADS_VERBOSE")) fprintf(stderr, "isobench threads: %s\n", what);
}

/* ---- clone ---- */

static long do_clone(struct vm *vm, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls) {
  struct thr_table *tt = thr_table(vm);
  if (!tt) return -ENOMEM;
  if ((flags & THREAD_NEED) != THREAD_NEED) {
    log_once(vm, "clone without CLONE_VM|CLONE_THREAD|CLONE_SIGHAND refused (no processes in the sandbox)");
    return -EPERM;
  }
  if (flags & ~(uint64_t)THREAD_OK & ~0xffULL) return -EINVAL; /* low byte: exit signal, ignored for threads */
  if (!stack) return -EINVAL;
  int slot = -1;
  for (int i = 0; i < THR_MAX; i++)
    if (!tt->t[i].tid) { slot = i; break; }
  if (slot < 0) return -EAGAIN;
  int err = thr_ensure_areas(vm);
  if (err) return err;
  struct kvm_sregs s;
  if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) return -EIO;
  /* on hardware KVM rip is still at the `out` until the exit completes: the child's registers
   * are the parent's after it (a child started on the `out` issued a second syscall, rax 0 =
   * read, and returned into the parent's branch of clone on its own stack: #PF at rip 0) */
  thr_complete_io(vm);
  int32_t tid = tt->next_tid++;
  if ((flags & LX_CLONE_PARENT_SETTID) && gm_write(vm, ptid, &tid, 4)) return -EFAULT;
  if ((flags & LX_CLONE_CHILD_SETTID) && gm_write(vm, ctid, &tid, 4)) return -EFAULT;
  struct thr *c = &tt->t[slot];
  memset(c, 0, sizeof(*c));
  c->tid = tid;
  c->fresh = 1;
  c->parent = (uint8_t)tt->cur;
  c->clear_tid = (flags & LX_CLONE_CHILD_CLEARTID) ? ctid : 0;
  c->fs = (flags & LX_CLONE_SETTLS) ? tls : s.fs.base;
  c->gs = s.gs.base;
  c->regs = vm->run->s.regs.regs;
  c->regs.rsp = stack;
  c->regs.rax = 0;
  c->ret = 0;
  c->state = T_READY;
  tt->live++;
  tt->created++;
  /* the new thread runs first, as upstream does */
  thr_save_current(vm, T_READY, tid);
  return thr_schedule_to(vm, slot);
}

static long sys_clone(struct vm *vm, const uint64_t a[6]) { return do_clone(vm, a[0], a[1], a[2], a[3], a[4]); }

struct clone_args_lx {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static long sys_clone3(struct vm *vm, const uint64_t a[6]) {
  struct clone_args_lx ca;
  memset(&ca, 0, sizeof(ca));
  if (a[1] < 64 || a[1] > 4096) return -EINVAL;
  if (gm_read(vm, a[0], &ca, a[1] < sizeof(ca) ? a[1] : sizeof(ca))) return -EFAULT;
  if (ca.exit_signal || ca.set_tid || ca.set_tid_size || ca.cgroup) return (ca.flags & THREAD_NEED) == THREAD_NEED ? -EINVAL : -EPERM;
  if (ca.flags & 0xff) return -EINVAL;
  if (!ca.stack || !ca.stack_size) return -EINVAL;
  return do_clone(vm, ca.flags, ca.stack + ca.stack_size, ca.parent_tid, ca.child_tid, ca.tls);
}

/* ---- futex ---- */

#define FUTEX_CMD_MASK 0x7f
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ANY 0xffffffffu

long thr_futex_wake(struct vm *vm, uint64_t addr, int n, uint32_t bitset) {
  struct thr_table *tt = thr_table(vm);
  int woken = 0;
  for (int i = 0; i < THR_MAX && woken < n; i++) {
    struct thr *t = &tt->t[i];
    if (!t->tid || t->state != T_FUTEX || t->futex_addr != addr || !(t->futex_bitset & bitset)) continue;
    t->state = T_READY;
    t->ret = 0;
    t->deadline_ns = 0;
    woken++;
  }
  if (woken) {
    tt->futex_wakes += woken;
    tt->generation++;
  }
  return woken;
}

static int64_t ts_ns(const struct timespec *ts) { return guest_timeout_ns(ts->tv_sec, ts->tv_nsec, 1); }

static int read_ts(struct vm *vm, uint64_t addr, struct timespec *ts) {
  if (gm_read(vm, addr, ts, sizeof(*ts))) return -EFAULT;
  if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) return -EINVAL;
  return 0;
}

/* absolute CLOCK_MONOTONIC deadline from a timeout: relative, or absolute on `clock` */
static int deadline_of(struct vm *vm, uint64_t addr, int absolute, clockid_t clock, uint64_t *out) {
  struct timespec ts;
  int err = read_ts(vm, addr, &ts);
  if (err) return err;
  uint64_t now = vm_mono_ns(vm); /* deadlines are kept in guest time (engine.h, mono_offset_ns) */
  if (!absolute) {
    *out = now + (uint64_t)ts_ns(&ts);
  } else if (clock == CLOCK_REALTIME) {
    struct timespec r;
    clock_gettime(CLOCK_REALTIME, &r);
    int64_t left = ts_ns(&ts) - ts_ns(&r);
    *out = left > 0 ? now + (uint64_t)left : now;
  } else {
    *out = (uint64_t)ts_ns(&ts);
  }
  if (!*out) *out = 1;
  return 0;
}

static long futex_wait(struct vm *vm, uint64_t addr, uint32_t val, uint64_t timeout, int absolute, clockid_t clock, uint32_t bitset) {
  struct thr_table *tt = thr_table(vm);
  uint32_t cur;
  if (addr % 4) return -EINVAL;
  if (!bitset) return -EINVAL;
  if (gm_read(vm, addr, &cur, 4)) return -EFAULT;
  if (cur != val) return -EAGAIN;
  uint64_t deadline = 0;
  if (timeout) {
    int err = deadline_of(vm, timeout, absolute, clock, &deadline);
    if (err) return err;
    if (deadline <= vm_mono_ns(vm)) return -ETIMEDOUT;
  }
  tt->futex_waits++;
  thr_save_current(vm, T_FUTEX, 0);
  struct thr *t = &tt->t[tt->cur];
  t->futex_addr = addr;
  t->futex_bitset = bitset;
  t->deadline_ns = deadline;
  return thr_schedule(vm);
}

static int wake_op_cmp(uint32_t op, uint32_t oldval) {
  int cmp = (op >> 24) & 15;
  int32_t arg = (int32_t)(op << 20) >> 20, o = (int32_t)oldval;
  switch (cmp) {
  case 0: return o == arg;
  case 1: return o != arg;
  case 2: return o < arg;
  case 3: return o <= arg;
  case 4: return o > arg;
  case 5: return o >= arg;
  default: return -1;
  }
}

static long futex_wake_op(struct vm *vm, const uint64_t a[6]) {
  uint32_t op = (uint32_t)a[5], oldval, nv;
  int opc = (op >> 28) & 7;
  uint32_t arg = (uint32_t)((int32_t)(op << 8) >> 20);
  if ((op >> 31) & 1) arg = 1u << (arg & 31); /* FUTEX_OP_OPARG_SHIFT */
  if (a[4] % 4 || gm_read(vm, a[4], &oldval, 4)) return -EFAULT;
  switch (opc) {
  case 0: nv = arg; break;
  case 1: nv = oldval + arg; break;
  case 2: nv = oldval | arg; break;
  case 3: nv = oldval & ~arg; break;
  case 4: nv = oldval ^ arg; break;
  default: return -ENOSYS;
  }
  int c = wake_op_cmp(op, oldval);
  if (c < 0) return -ENOSYS;
  if (gm_write(vm, a[4], &nv, 4)) return -EFAULT;
  long n = thr_futex_wake(vm, a[0], (int)a[2], FUTEX_BITSET_ANY);
  if (c) n += thr_futex_wake(vm, a[4], (int)(uint32_t)a[3], FUTEX_BITSET_ANY);
  return n;
}

static long futex_requeue(struct vm *vm, const uint64_t a[6], int cmp) {
  struct thr_table *tt = thr_table(vm);
  if (cmp) {
    uint32_t cur;
    if (gm_read(vm, a[0], &cur, 4)) return -EFAULT;
    if (cur != (uint32_t)a[5]) return -EAGAIN;
  }
  int nwake = (int)a[2], nmove = (int)(uint32_t)a[3];
  if (nwake < 0 || nmove < 0) return -EINVAL;
  long done = thr_futex_wake(vm, a[0], nwake, FUTEX_BITSET_ANY);
  int moved = 0;
  for (int i = 0; i < THR_MAX && moved < nmove; i++) {
    struct thr *t = &tt->t[i];
    if (!t->tid || t->state != T_FUTEX || t->futex_addr != a[0]) continue;
    t->futex_addr = a[4];
    moved++;
  }
  if (moved) tt->generation++;
  return done + moved;
}

static long sys_futex(struct vm *vm, const uint64_t a[6]) {
  int cmd = (int)(a[1] & FUTEX_CMD_MASK);
  clockid_t clock = (a[1] & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  switch (cmd) {
  case 0: /* FUTEX_WAIT: relative timeout */
    return futex_wait(vm, a[0], (uint32_t)a[2], a[3], 0, clock, FUTEX_BITSET_ANY);
  case 9: /* FUTEX_WAIT_BITSET: absolute timeout */
    return futex_wait(vm, a[0], (uint32_t)a[2], a[3], 1, clock, (uint32_t)a[5]);
  case 1: /* FUTEX_WAKE */
    return thr_futex_wake(vm, a[0], (int)a[2], FUTEX_BITSET_ANY);
  case 10: /* FUTEX_WAKE_BITSET */
    if (!(uint32_t)a[5]) return -EINVAL;
    return thr_futex_wake(vm, a[0], (int)a[2], (uint32_t)a[5]);
  case 3: return futex_requeue(vm, a, 0);
  case 4: return futex_requeue(vm, a, 1);
  case 5: return futex_wake_op(vm, a);
  default: /* PI futexes, WAIT_REQUEUE_PI, LOCK_PI2 */
    log_once(vm, "futex: priority-inheritance operations answered ENOSYS");
    return -ENOSYS;
  }
}

/* ---- yield, sleep, exit ---- */

static long sys_sched_yield(struct vm *vm, const uint64_t a[6]) {
  (void)a;
  long rax;
  return thr_yield(vm, &rax) ? rax : 0;
}

static long sleep_until(struct vm *vm, uint64_t deadline) {
  struct thr_table *tt = thr_table(vm);
  if (thr_live(vm) < 2) return 0; /* one thread: sleeping is virtual, as in sys_time.c */
  thr_save_current(vm, T_SLEEP, 0);
  tt->t[tt->cur].deadline_ns = deadline;
  return thr_schedule(vm);
}

static long sys_nanosleep(struct vm *vm, const uint64_t a[6]) {
  uint64_t d;
  int err = deadline_of(vm, a[0], 0, CLOCK_MONOTONIC, &d);
  return err ? err : sleep_until(vm, d);
}

static long sys_clock_nanosleep(struct vm *vm, const uint64_t a[6]) {
  clockid_t clk = (clockid_t)(int)a[0];
  if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME && clk != CLOCK_TAI) return -EINVAL;
  uint64_t d;
  int err = deadline_of(vm, a[2], (a[1] & TIMER_ABSTIME) != 0, clk == CLOCK_REALTIME || clk == CLOCK_TAI ? CLOCK_REALTIME : CLOCK_MONOTONIC, &d);
  return err ? err : sleep_until(vm, d);
}

static long sys_exit_thread(struct vm *vm, const uint64_t a[6]) {
  struct thr_table *tt = thr_table(vm);
  if (!tt || tt->live < 2) { /* the last thread: the process ends */
    vm->exit_code = (int)(a[0] & 0xff);
    vm->ctr.exits_guest++;
    vm_stop(vm, STOP_EXIT, "guest exited with code %d", vm->exit_code);
    return 0;
  }
  struct thr *t = &tt->t[tt->cur];
  if (t->clear_tid) {
    uint32_t zero = 0;
    if (!gm_write(vm, t->clear_tid, &zero, 4)) thr_futex_wake(vm, t->clear_tid, 1, FUTEX_BITSET_ANY);
  }
  thr_complete_io(vm);
  memset(t, 0, sizeof(*t)); /* slot free; its save area is kept for the next thread there */
  tt->live--;
  tt->exited++;
  tt->generation++;
  return thr_schedule(vm);
}

/* ---- per-thread ids ---- */

static long sys_gettid(struct vm *vm, const uint64_t a[6]) { (void)a; return thr_current_tid(vm); }

static long sys_set_tid_address(struct vm *vm, const uint64_t a[6]) {
  struct thr_table *tt = thr_table(vm);
  if (!tt) return 1;
  tt->t[tt->cur].clear_tid = a[0];
  tt->generation++;
  return tt->t[tt->cur].tid;
}

static long sys_set_robust_list(struct vm *vm, const uint64_t a[6]) {
  struct thr_table *tt = thr_table(vm);
  if (a[1] != 24) return -EINVAL;
  if (!tt) return 0;
  tt->t[tt->cur].robust_list = a[0];
  tt->generation++;
  return 0;
}

static long sys_get_robust_list(struct vm *vm, const uint64_t a[6]) {
  struct thr_table *tt = thr_table(vm);
  if (!tt) return -ENOMEM;
  int slot = -1;
  for (int i = 0; i < THR_MAX; i++)
    if (tt->t[i].tid && (a[0] == 0 ? i == tt->cur : tt->t[i].tid == (int32_t)a[0])) slot = i;
  if (slot < 0) return -ESRCH;
  uint64_t len = 24;
  if (gm_write(vm, a[1], &tt->t[slot].robust_list, 8) || gm_write(vm, a[2], &len, 8)) return -EFAULT;
  return 0;
}

/* Signals are not delivered (synchronous-only model): a signal whose default action is to be
 * ignored is dropped; signal 0 checks the thread exists; any other signal to a thread of ours
 * ends the run as that signal would (abort() -> SIGABRT) — a handler would never run. */
static long send_signal(struct vm *vm, int32_t tid, int sig) {
  struct thr_table *tt = thr_table(vm);
  int found = 0;
  for (int i = 0; tt && i < THR_MAX; i++) if (tt->t[i].tid && tt->t[i].tid == tid) found = 1;
  if (!tt && tid == 1) found = 1;
  if (sig < 0 || sig > 64) return -EINVAL;
  if (!found) return -ESRCH;
  if (sig == 0) return 0;
  if (sig == 17 || sig == 18 || sig == 23 || sig == 28) return 0; /* CHLD CONT URG WINCH: ignored by default */
  vm->exit_code = 128 + sig;
  vm->ctr.exits_guest++;
  vm_stop(vm, STOP_EXIT, "guest sent signal %d to thread %d (signals are not delivered): the run ends", sig, tid);
  return 0;
}

static long sys_tgkill(struct vm *vm, const uint64_t a[6]) {
  if ((int32_t)a[0] != 1) return -ESRCH;
  return send_signal(vm, (int32_t)a[1], (int)a[2]);
}
static long sys_tkill(struct vm *vm, const uint64_t a[6]) { return send_signal(vm, (int32_t)a[0], (int)a[1]); }

/* ---- readiness waits: let the other threads run before blocking ---- */

/* index of the timeout argument and its kind: 0 = int ms, 1 = timespec*, 2 = timeval* */
static int timeout_arg(uint64_t nr, int *kind) {
  switch (nr) {
  case 7: *kind = 0; return 2;    /* poll(fds, n, ms) */
  case 232:                       /* epoll_wait(ep, ev, max, ms) */
  case 281: *kind = 0; return 3;  /* epoll_pwait */
  case 271: *kind = 1; return 2;  /* ppoll(fds, n, ts, mask, sz) */
  case 441: *kind = 1; return 3;  /* epoll_pwait2(ep, ev, max, ts, mask, sz) */
  case 270: *kind = 1; return 4;  /* pselect6 */
  case 23: *kind = 2; return 4;   /* select(n, r, w, e, tv) */
  default: return -1;
  }
}

static int timeout_is_zero(struct vm *vm, int kind, uint64_t v) {
  if (kind == 0) return (int)v == 0;
  if (!v) return 0;
  uint64_t t[2];
  if (gm_read(vm, v, t, sizeof(t))) return 0;
  return t[0] == 0 && t[1] == 0;
}

static long ready_wait(struct vm *vm, uint64_t nr, const uint64_t a[6]) {
  if (thr_live(vm) < 2) return net_ready_call(vm, nr, a);
  int kind, idx = timeout_arg(nr, &kind);
  if (idx < 0 || timeout_is_zero(vm, kind, a[idx])) return net_ready_call(vm, nr, a);
  /* look without waiting first */
  uint64_t b[6];
  memcpy(b, a, sizeof(b));
  if (kind == 0) b[idx] = 0;
  else {
    uint64_t z = thr_scratch_page(vm), zero[2] = {0, 0}, cur[2];
    if (!z) return net_ready_call(vm, nr, a);
    if (gm_read(vm, z, cur, sizeof(cur)) || cur[0] || cur[1]) gm_write(vm, z, zero, sizeof(zero));
    b[idx] = z;
  }
  long n = net_ready_call(vm, nr, b);
  if (n != 0 || vm->stop != STOP_NONE) return n;
  long rax;
  if (thr_park_restart(vm, nr, &rax)) return rax;
  /* nobody else can run: block on the host, no longer than the next thread timeout (int-ms
   * waits; a wait cut short this way lets the timed-out thread run and is re-issued) */
  uint64_t d = thr_next_deadline(vm);
  if (kind == 0 && d) {
    uint64_t now = vm_mono_ns(vm);
    int64_t ms = d > now ? (int64_t)((d - now + 999999) / 1000000) : 0;
    int orig = (int)a[idx];
    if (orig < 0 || ms < orig) {
      memcpy(b, a, sizeof(b));
      b[idx] = (uint64_t)ms;
      n = net_ready_call(vm, nr, b);
      if (n != 0 || vm->stop != STOP_NONE) return n;
      if (thr_park_restart(vm, nr, &rax)) return rax;
      return 0;
    }
  }
  return net_ready_call(vm, nr, a);
}

#define READY_WRAP(name, nr) \
  static long name(struct vm *vm, const uint64_t a[6]) { return ready_wait(vm, nr, a); }
READY_WRAP(thr_poll, 7)
READY_WRAP(thr_ppoll, 271)
READY_WRAP(thr_select, 23)
READY_WRAP(thr_pselect6, 270)
READY_WRAP(thr_epoll_wait, 232)
READY_WRAP(thr_epoll_pwait, 281)
READY_WRAP(thr_epoll_pwait2, 441)

SYS_FAMILY_PRIO(threads_sys, 350) {
  sys_register(56, "clone", sys_clone);
  sys_register(435, "clone3", sys_clone3);
  sys_register(202, "futex", sys_futex);
  sys_register(24, "sched_yield", sys_sched_yield);
  sys_register(35, "nanosleep", sys_nanosleep);
  sys_register(230, "clock_nanosleep", sys_clock_nanosleep);
  sys_register(60, "exit", sys_exit_thread);
  sys_register(186, "gettid", sys_gettid);
  sys_register(218, "set_tid_address", sys_set_tid_address);
  sys_register(273, "set_robust_list", sys_set_robust_list);
  sys_register(274, "get_robust_list", sys_get_robust_list);
  sys_register(234, "tgkill", sys_tgkill);
  sys_register(200, "tkill", sys_tkill);
  sys_register(7, "poll", thr_poll);
  sys_register(271, "ppoll", thr_ppoll);
  sys_register(23, "select", thr_select);
  sys_register(270, "pselect6", thr_pselect6);
  sys_register(232, "epoll_wait", thr_epoll_wait);
  sys_register(281, "epoll_pwait", thr_epoll_pwait);
  sys_register(441, "epoll_pwait2", thr_epoll_pwait2);
}
