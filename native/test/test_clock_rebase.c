/* A worker that starts from the frozen state sees CLOCK_MONOTONIC go on from the freeze instant
 * (fork.c, rebase_clock): timers the frozen guest had pending must not expire between requests.
 * Persist keeps the clock running. */
#include "test.h"
#include "isobench.h"
#include <stdlib.h>
#include <time.h>

static char path_buf[512];

static int64_t host_mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* the guest's CLOCK_MONOTONIC (answered in the guest by the stub), ns; -1 on failure */
static int64_t guest_mono_ns(ib_worker *w) {
  char out[64];
  ib_request_result r;
  if (ib_worker_run_request(w, "clock 1", 7, out, sizeof(out) - 1, &r) != IB_OK) return -1;
  out[r.out_len < sizeof(out) - 1 ? r.out_len : sizeof(out) - 1] = 0;
  char *end;
  long long sec = strtoll(out, &end, 10);
  long long nsec = strtoll(end, NULL, 10);
  return sec * 1000000000LL + nsec;
}

static ib_master *boot_reqs_frozen_at(int64_t *frozen_at) {
  snprintf(path_buf, sizeof(path_buf), "%s/reqs", guest_dir);
  ib_limits lim = {.mem_bytes = 64 << 20};
  ib_master *m = ib_master_create(path_buf, NULL, NULL, &lim);
  if (!m) return NULL;
  if (ib_master_run_to_ready(m) != IB_OK) { ib_master_destroy(m); return NULL; }
  *frozen_at = host_mono_ns();
  return m;
}

#define GAP_MS 600

KVM_TEST(reset_worker_clock_restarts_at_the_freeze_instant) {
  int64_t frozen;
  ib_master *m = boot_reqs_frozen_at(&frozen);
  CHECK(m, "boot: %s", ib_last_error());
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  for (int i = 0; i < 2; i++) {
    sleep_ms(GAP_MS);
    int64_t t0 = host_mono_ns();
    int64_t g = guest_mono_ns(w);
    int64_t took = host_mono_ns() - t0; /* the request itself (long under an emulated CPU) */
    CHECK(g > 0, "clock request failed");
    int64_t since_freeze = g - frozen;
    /* rebased: only the time the request ran; not rebased: the gap before it as well. Half the
     * gap of slack: the stub's TSC scale is calibrated over 2 ms, which an emulated CPU (the test
     * bed) gets a few % wrong (seen: 64 ms off after 1.3 s) */
    CHECK(since_freeze > -(int64_t)GAP_MS * 500000LL && since_freeze < took + GAP_MS * 500000LL,
          "request %d: guest clock %lld ms after the freeze, host %lld ms, request %lld ms", i,
          (long long)(since_freeze / 1000000), (long long)((host_mono_ns() - frozen) / 1000000), (long long)(took / 1000000));
    CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_PAGES);
  }
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(persist_worker_clock_keeps_running) {
  int64_t frozen;
  ib_master *m = boot_reqs_frozen_at(&frozen);
  CHECK(m, "boot: %s", ib_last_error());
  ib_worker *w = ib_fork(m, IB_MODE_PERSIST);
  CHECK(w, "fork: %s", ib_last_error());
  int64_t g1 = guest_mono_ns(w);
  ib_worker_reset(w, -1);
  sleep_ms(GAP_MS);
  int64_t g2 = guest_mono_ns(w);
  /* a rebased clock would advance by the request time only; half the gap of slack for the stub's
   * TSC calibration under an emulated CPU (seen in the test bed: 599 ms over 600 ms) */
  CHECK(g1 > 0 && g2 - g1 >= GAP_MS * 500000LL, "persist: guest clock advanced %lld ms over a %d ms gap",
        (long long)((g2 - g1) / 1000000), GAP_MS);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}
