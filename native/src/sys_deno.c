/* Odds and ends a V8/tokio runtime (Deno) asks at boot, each answered deliberately (the table
 * in native/DENO.md lists them with the reason). */
#include "threads.h"
#include "syscall.h"
#include <errno.h>
#include <string.h>

#define PR_SET_PDEATHSIG 1
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_SET_TIMERSLACK 29
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PR_SET_THP_DISABLE 41
#define PR_SET_VMA 0x53564d41

static long sys_prctl(struct vm *vm, const uint64_t a[6]) {
  switch (a[0]) {
  case PR_SET_NAME: /* thread names are not kept: nothing reads them back but PR_GET_NAME */
  case PR_SET_PDEATHSIG:
  case PR_SET_DUMPABLE:
  case PR_SET_TIMERSLACK:
  case PR_SET_THP_DISABLE:
    return 0;
  case PR_SET_NO_NEW_PRIVS: return 0; /* already true of the sandbox */
  case PR_GET_NO_NEW_PRIVS: return 1;
  case PR_GET_DUMPABLE: return 0;
  case PR_GET_NAME: {
    char name[16] = "guest";
    return gm_write(vm, a[1], name, sizeof(name));
  }
  case PR_SET_VMA: /* naming anonymous memory: as a kernel without CONFIG_ANON_VMA_NAME */
  default:
    return -EINVAL;
  }
}

/* one vCPU: every barrier is already satisfied */
static long sys_membarrier(struct vm *vm, const uint64_t a[6]) {
  (void)vm;
  if (a[1] & ~1ULL) return -EINVAL;
  switch (a[0]) {
  case 0: return 1 | 8 | 16 | 32 | 64; /* QUERY: GLOBAL, PRIVATE_EXPEDITED(+REGISTER), SYNC_CORE */
  case 1: case 8: case 16: case 32: case 64: return 0;
  default: return -EINVAL;
  }
}

static long sys_getcpu(struct vm *vm, const uint64_t a[6]) {
  uint32_t zero = 0;
  if (a[0] && gm_write(vm, a[0], &zero, 4)) return -EFAULT;
  if (a[1] && gm_write(vm, a[1], &zero, 4)) return -EFAULT;
  return 0;
}

static long sys_enosys(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return -ENOSYS; }
static long sys_enospc(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return -ENOSPC; }
static long sys_eperm(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return -EPERM; }
static long sys_zero(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return 0; }

static long sys_sched_getscheduler(struct vm *vm, const uint64_t a[6]) {
  (void)vm;
  return (int32_t)a[0] >= 0 ? 0 /* SCHED_OTHER, any thread */ : -EINVAL;
}

static long sys_sched_getparam(struct vm *vm, const uint64_t a[6]) {
  int32_t prio = 0;
  return gm_write(vm, a[1], &prio, 4);
}

static long sys_sched_prio(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return 0; }

/* 0 = the caller, else any live guest thread (glibc's pthread_getattr_np asks with the tid) */
static int tid_known(struct vm *vm, int32_t tid) {
  if (tid == 0) return 1;
  struct thr_table *tt = thr_table(vm);
  if (!tt) return tid == 1;
  for (int i = 0; i < THR_MAX; i++)
    if (tt->t[i].tid && tt->t[i].tid == tid) return 1;
  return 0;
}

static long sys_sched_getaffinity(struct vm *vm, const uint64_t a[6]) {
  if (!tid_known(vm, (int32_t)a[0])) return -ESRCH;
  if (a[1] < 8 || (a[1] & 7)) return -EINVAL;
  uint64_t one = 1; /* one vCPU */
  return gm_write(vm, a[2], &one, 8) ? -EFAULT : 8;
}

static long sys_sched_setaffinity(struct vm *vm, const uint64_t a[6]) {
  return tid_known(vm, (int32_t)a[0]) ? 0 : -ESRCH;
}

/* the owners of sched_setaffinity/getaffinity (thread ids are known here) */
SYS_FAMILY_PRIO(deno_threads, 310) {
  sys_register(203, "sched_setaffinity", sys_sched_setaffinity);
  sys_register(204, "sched_getaffinity", sys_sched_getaffinity);
}

SYS_FAMILY_LATE(deno) {
  sys_register(157, "prctl", sys_prctl);
  sys_register(324, "membarrier", sys_membarrier);
  sys_register(309, "getcpu", sys_getcpu);
  sys_register(334, "rseq", sys_enosys);          /* glibc then does without restartable sequences */
  sys_register(425, "io_uring_setup", sys_enosys);
  sys_register(426, "io_uring_enter", sys_enosys);
  sys_register(427, "io_uring_register", sys_enosys);
  sys_register(330, "pkey_alloc", sys_enospc);    /* no protection keys: V8 does without */
  sys_register(331, "pkey_free", sys_enosys);
  sys_register(329, "pkey_mprotect", sys_enosys);
  sys_register(149, "mlock", sys_zero);           /* all guest memory is resident for the guest */
  sys_register(150, "munlock", sys_zero);
  sys_register(325, "mlock2", sys_zero);
  sys_register(145, "sched_getscheduler", sys_sched_getscheduler);
  sys_register(143, "sched_getparam", sys_sched_getparam);
  sys_register(146, "sched_get_priority_max", sys_sched_prio);
  sys_register(147, "sched_get_priority_min", sys_sched_prio);
  sys_register(144, "sched_setscheduler", sys_eperm);
  sys_register(141, "setpriority", sys_eperm);
  sys_register(140, "getpriority", sys_sched_prio);
  sys_register(319, "memfd_create", sys_eperm);   /* no shared memory objects in the sandbox */
}
