/* A guest context without KVM, for unit tests and fuzz targets: guest memory (a memfd, as a real
 * master has), a zeroed kvm_run whose synced registers the handlers read, an address-space
 * layout like a loaded program's, and every syscall family's per-VM state (fd table, policy,
 * sockets, threads...) created by the same hooks a real master and fork use. No vCPU is ever
 * created: calls that need one (clone's KVM_GET_SREGS) fail with their error.
 *
 * The file policy allows one host directory and nothing else (policy_confine). Drive handlers
 * with vm_syscall_exit (engine.h), exactly as the vCPU loop does. */
#ifndef IB_VM_BARE_H
#define IB_VM_BARE_H
#include "fork.h"

/* mem_bytes: guest memory (2 MiB multiple, >= 8 MiB); root_dir: the only directory the guest may
 * open (writable), also its cwd; NULL: no file at all. The program region [L_USER, L_USER + 1 MiB) is where a test puts
 * its data; brk, mmap and the stack lie above it. NULL + ib_last_error() on failure. */
ib_master *bare_master_create(uint64_t mem_bytes, const char *root_dir);
/* freezes the master (as its ready point would) and forks a worker from it (sys_hooks_fork) */
ib_worker *bare_worker_fork(ib_master *m);
/* a worker's reset without KVM: memory back to the master's (all pages dropped), process state
 * and every family's state back to the frozen master's (sys_hooks_reset); full as in worker_reset */
void bare_worker_reset(ib_worker *w, int full);
void bare_worker_destroy(ib_worker *w);
void bare_master_destroy(ib_master *m);

#define BARE_PROGRAM_SIZE (1ULL << 20)

#endif
