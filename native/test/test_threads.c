/* Guest threads (src/threads.c, src/sys_thread.c) with the static-glibc pthreads guest
 * guests/threads.c: mutexes, condition variables, a barrier, joins, a timed wait, a detached
 * thread, a helper thread blocked across the freeze; under every reset mode across requests. */
#include "test.h"
#include "isobench.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tpath[512];
static const char *threads_guest(void) {
  snprintf(tpath, sizeof(tpath), "%s/threads", guest_dir);
  return tpath;
}

/* the round's result with the tids its six workers got */
static void expected_round(char *buf, size_t cap, int first_tid, int helper_tid) {
  int n = snprintf(buf, cap, "counter=6000 sum=1830 joined=150 timedwait=ETIMEDOUT detached=1 fp=ok tids=");
  for (int i = 0; i < 6; i++) n += snprintf(buf + n, cap - n, "%s%d", i ? "," : "", first_tid + i);
  if (helper_tid) snprintf(buf + n, cap - n, " helper=5050/%d", helper_tid);
}

static ib_master *boot_threads(void) {
  const char *argv[] = {threads_guest(), NULL};
  /* generous: a round is thousands of exits, ~1 ms each under an emulated CPU (the test bed) */
  ib_limits lim = {.mem_bytes = 128 << 20, .request_time_us = 60000000, .boot_time_us = 60000000};
  ib_master *m = ib_master_create(threads_guest(), argv, NULL, &lim);
  if (!m) { printf("  create: %s\n", ib_last_error()); return NULL; }
  int st = ib_master_run_to_ready(m);
  if (st != IB_OK) { printf("  run_to_ready: %d %s\n", st, ib_last_error()); ib_master_destroy(m); return NULL; }
  return m;
}

static int request(ib_worker *w, const char *in, char *out, size_t cap) {
  ib_request_result res;
  int st = ib_worker_run_request(w, in, strlen(in), out, cap - 1, &res);
  size_t n = res.out_len < cap - 1 ? res.out_len : cap - 1;
  out[st == IB_OK ? n : 0] = 0;
  if (st != IB_OK) printf("  request '%s': status %d: %s\n", in, st, ib_last_error());
  return st;
}

KVM_TEST(threads_guest_runs_to_its_end) {
  const char *argv[] = {threads_guest(), "once", NULL};
  ib_limits lim = {.mem_bytes = 128 << 20};
  ib_master *m = ib_master_create(threads_guest(), argv, NULL, &lim);
  CHECK(m, "create: %s", ib_last_error());
  int st = ib_master_run_to_ready(m);
  char out[512], want[512];
  size_t n = ib_master_take_output(m, 1, out, sizeof(out) - 1);
  out[n] = 0;
  ib_master_destroy(m);
  CHECK_EQ(st, IB_EXITED);
  expected_round(want, sizeof(want), 2, 0);
  strcat(want, "\n");
  CHECK(strcmp(out, want) == 0, "output '%s', expected '%s'", out, want);
}

static void mode_case(int mode) {
  ib_master *m = boot_threads();
  CHECK(m, "boot failed");
  char out[512], want[512];
  size_t n = ib_master_take_output(m, 1, out, sizeof(out) - 1);
  out[n] = 0;
  expected_round(want, sizeof(want), 2, 0);
  strcat(want, "\nhelper=55\n");
  CHECK(strcmp(out, want) == 0, "boot output '%s'", out);
  ib_worker *w = ib_fork(m, mode);
  CHECK(w, "fork: %s", ib_last_error());
  /* boot used tids 2..8 (six workers, one detached) and 9 (the helper, alive at the freeze) */
  for (int r = 0; r < 3; r++) {
    CHECK_EQ(request(w, "round", out, sizeof(out)), IB_OK);
    int first = mode == IB_MODE_PERSIST ? 10 + 7 * r : 10;
    expected_round(want, sizeof(want), first, 9);
    CHECK(strcmp(out, want) == 0, "mode %d request %d: '%s', expected '%s'", mode, r, out, want);
    CHECK(ib_worker_reset(w, -1) >= 0, "reset: %s", ib_last_error());
  }
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(threads_across_requests_persist) { mode_case(IB_MODE_PERSIST); }
KVM_TEST(threads_across_requests_pages) { mode_case(IB_MODE_PAGES); }
KVM_TEST(threads_across_requests_full) { mode_case(IB_MODE_FULL); }
KVM_TEST(threads_across_requests_hybrid) { mode_case(IB_MODE_HYBRID); }

KVM_TEST(threads_two_workers_interleaved_keep_their_own_threads) {
  ib_master *m = boot_threads();
  CHECK(m, "boot failed");
  ib_worker *a = ib_fork(m, IB_MODE_PAGES), *b = ib_fork(m, IB_MODE_PERSIST);
  CHECK(a && b, "fork: %s", ib_last_error());
  char out[512], want[512];
  for (int r = 0; r < 2; r++) {
    CHECK_EQ(request(a, "round", out, sizeof(out)), IB_OK);
    expected_round(want, sizeof(want), 10, 9);
    CHECK(strcmp(out, want) == 0, "worker a round %d: '%s'", r, out);
    CHECK_EQ(request(b, "round", out, sizeof(out)), IB_OK);
    expected_round(want, sizeof(want), 10 + 7 * r, 9);
    CHECK(strcmp(out, want) == 0, "worker b round %d: '%s'", r, out);
    ib_worker_reset(a, -1);
    ib_worker_reset(b, -1);
  }
  ib_worker_destroy(a);
  ib_worker_destroy(b);
  ib_master_destroy(m);
}

KVM_TEST(threads_deadlock_is_reported_then_worker_serves) {
  ib_master *m = boot_threads();
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[512], want[512];
  CHECK_EQ(request(w, "deadlock", out, sizeof(out)), IB_KILLED);
  CHECK(strstr(ib_last_error(), "deadlock") != NULL, "error: %s", ib_last_error());
  CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_FULL);
  CHECK_EQ(request(w, "round", out, sizeof(out)), IB_OK);
  expected_round(want, sizeof(want), 10, 9);
  CHECK(strcmp(out, want) == 0, "after the deadlock: '%s'", out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(threads_fork_style_clone_is_refused) {
  ib_master *m = boot_threads();
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[512];
  CHECK_EQ(request(w, "fork", out, sizeof(out)), IB_OK);
  CHECK(strcmp(out, "fork=-1 errno=EPERM") == 0, "got '%s'", out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(threads_eventfd_blocking_read_is_satisfied_by_another_thread) {
  ib_master *m = boot_threads();
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[512];
  for (int r = 0; r < 2; r++) { /* the second time after a reset: the eventfds are gone again */
    CHECK_EQ(request(w, "eventfd", out, sizeof(out)), IB_OK);
    CHECK(strcmp(out, "blocking=8/3 sem=8,1,1,EAGAIN") == 0, "round %d: '%s'", r, out);
    CHECK(ib_worker_reset(w, -1) >= 0, "reset: %s", ib_last_error());
  }
  ib_worker_destroy(w);
  ib_master_destroy(m);
}
