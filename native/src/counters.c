#include "counters.h"
#include "syscall.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const exit_kind_names[EXK_N] = {"syscall", "fault", "io_other", "intr", "shutdown",
                                            "internal_error", "mmio", "hlt", "fail_entry", "other"};
const char *const limit_kind_names[LIM_N] = {"time", "requestMemory", "vmMemory"};

void counters_add(struct ib_counters *d, const struct ib_counters *s) {
  uint64_t exits_max = d->req_exits_max > s->req_exits_max ? d->req_exits_max : s->req_exits_max;
  uint64_t dirty_max = d->dirty_max > s->dirty_max ? d->dirty_max : s->dirty_max;
  uint64_t keep_n = d->reset_n;
  uint64_t *dw = (uint64_t *)d;
  const uint64_t *sw = (const uint64_t *)s;
  /* every field but the sample ring is a uint64_t sum */
  for (size_t i = 0; i < offsetof(struct ib_counters, reset_us_sample) / 8; i++) dw[i] += sw[i];
  for (size_t i = offsetof(struct ib_counters, fork_ns_sum) / 8; i < sizeof(*d) / 8; i++) dw[i] += sw[i];
  d->req_exits_max = exits_max;
  d->dirty_max = dirty_max;
  uint64_t sn = s->reset_n < CTR_SAMPLES ? s->reset_n : CTR_SAMPLES;
  for (uint64_t i = 0; i < sn; i++) d->reset_us_sample[(keep_n + i) % CTR_SAMPLES] = s->reset_us_sample[i];
}

void counters_reset_sample(struct ib_counters *c, uint64_t ns) {
  uint64_t us = (ns + 500) / 1000;
  c->reset_us_sample[c->reset_n % CTR_SAMPLES] = us > 0xffffffffu ? 0xffffffffu : (uint32_t)us;
  c->reset_n++;
  c->reset_ns_sum += ns;
}

struct sb {
  char *p;
  size_t len, cap;
};

static void sbf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sbf(struct sb *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < b->cap - b->len) { b->len += n; return; }
    b->cap = b->cap * 2 + (n > 0 ? (size_t)n : 0) + 64;
    b->p = realloc(b->p, b->cap);
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

char *counters_json(const struct ib_counters *c, const char *exit_path, const char *mode, uint64_t mem_bytes) {
  struct sb b = {malloc(4096), 0, 4096};
  double req = c->requests ? (double)c->requests : 1;
  sbf(&b, "{\"requests\":%llu", (unsigned long long)c->requests);
  if (mode) sbf(&b, ",\"mode\":\"%s\"", mode);
  if (exit_path) sbf(&b, ",\"exitPath\":\"%s\"", exit_path);
  sbf(&b, ",\"memBytes\":%llu", (unsigned long long)mem_bytes);
  sbf(&b, ",\"resets\":{\"pages\":%llu,\"full\":%llu,\"persist\":%llu}", (unsigned long long)c->resets_pages,
      (unsigned long long)c->resets_full, (unsigned long long)c->resets_persist);
  uint64_t n = c->reset_n < CTR_SAMPLES ? c->reset_n : CTR_SAMPLES;
  if (n) {
    uint32_t *s = malloc(n * sizeof(*s));
    memcpy(s, c->reset_us_sample, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_u32);
#define PCT(q) s[(uint64_t)((q) * (n - 1) + 0.5)]
    sbf(&b, ",\"resetUs\":{\"p50\":%u,\"p90\":%u,\"p99\":%u,\"p999\":%u,\"max\":%u,\"mean\":%.3f,\"samples\":%llu}",
        PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999), s[n - 1], c->reset_ns_sum / 1000.0 / c->reset_n,
        (unsigned long long)n);
#undef PCT
    free(s);
  }
  sbf(&b, ",\"dirtyPagesPerRequest\":{\"mean\":%.3f,\"max\":%llu}", c->dirty_sum / req, (unsigned long long)c->dirty_max);
  sbf(&b, ",\"exitsPerRequest\":{\"mean\":%.3f,\"max\":%llu,\"timerExits\":%.3f,\"byReason\":{",
      c->req_exits_sum / req, (unsigned long long)c->req_exits_max, c->req_host_intr_sum / req);
  int first = 1;
  for (int i = 0; i < EXK_N; i++) {
    if (!c->exits[i]) continue;
    sbf(&b, "%s\"%s\":%llu", first ? "" : ",", exit_kind_names[i], (unsigned long long)c->exits[i]);
    first = 0;
  }
  sbf(&b, "}}");
  sbf(&b, ",\"syscallsPerRequest\":{\"mean\":%.3f}", c->req_syscalls_sum / req);
  sbf(&b, ",\"syscalls\":{");
  first = 1;
  for (int i = 0; i < CTR_SYSNR_MAX; i++) {
    if (!c->syscalls[i]) continue;
    const char *name = sys_name(i);
    if (name) sbf(&b, "%s\"%s\":%llu", first ? "" : ",", name, (unsigned long long)c->syscalls[i]);
    else sbf(&b, "%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)c->syscalls[i]);
    first = 0;
  }
  for (int i = 0; i < CTR_HC_MAX; i++) {
    if (!c->hypercalls[i]) continue;
    const char *name = sys_name(HC_BASE + i);
    sbf(&b, "%s\"%s\":%llu", first ? "" : ",", name ? name : "hc", (unsigned long long)c->hypercalls[i]);
    first = 0;
  }
  /* the same counts keyed by syscall number (names above are for people; the gate compares numbers) */
  sbf(&b, "},\"syscallsByNumber\":{");
  first = 1;
  for (int i = 0; i < CTR_SYSNR_MAX; i++) {
    if (!c->syscalls[i]) continue;
    sbf(&b, "%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)c->syscalls[i]);
    first = 0;
  }
  if (c->syscalls_other) sbf(&b, "%s\"other\":%llu", first ? "" : ",", (unsigned long long)c->syscalls_other);
  sbf(&b, "},\"enosys\":{");
  first = 1;
  for (int i = 0; i < CTR_SYSNR_MAX; i++) {
    if (!c->enosys[i]) continue;
    sbf(&b, "%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)c->enosys[i]);
    first = 0;
  }
  if (c->enosys_other) sbf(&b, "%s\"other\":%llu", first ? "" : ",", (unsigned long long)c->enosys_other);
  sbf(&b, "},\"faults\":%llu,\"guestExits\":%llu,\"killed\":%llu,\"limitHits\":{", (unsigned long long)c->faults,
      (unsigned long long)c->exits_guest, (unsigned long long)c->killed);
  for (int i = 0; i < LIM_N; i++) sbf(&b, "%s\"%s\":%llu", i ? "," : "", limit_kind_names[i], (unsigned long long)c->limit_hits[i]);
  sbf(&b, "},\"memGuard\":{\"pageTableChanges\":%llu,\"tlbFlushes\":%llu,\"pageTablePoolExhausted\":%llu,"
          "\"capHostRefusals\":%llu,\"privateSetShrinks\":%llu}", (unsigned long long)c->pt_changes,
      (unsigned long long)c->tlb_flushes, (unsigned long long)c->pt_pool_exhausted,
      (unsigned long long)c->cap_host_refusals, (unsigned long long)c->private_shrinks);
  sbf(&b, ",\"forks\":%llu,\"forkUsMean\":%.3f,\"bootUs\":%.3f}", (unsigned long long)c->forks,
      c->forks ? c->fork_ns_sum / 1000.0 / c->forks : 0.0, c->boot_ns / 1000.0);
  return b.p;
}
