/* Master/worker lifecycle: freeze, fork, per-request run, reset modes. */
#ifndef IB_FORK_H
#define IB_FORK_H
#include "engine.h"

struct ib_master {
  struct vm vm;
  int frozen;
  uint64_t freeze_mono_ns;     /* host CLOCK_MONOTONIC at the freeze (the master's guest clock = host's) */
  struct kvm_regs snap_regs;   /* at the ready exit */
  struct kvm_sregs snap_sregs;
  uint64_t resume_rip;         /* after the `out` of the ready hypercall */
  struct guest_proc frozen_proc;
  struct ib_counters retired;  /* counters of destroyed workers */
  /* the memfd's contents at the freeze (see map_holes_anonymous in fork.c): a bit per page that
   * holds data, and the holes a worker maps anonymously */
  uint64_t *data_map;
  struct alloc_ext *holes;
  uint32_t nholes;
  uint64_t holes_uncovered_bytes; /* holes too small to overlay (a read there allocates in the memfd) */
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
  /* The worker's private set: pages dirtied (guest or host) since its last FULL reset. KVM's
   * dirty bits of these pages are never cleared in between, so they stay writable in KVM's
   * page tables (no write-protect fault per page per request); a `pages` reset copies the
   * master's contents back over the whole set, a full reset drops it and re-protects it. */
  uint64_t *since_reset;
  uint64_t since_count;        /* pages in since_reset */
  uint64_t last_new_dirty;     /* pages the last request added to the set */
  uint64_t since_peak;         /* largest since_count seen (cleared with the page counters) */
  uint64_t *scratch;           /* KVM dirty log buffer */
  /* dirty-ring mode (src/dirty_track.h): the private set as a list too, so resets and
   * collections never walk the bitmaps (2.5 MiB each at 80 GiB) */
  uint32_t *since_pages;
  uint64_t since_pages_cap;
  /* for the server's counters (reset with the VM counters) */
  uint64_t restored_pages_sum, restore_resets; /* pages copied back by `pages` resets */
  uint64_t dropped_pages_sum, drop_resets;     /* pages dropped by full resets */
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
uint64_t worker_private_pages(const ib_worker *w); /* peak guest pages this worker held privately */
void worker_clear_page_counters(ib_worker *w);

#endif
