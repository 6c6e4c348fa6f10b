/* Process facts and bookkeeping a runtime asks for: sysinfo, umask, signal dispositions/mask/
 * alternate stack (stored and reported back: signals are never delivered), getrusage. The
 * bookkeeping is per VM and rolls back to the frozen master's on reset. (futex, sched_yield and
 * the affinity calls belong to the threads families: sys_thread.c, sys_deno.c.) */
#include "fork.h"
#include "policy.h"
#include "syscall.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#define NSIG_LX 64
#define LX_SIGKILL 9
#define LX_SIGSTOP 19

struct ksigaction { uint64_t handler, flags, restorer, mask; };
struct kstack { uint64_t sp; int32_t flags, pad; uint64_t size; };

struct procx {
  struct ksigaction act[NSIG_LX + 1];
  uint64_t mask;
  struct kstack alt;
  uint32_t umask;
  uint64_t generation;
};

static int g_slot = -1;

static struct procx *px(struct vm *vm) { return g_slot >= 0 ? vm->ext[g_slot] : NULL; }

static long sys_rt_sigaction(struct vm *vm, const uint64_t a[6]) {
  struct procx *s = px(vm);
  int sig = (int)a[0];
  if (!s) return -ENOMEM;
  if (a[3] != 8 || sig < 1 || sig > NSIG_LX) return -EINVAL;
  if (a[1] && (sig == LX_SIGKILL || sig == LX_SIGSTOP)) return -EINVAL;
  struct ksigaction nw;
  if (a[1] && gm_read(vm, a[1], &nw, sizeof(nw))) return -EFAULT;
  if (a[2] && gm_write(vm, a[2], &s->act[sig], sizeof(s->act[sig]))) return -EFAULT;
  if (a[1]) {
    s->act[sig] = nw;
    s->generation++;
  }
  return 0;
}

static long sys_rt_sigprocmask(struct vm *vm, const uint64_t a[6]) {
  struct procx *s = px(vm);
  if (!s) return -ENOMEM;
  if (a[3] != 8) return -EINVAL;
  uint64_t set = 0, old = s->mask;
  if (a[1]) {
    if (gm_read(vm, a[1], &set, 8)) return -EFAULT;
    switch (a[0]) {
    case 0: s->mask |= set; break;  /* SIG_BLOCK */
    case 1: s->mask &= ~set; break; /* SIG_UNBLOCK */
    case 2: s->mask = set; break;   /* SIG_SETMASK */
    default: return -EINVAL;
    }
    s->mask &= ~((1ULL << (LX_SIGKILL - 1)) | (1ULL << (LX_SIGSTOP - 1)));
    if (s->mask != old) s->generation++;
  }
  if (a[2] && gm_write(vm, a[2], &old, 8)) return -EFAULT;
  return 0;
}

static long sys_sigaltstack(struct vm *vm, const uint64_t a[6]) {
  struct procx *s = px(vm);
  if (!s) return -ENOMEM;
  struct kstack nw, old = s->alt;
  if (a[0]) {
    if (gm_read(vm, a[0], &nw, sizeof(nw))) return -EFAULT;
    if (nw.flags & ~2) return -EINVAL; /* SS_DISABLE only */
    if (!(nw.flags & 2) && nw.size < 2048) return -ENOMEM;
    s->alt = nw;
    s->generation++;
  }
  if (a[1] && gm_write(vm, a[1], &old, sizeof(old))) return -EFAULT;
  return 0;
}

static long sys_umask(struct vm *vm, const uint64_t a[6]) {
  struct procx *s = px(vm);
  if (!s) return 022;
  uint32_t old = s->umask;
  s->umask = (uint32_t)a[0] & 0777;
  if (s->umask != old) s->generation++;
  return old;
}


static long sys_sysinfo(struct vm *vm, const uint64_t a[6]) {
  struct sysinfo si;
  memset(&si, 0, sizeof(si));
  si.uptime = (int64_t)(now_ns() / 1000000000ULL);
  si.totalram = vm->mem_size;
  uint64_t used = vm->proc.amap.bytes + (vm->proc.brk_cur - vm->proc.brk_start);
  si.freeram = used < vm->mem_size ? vm->mem_size - used : 0;
  si.procs = 1;
  si.mem_unit = 1;
  return gm_write(vm, a[0], &si, sizeof(si));
}

static long sys_getrusage(struct vm *vm, const uint64_t a[6]) {
  if ((int64_t)a[0] != 0 && (int64_t)a[0] != -1 && (int64_t)a[0] != 1) return -EINVAL;
  uint8_t ru[144];
  memset(ru, 0, sizeof(ru));
  return gm_write(vm, a[1], ru, sizeof(ru));
}

static void procx_init(struct procx *s) {
  memset(s, 0, sizeof(*s));
  s->umask = 022;
  s->alt.flags = 2; /* SS_DISABLE */
}

static void on_create(struct vm *vm) {
  struct procx *s = malloc(sizeof(*s));
  if (s) procx_init(s);
  vm->ext[g_slot] = s;
}
static void on_fork(struct vm *child, struct vm *master) {
  struct procx *m = px(master), *s = malloc(sizeof(*s));
  if (s && m) *s = *m;
  else if (s) procx_init(s);
  child->ext[g_slot] = s;
}
static void on_reset(struct vm *vm, int full) {
  (void)full;
  struct procx *s = px(vm), *m = vm->master ? px(&vm->master->vm) : NULL;
  if (s && m && s->generation != m->generation) *s = *m;
}
static void on_destroy(struct vm *vm) {
  free(vm->ext[g_slot]);
  vm->ext[g_slot] = NULL;
}

static const struct sys_family_hooks g_hooks = {
    .name = "fs_proc", .on_create = on_create, .on_fork = on_fork, .on_reset = on_reset, .on_destroy = on_destroy};

SYS_FAMILY_LATE(fs_proc) {
  g_slot = sys_family_hooks_register(&g_hooks);
  sys_register(13, "rt_sigaction", sys_rt_sigaction);
  sys_register(14, "rt_sigprocmask", sys_rt_sigprocmask);
  sys_register(95, "umask", sys_umask);
  sys_register(98, "getrusage", sys_getrusage);
  sys_register(99, "sysinfo", sys_sysinfo);
  sys_register(131, "sigaltstack", sys_sigaltstack);
}
