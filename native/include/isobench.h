/* isobench engine: C ABI. Opaque handles, plain integers, errors as a status plus
 * ib_last_error() (thread-local message of the last failed call on this thread). */
#ifndef ISOBENCH_H
#define ISOBENCH_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define IB_API __attribute__((visibility("default")))
#else
#define IB_API
#endif

typedef struct ib_master ib_master;
typedef struct ib_worker ib_worker;

enum ib_mode { IB_MODE_PERSIST = 0, IB_MODE_PAGES = 1, IB_MODE_FULL = 2, IB_MODE_HYBRID = 3 };

/* how a run (boot or request) ended */
enum ib_status {
  IB_ERROR = -1,       /* engine/API error: see ib_last_error() */
  IB_OK = 0,           /* reached the ready point / finished the request */
  IB_EXITED = 1,       /* guest called exit/exit_group */
  IB_FAULTED = 2,      /* CPU exception (bad pointer, ud2, ...) or VM shutdown */
  IB_LIMIT_TIME = 3,   /* wall-clock limit hit */
  IB_LIMIT_MEMORY = 4, /* per-request dirty memory cap hit */
  IB_KILLED = 5,       /* forbidden action (unknown port, emulation failure, ...) */
};

/* 0 means "default" for every field */
typedef struct ib_limits {
  uint64_t mem_bytes;              /* guest physical memory (= per-VM cap), default 256 MiB */
  uint64_t boot_time_us;           /* master run to ready, default 10 s */
  uint64_t request_time_us;        /* per request, default 1 s */
  uint64_t request_dirty_bytes;    /* per-request dirtied memory cap, default none */
  uint64_t hybrid_threshold_bytes; /* hybrid: full reset when dirty bytes > this, default 1 MiB */
} ib_limits;

typedef struct ib_request_result {
  int32_t status;       /* enum ib_status */
  int32_t exit_code;    /* when IB_EXITED */
  uint64_t out_len;     /* bytes the guest reported (may exceed out_cap: truncated) */
  uint64_t dirty_pages; /* worker private set after this request: pages dirtied since its last full reset (what hybrid compares, what a pages reset restores) */
  uint64_t exits;       /* VM exits during the request */
  uint64_t syscalls;    /* guest syscalls that reached the host */
} ib_request_result;

IB_API const char *ib_last_error(void);
/* 1 when /dev/kvm can be opened and has what the engine needs; else 0 and ib_last_error() says why */
IB_API int ib_kvm_available(void);
IB_API const char *ib_version(void);

IB_API ib_master *ib_master_create(const char *elf_path, const char *const *argv, const char *const *envp,
                            const ib_limits *limits);
/* runs the master until the guest's ready hypercall, then freezes it; enum ib_status */
IB_API int ib_master_run_to_ready(ib_master *m);
IB_API void ib_master_destroy(ib_master *m); /* workers must be destroyed first */

IB_API ib_worker *ib_fork(ib_master *m, int mode);
IB_API int ib_worker_set_mode(ib_worker *w, int mode);
IB_API int ib_worker_set_hybrid_threshold(ib_worker *w, uint64_t bytes);
/* runs one request: enum ib_status; output (the guest's request-done payload) into out */
IB_API int ib_worker_run_request(ib_worker *w, const void *in, size_t in_len, void *out, size_t out_cap,
                          ib_request_result *res);
/* mode -1 = the worker's mode; returns the mode applied (persist/pages/full) or -1 on error.
 * A worker that faulted, exited or hit a limit is always reset fully. */
IB_API int ib_worker_reset(ib_worker *w, int mode);
IB_API void ib_worker_destroy(ib_worker *w);

/* captured guest stdout (fd 1) and stderr (fd 2): copies and clears; returns bytes copied */
IB_API size_t ib_master_take_output(ib_master *m, int fd, char *buf, size_t cap);
IB_API size_t ib_worker_take_output(ib_worker *w, int fd, char *buf, size_t cap);

/* read guest memory (tests: isolation checks); 0 or -1 */
IB_API int ib_master_peek(ib_master *m, uint64_t gaddr, void *buf, size_t len);
IB_API int ib_worker_peek(ib_worker *w, uint64_t gaddr, void *buf, size_t len);

/* JSON counters; the pointer is valid until the next call on the same handle */
IB_API const char *ib_worker_counters_json(ib_worker *w);
/* totals over all workers ever forked from m, plus the master's boot */
IB_API const char *ib_master_counters_json(ib_master *m);

#ifdef __cplusplus
}
#endif
#endif
