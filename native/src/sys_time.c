/* Time: the stub answers clock_gettime for the common clocks inside the guest; these are the
 * host fallbacks (other clocks, bad pointers, gettimeofday, time). Sleeping (nanosleep,
 * clock_nanosleep) belongs to the threads family (sys_thread.c): virtual with one thread. */
#include "syscall.h"
#include <errno.h>
#include <time.h>

static long sys_clock_gettime(struct vm *vm, const uint64_t a[6]) {
  struct timespec ts;
  clockid_t clk = (clockid_t)(int)a[0];
  if (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID) clk = CLOCK_MONOTONIC;
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
