/* Master/worker lifecycle: freeze, fork, per-request run, reset modes. */
#ifndef IB_FORK_H
#define IB_FORK_H
#include "engine.h"

struct ib_master {
  struct vm vm;
  int frozen;
  struct kvm_regs snap_regs;   /* at the ready exit */
  struct kvm_sregs snap_sregs;
  uint64_t resume_rip;         /* after the `out` of the ready hypercall */
  struct guest_proc frozen_proc;
  struct ib_counters retired;  /* counters of destroyed workers */
  int nworkers;
  struct ib_worker *workers;   /* live workers (list) */
  char *json;
};

struct ib_worker {
  struct vm vm;
  struct ib_master *m;
  struct ib_worker *next;
  int mode;
  uint64_t hybrid_threshold;
  int tainted;                 /* faulted / exited / hit a limit: the next reset is full */
  uint64_t *since_reset;       /* pages dirtied (guest or host) since the last reset */
  uint64_t since_count;
  uint64_t *scratch;           /* KVM dirty log buffer */
  uint8_t at_random[16];       /* this worker's AT_RANDOM bytes */
  char *json;
};

ib_master *master_create(const char *path, const char *const *argv, const char *const *envp, const ib_limits *lim);
int master_run_to_ready(ib_master *m);
void master_destroy(ib_master *m);
ib_worker *worker_fork(ib_master *m, int mode);
int worker_run_request(ib_worker *w, const void *in, size_t in_len, void *out, size_t out_cap, ib_request_result *res);
int worker_reset(ib_worker *w, int mode);
void worker_destroy(ib_worker *w);

#endif
