/* Workers of large guests track dirty pages with KVM's dirty ring (src/dirty_track.h): the same
 * isolation cases as the dirty-log tests, with an 8 GiB sparse guest, plus a ring small enough to
 * fill during a request. */
#include "test.h"
#include "isobench.h"
#include "test_request.h"
#include "../src/fork.h"
#include <stdlib.h>

#define BIG_GUEST (8ULL << 30)

static char path_buf[512];

static ib_master *boot_big(uint64_t cap_bytes) {
  snprintf(path_buf, sizeof(path_buf), "%s/reqs", guest_dir);
  /* 4000 first writes per request: seconds under an emulated CPU (the test bed) */
  ib_limits lim = {.mem_bytes = BIG_GUEST, .request_dirty_bytes = cap_bytes, .request_time_us = 30000000};
  ib_master *m = ib_master_create(path_buf, NULL, NULL, &lim);
  if (!m) { printf("  create: %s\n", ib_last_error()); return NULL; }
  if (ib_master_run_to_ready(m) != IB_OK) { printf("  run_to_ready: %s\n", ib_last_error()); ib_master_destroy(m); return NULL; }
  return m;
}


/* write a secret, dirty `extra` more pages, reset with `first`, write again, pages reset, read */
static void ring_case(int mode, int first, const char *extra) {
  ib_master *m = boot_big(0);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, mode);
  CHECK(w, "fork: %s", ib_last_error());
  CHECK(w->vm.dt.ring.gfns != NULL, "an %llu-byte guest's worker does not use the dirty ring", (unsigned long long)BIG_GUEST);
  char out[256];
  ib_request_result res;
  CHECK_EQ(req(w, "secret-write hunter2", out, sizeof(out), NULL), IB_OK);
  if (extra) {
    CHECK_EQ(req(w, extra, out, sizeof(out), &res), IB_OK);
    CHECK(res.dirty_pages >= 4000, "private set after '%s': %llu pages", extra, (unsigned long long)res.dirty_pages);
  }
  /* hybrid applies pages here (the set is far under the default 1 MiB threshold) */
  CHECK_EQ(ib_worker_reset(w, first), first == IB_MODE_HYBRID ? IB_MODE_PAGES : first);
  CHECK_EQ(req(w, "secret-read", out, sizeof(out), NULL), IB_OK);
  if (first == IB_MODE_PERSIST) CHECK(strcmp(out, "hunter2") == 0, "persist: got '%s'", out);
  else CHECK(out[0] == 0, "after reset %d: saw '%s'", first, out);
  CHECK_EQ(req(w, "secret-write second", out, sizeof(out), NULL), IB_OK);
  CHECK_EQ(ib_worker_reset(w, IB_MODE_PAGES), IB_MODE_PAGES);
  CHECK_EQ(req(w, "secret-read", out, sizeof(out), NULL), IB_OK);
  CHECK(out[0] == 0, "after reset %d then pages: saw '%s'", first, out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(dirty_ring_secret_does_not_survive_pages_reset) { ring_case(IB_MODE_PAGES, IB_MODE_PAGES, NULL); }
KVM_TEST(dirty_ring_secret_does_not_survive_full_reset) { ring_case(IB_MODE_FULL, IB_MODE_FULL, NULL); }
KVM_TEST(dirty_ring_secret_does_not_survive_hybrid_reset) { ring_case(IB_MODE_HYBRID, IB_MODE_HYBRID, NULL); }
KVM_TEST(dirty_ring_secret_survives_persist) { ring_case(IB_MODE_PERSIST, IB_MODE_PERSIST, NULL); }
KVM_TEST(dirty_ring_rewrite_after_full_reset_is_undone) { ring_case(IB_MODE_PAGES, IB_MODE_FULL, "dirty 4000"); }

/* a 1024-entry ring fills several times during a 4000-page request: collected and re-armed, every
 * page still reaches the private set and is restored */
KVM_TEST(dirty_ring_full_during_a_request_loses_no_page) {
  setenv("ISOBENCH_DIRTY_RING_ENTRIES", "1024", 1);
  ib_master *m = boot_big(0);
  ib_worker *w = m ? ib_fork(m, IB_MODE_PAGES) : NULL;
  unsetenv("ISOBENCH_DIRTY_RING_ENTRIES");
  CHECK(w, "boot/fork: %s", ib_last_error());
  CHECK(w->vm.dt.ring.gfns && w->vm.dt.ring.entries == 1024, "ring not set up with 1024 entries");
  char out[256];
  ib_request_result res;
  CHECK_EQ(req(w, "secret-write hunter2", out, sizeof(out), NULL), IB_OK);
  CHECK_EQ(req(w, "dirty 4000", out, sizeof(out), &res), IB_OK);
  CHECK(w->vm.dt.ring_full > 0, "the ring never filled");
  CHECK(res.dirty_pages >= 4000, "private set %llu pages", (unsigned long long)res.dirty_pages);
  CHECK_EQ(ib_worker_reset(w, IB_MODE_PAGES), IB_MODE_PAGES);
  CHECK_EQ(req(w, "secret-read", out, sizeof(out), NULL), IB_OK);
  CHECK(out[0] == 0, "after the pages reset: saw '%s'", out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(dirty_ring_memory_cap_stops_a_request) {
  ib_master *m = boot_big(1 << 20);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w && w->vm.dt.ring.gfns, "fork: %s", ib_last_error());
  char out[64];
  CHECK_EQ(req(w, "dirty 8", out, sizeof(out), NULL), IB_OK);
  ib_worker_reset(w, -1);
  CHECK_EQ(req(w, "dirty 4000", out, sizeof(out), NULL), IB_LIMIT_MEMORY);
  ib_worker_reset(w, -1);
  CHECK_EQ(req(w, "echo alive", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "alive") == 0, "after the cap: '%s'", out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}
