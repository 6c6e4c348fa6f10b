/* Time: the stub answers clock_gettime for the common clocks inside the guest; these are the
 * host fallbacks (other clocks, bad pointers, gettimeofday, time). Sleeping (nanosleep,
 * clock_nanosleep) belongs to the threads family (sys_thread.c).
 *
 * Clock ids: only the guest's own clocks. The static ids Linux offers a process (REALTIME,
 * MONOTONIC, BOOTTIME, their COARSE/RAW/ALARM/TAI forms) read the host's system-wide clocks
 * (monotonic ones rebased to the guest's, engine.h mono_offset_ns). CPU-time clocks are the
 * guest's own only: PROCESS/THREAD_CPUTIME_ID and the encoded ids of its own pid (1, or 0 =
 * self) and live thread ids, emulated by the guest's monotonic clock: a host CPU clock would
 * show the server's, or the worker thread's time accumulated over earlier requests. Any other
 * id (another host process's or thread's CPU clock, which also probes host pids; fd clocks) is
 * refused with EINVAL, as Linux refuses a clock that does not exist. */
#include "syscall.h"
#include "threads.h"
#include <errno.h>
#include <time.h>

#define GUEST_PID 1 /* the data page's getpid answer (kvm.c) */
#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

static int is_guest_tid(struct vm *vm, int32_t tid) {
  if (tid == GUEST_PID || tid == thr_current_tid(vm)) return 1;
  struct thr_table *tt = thr_table(vm);
  for (int i = 0; tt && i < THR_MAX; i++)
    if (tt->t[i].tid && tt->t[i].tid == tid) return 1;
  return 0;
}

/* the host clock that answers guest clock id `id`, or -EINVAL */
static int guest_clock(struct vm *vm, int64_t id, clockid_t *host) {
  switch (id) {
  case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE:
  case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME: case CLOCK_TAI:
    *host = (clockid_t)id;
    return 0;
  case CLOCK_REALTIME_ALARM: *host = CLOCK_REALTIME; return 0;
  case CLOCK_BOOTTIME_ALARM: *host = CLOCK_BOOTTIME; return 0;
  case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID: *host = CLOCK_MONOTONIC; return 0;
  default: break;
  }
  if (id >= 0 || (id & 3) == 3) return -EINVAL; /* 3: an fd clock */
  int32_t pid = (int32_t)~(id >> 3);                              /* Linux's CPUCLOCK_PID */
  int own = (id & 4) ? (pid == 0 || is_guest_tid(vm, pid)) : (pid == 0 || pid == GUEST_PID);
  if (!own) return -EINVAL;
  *host = CLOCK_MONOTONIC;
  return 0;
}

static long sys_clock_gettime(struct vm *vm, const uint64_t a[6]) {
  struct timespec ts;
  clockid_t clk;
  if (guest_clock(vm, (int64_t)(int32_t)a[0], &clk) < 0) return -EINVAL;
  if (clock_gettime(clk, &ts) < 0) return -EINVAL;
  if (clk == CLOCK_MONOTONIC || clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_MONOTONIC_COARSE || clk == CLOCK_BOOTTIME) {
    /* the guest's monotonic clocks (engine.h, mono_offset_ns), as the stub answers them */
    int64_t ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + vm->mono_offset_ns;
    ts.tv_sec = ns / 1000000000LL;
    ts.tv_nsec = ns % 1000000000LL;
  }
  return gm_write(vm, a[1], &ts, sizeof(ts));
}

static long sys_clock_getres(struct vm *vm, const uint64_t a[6]) {
  struct timespec ts = {0, 1};
  clockid_t clk;
  if (guest_clock(vm, (int64_t)(int32_t)a[0], &clk) < 0) return -EINVAL;
  if (!a[1]) return 0;
  return gm_write(vm, a[1], &ts, sizeof(ts));
}

static long sys_gettimeofday(struct vm *vm, const uint64_t a[6]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (a[0]) {
    int64_t tv[2] = {ts.tv_sec, ts.tv_nsec / 1000};
    return gm_write(vm, a[0], tv, sizeof(tv));
  }
  return 0;
}

static long sys_time(struct vm *vm, const uint64_t a[6]) {
  int64_t t = (int64_t)time(NULL);
  if (a[0] && gm_write(vm, a[0], &t, 8)) return -EFAULT;
  return t;
}

SYS_FAMILY(time) {
  sys_register(96, "gettimeofday", sys_gettimeofday);
  sys_register(201, "time", sys_time);
  sys_register(228, "clock_gettime", sys_clock_gettime);
  sys_register(229, "clock_getres", sys_clock_getres);
}
