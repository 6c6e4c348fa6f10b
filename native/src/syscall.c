/* The dispatcher: number -> handler; unknown numbers answer -ENOSYS and are counted. */
#include "syscall.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct sys_entry {
  const char *name;
  sys_fn fn;
};

static struct sys_entry g_table[SYS_TABLE_MAX];
static struct sys_entry g_hc_table[HC_TABLE_MAX];
static const struct sys_family_hooks *g_hooks[IB_EXT_MAX];
static int g_nhooks;
static int g_trace = -1; /* ISOBENCH_TRACE_SYSCALLS set: log every dispatched call */

void sys_register(unsigned nr, const char *name, sys_fn fn) {
  if (nr < SYS_TABLE_MAX) g_table[nr] = (struct sys_entry){name, fn};
  else if (nr >= HC_BASE && nr < HC_BASE + HC_TABLE_MAX) g_hc_table[nr - HC_BASE] = (struct sys_entry){name, fn};
}

sys_fn sys_handler(unsigned nr) {
  if (nr < SYS_TABLE_MAX) return g_table[nr].fn;
  if (nr >= HC_BASE && nr < HC_BASE + HC_TABLE_MAX) return g_hc_table[nr - HC_BASE].fn;
  return NULL;
}

const char *sys_name(unsigned nr) {
  if (nr < SYS_TABLE_MAX) return g_table[nr].name;
  if (nr >= HC_BASE && nr < HC_BASE + HC_TABLE_MAX) return g_hc_table[nr - HC_BASE].name;
  return NULL;
}

long sys_dispatch(struct vm *vm, uint64_t nr, const uint64_t a[6]) {
  const struct sys_entry *e = NULL;
  if (nr < SYS_TABLE_MAX) {
    vm->ctr.syscalls[nr]++;
    e = &g_table[nr];
  } else if (nr >= HC_BASE && nr < HC_BASE + HC_TABLE_MAX) {
    if (nr - HC_BASE < CTR_HC_MAX) vm->ctr.hypercalls[nr - HC_BASE]++;
    e = &g_hc_table[nr - HC_BASE];
  } else {
    vm->ctr.syscalls_other++;
  }
  if (!e || !e->fn) {
    if (nr < CTR_SYSNR_MAX) vm->ctr.enosys[nr]++;
    else vm->ctr.enosys_other++;
    return -ENOSYS;
  }
  if (g_trace < 0) g_trace = getenv("ISOBENCH_TRACE_SYSCALLS") != NULL;
  if (!g_trace) return e->fn(vm, a);
  /* debugging aid: one line per host-handled call on stderr (the in-guest fast paths never get here) */
  long r = e->fn(vm, a);
  fprintf(stderr, "isobench trace: %s%s(%#llx, %#llx, %#llx, %#llx) = %ld%s\n", vm->is_worker ? "[w] " : "",
          e->name ? e->name : "?", (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
          (unsigned long long)a[3], r, vm->stop != STOP_NONE ? " (run stopped)" : "");
  return r;
}

int sys_family_hooks_register(const struct sys_family_hooks *h) {
  if (g_nhooks == IB_EXT_MAX) return -1;
  g_hooks[g_nhooks] = h;
  return g_nhooks++;
}

void sys_hooks_create(struct vm *vm) {
  for (int i = 0; i < g_nhooks; i++) if (g_hooks[i]->on_create) g_hooks[i]->on_create(vm);
}
void sys_hooks_fork(struct vm *child, struct vm *master) {
  for (int i = 0; i < g_nhooks; i++) if (g_hooks[i]->on_fork) g_hooks[i]->on_fork(child, master);
}
void sys_hooks_reset(struct vm *vm, int full) {
  for (int i = 0; i < g_nhooks; i++) if (g_hooks[i]->on_reset) g_hooks[i]->on_reset(vm, full);
}
void sys_hooks_destroy(struct vm *vm) {
  for (int i = 0; i < g_nhooks; i++) if (g_hooks[i]->on_destroy) g_hooks[i]->on_destroy(vm);
}
