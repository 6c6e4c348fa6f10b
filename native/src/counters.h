/* Engine counters: per VM, summed into totals; rendered as JSON by counters.c. */
#ifndef IB_COUNTERS_H
#define IB_COUNTERS_H
#include <stdint.h>
#include <stddef.h>

#define CTR_SYSNR_MAX 512   /* Linux syscall numbers counted individually */
#define CTR_HC_MAX 16       /* hypercalls 0x1000.. */
#define CTR_SAMPLES 8192    /* reset-time samples kept (ring) */

enum exit_kind {
  EXK_SYSCALL = 0, /* out to the syscall port */
  EXK_FAULT,       /* out to the fault port */
  EXK_IO_OTHER,    /* any other port: kills the request */
  EXK_INTR,        /* signal (timer) */
  EXK_SHUTDOWN,
  EXK_INTERNAL,
  EXK_MMIO,
  EXK_HLT,
  EXK_FAIL_ENTRY,
  EXK_OTHER,
  EXK_N
};
extern const char *const exit_kind_names[EXK_N];

enum limit_kind { LIM_TIME = 0, LIM_REQUEST_MEMORY, LIM_VM_MEMORY, LIM_N };
extern const char *const limit_kind_names[LIM_N];

struct ib_counters {
  uint64_t requests;
  uint64_t resets_pages, resets_full, resets_persist;
  uint64_t faults, exits_guest, killed;
  uint64_t limit_hits[LIM_N];
  uint64_t exits[EXK_N];
  uint64_t req_exits_sum, req_exits_max;
  uint64_t req_host_intr_sum;
  uint64_t req_syscalls_sum;
  uint64_t dirty_sum, dirty_max;
  uint64_t syscalls[CTR_SYSNR_MAX];
  uint64_t syscalls_other;
  uint64_t hypercalls[CTR_HC_MAX];
  uint64_t enosys[CTR_SYSNR_MAX];
  uint64_t enosys_other;
  uint64_t reset_ns_sum, reset_n;
  uint32_t reset_us_sample[CTR_SAMPLES]; /* reset µs, most recent CTR_SAMPLES resets */
  uint64_t fork_ns_sum, forks;
  uint64_t boot_ns;
  uint64_t pt_changes, tlb_flushes, pt_pool_exhausted; /* guest page protections (pt_prot.c) */
  uint64_t cap_host_refusals;                         /* host allocations refused by the request cap */
  uint64_t private_shrinks;                           /* `pages` resets that dropped a large private set */
};

void counters_add(struct ib_counters *dst, const struct ib_counters *src);
void counters_reset_sample(struct ib_counters *c, uint64_t ns);
/* JSON into a malloc'd string; exit_path and mode may be NULL */
char *counters_json(const struct ib_counters *c, const char *exit_path, const char *mode, uint64_t mem_bytes);

#endif
