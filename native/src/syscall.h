/* Table-driven syscall dispatcher. A family lives in one file sys_<family>.c and registers its
 * handlers from a SYS_FAMILY block (a constructor: no central list to edit):
 *
 *   static long sys_getuid(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return 0; }
 *   SYS_FAMILY(ids) { sys_register(102, "getuid", sys_getuid); }
 *
 * Handlers return the value for RAX (negative errno on failure). To end the run instead (exit,
 * block for the next request, kill the request), call vm_stop(); the return value is ignored. */
#ifndef IB_SYSCALL_H
#define IB_SYSCALL_H
#include "engine.h"
#include "gmem.h"

#define SYS_TABLE_MAX 512      /* Linux x86-64 numbers */
#define HC_BASE 0x1000         /* engine hypercalls: HC_BASE .. HC_BASE+HC_TABLE_MAX-1 */
#define HC_TABLE_MAX 0x100

typedef long (*sys_fn)(struct vm *vm, const uint64_t a[6]);

/* One owner per number. The only numbers two families handle are the chains declared in one
 * table, g_chains in syscall.c: the later family (higher SYS_FAMILY priority) takes the number
 * and calls the earlier family's handler (sys_handler(), read before it registers) for what it
 * does not handle. Any other second registration is recorded and fails sys_registry_check()
 * (run by every master_create), so nothing depends on constructor or link order. */
void sys_register(unsigned nr, const char *name, sys_fn fn);
const char *sys_name(unsigned nr);
/* the handler registered so far for nr (NULL = none): a later family that takes over a number
 * for some fds only calls it for the others */
sys_fn sys_handler(unsigned nr);
/* 0 when every number has one owner or a declared chain; else -1 and ib_set_error() names it */
int sys_registry_check(void);

/* the registry's rule, on any list of registrations (unit-tested in test/test_units.c) */
struct sys_reg { unsigned nr; const char *family; int prio; };
struct sys_chain { unsigned nr; const char *first, *then; };
/* 0 = valid; else -1 and a one-line message in err */
int sys_registry_validate(const struct sys_reg *regs, int nregs, const struct sys_chain *chains, int nchains,
                          char *err, size_t cap);
/* set by the SYS_FAMILY constructors around their body: who registers */
void sys_family_begin(const char *family, int prio);
/* handles the syscall in vm's synced registers; returns the handler's result */
long sys_dispatch(struct vm *vm, uint64_t nr, const uint64_t a[6]);

/* Per-VM state of a family (open files, sockets...) lives in vm->ext[slot]; these hooks keep
 * it in step with fork/reset/destroy. All hooks are optional. */
struct sys_family_hooks {
  const char *name;
  void (*on_create)(struct vm *vm);                    /* master created */
  void (*on_fork)(struct vm *child, struct vm *master); /* worker created from the frozen master */
  void (*on_reset)(struct vm *vm, int full);           /* worker reset (pages/full) */
  void (*on_destroy)(struct vm *vm);
};
/* returns the vm->ext slot index reserved for the family, or -1 */
int sys_family_hooks_register(const struct sys_family_hooks *h);
void sys_hooks_create(struct vm *vm);
void sys_hooks_fork(struct vm *child, struct vm *master);
void sys_hooks_reset(struct vm *vm, int full);
void sys_hooks_destroy(struct vm *vm);

/* Core families register first (priority 200); SYS_FAMILY_LATE blocks (priority 300) run after
 * them, so a later family can replace a core handler (e.g. a files family taking over write). */
#define SYS_FAMILY_PRIO(family, prio) \
  static void sys_family_body_##family(void); \
  static void sys_family_init_##family(void) __attribute__((constructor(prio))); \
  static void sys_family_init_##family(void) { \
    sys_family_begin(#family, prio); \
    sys_family_body_##family(); \
    sys_family_begin(NULL, 0); \
  } \
  static void sys_family_body_##family(void)
#define SYS_FAMILY(family) SYS_FAMILY_PRIO(family, 200)
#define SYS_FAMILY_LATE(family) SYS_FAMILY_PRIO(family, 300)

#endif
