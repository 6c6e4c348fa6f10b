/* The dispatcher: number -> handler; unknown numbers answer -ENOSYS and are counted. */
#include "syscall.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sys_entry {
  const char *name;
  sys_fn fn;
};

static struct sys_entry g_table[SYS_TABLE_MAX];
static struct sys_entry g_hc_table[HC_TABLE_MAX];
static const struct sys_family_hooks *g_hooks[IB_EXT_MAX];
static int g_nhooks;
static int g_trace = -1; /* ISOBENCH_TRACE_SYSCALLS set: log every dispatched call */

/* The numbers two families handle, in one place: `then` (registered later, higher priority)
 * handles its own fds and passes every other call to `first`'s handler. */
static const struct sys_chain g_chains[] = {
    {44, "sockets", "unix_pairs"}, /* sendto: socketpair ends, else TCP sockets */
    {45, "sockets", "unix_pairs"}, /* recvfrom */
    {46, "sockets", "unix_pairs"}, /* sendmsg */
    {47, "sockets", "unix_pairs"}, /* recvmsg */
    {51, "sockets", "unix_pairs"}, /* getsockname */
    {52, "sockets", "unix_pairs"}, /* getpeername */
    {55, "sockets", "unix_pairs"}, /* getsockopt */
};

#define REG_MAX 1024
static struct sys_reg g_regs[REG_MAX]; /* every registration, for sys_registry_check */
static int g_nregs, g_regs_lost;
static const char *g_family = "?";
static int g_family_prio;

void sys_family_begin(const char *family, int prio) {
  g_family = family ? family : "?";
  g_family_prio = prio;
}

void sys_register(unsigned nr, const char *name, sys_fn fn) {
  if (g_nregs < REG_MAX) g_regs[g_nregs++] = (struct sys_reg){nr, g_family, g_family_prio};
  else g_regs_lost = 1;
  if (nr < SYS_TABLE_MAX) g_table[nr] = (struct sys_entry){name, fn};
  else if (nr >= HC_BASE && nr < HC_BASE + HC_TABLE_MAX) g_hc_table[nr - HC_BASE] = (struct sys_entry){name, fn};
}

int sys_registry_validate(const struct sys_reg *regs, int nregs, const struct sys_chain *chains, int nchains,
                          char *err, size_t cap) {
  for (int i = 0; i < nregs; i++)
    for (int j = i + 1; j < nregs; j++) {
      if (regs[j].nr != regs[i].nr) continue;
      const struct sys_reg *a = &regs[i], *b = &regs[j];
      if (b->prio < a->prio) { const struct sys_reg *t = a; a = b; b = t; } /* a: the earlier owner */
      int declared = 0;
      for (int c = 0; c < nchains; c++)
        if (chains[c].nr == a->nr && !strcmp(chains[c].first, a->family) && !strcmp(chains[c].then, b->family))
          declared = 1;
      if (!declared) {
        snprintf(err, cap, "syscall %u is registered by families %s and %s and no chain declares it (src/syscall.c g_chains)",
                 a->nr, a->family, b->family);
        return -1;
      }
      if (a->prio == b->prio) {
        snprintf(err, cap, "syscall %u: chained families %s and %s have the same priority %d (the order would be the link order)",
                 a->nr, a->family, b->family, a->prio);
        return -1;
      }
    }
  return 0;
}

int sys_registry_check(void) {
  char err[256];
  if (g_regs_lost) { ib_set_error("more than %d syscall registrations", REG_MAX); return -1; }
  if (sys_registry_validate(g_regs, g_nregs, g_chains, sizeof(g_chains) / sizeof(g_chains[0]), err, sizeof(err)) < 0) {
    ib_set_error("%s", err);
    return -1;
  }
  return 0;
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
  if (g_trace < 0) g_trace = getenv("ISOBENCH_TRACE_SYSCALLS") != NULL;
  if (!e || !e->fn) {
    if (nr < CTR_SYSNR_MAX) vm->ctr.enosys[nr]++;
    else vm->ctr.enosys_other++;
    if (g_trace)
      fprintf(stderr, "isobench trace: %s#%llu(%#llx, %#llx, %#llx, %#llx) = -ENOSYS (not implemented)\n", vm->is_worker ? "[w] " : "",
              (unsigned long long)nr, (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
              (unsigned long long)a[3]);
    return -ENOSYS;
  }
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
