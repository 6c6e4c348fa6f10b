/* State that must not cross requests or workers (issue 12): boot-time pipes and socketpairs,
 * clock ids, randomness. Guest: guests/leaks.c. Each test failed before its fix (see DESIGN.md
 * "Isolation of boot-time fds, clocks, randomness"). */
#include "test.h"
#include "isobench.h"
#include "test_request.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const channel_boot[] = {"pipe", "boot-pipeEAGAIN", "stream", "boot-streamEAGAIN",
                                           "dgram", "boot-dgram1|boot-dgram2|EAGAIN", "eof", "boot-eofEOF"};

/* every request of a reset worker starts from the frozen master's bytes, whatever the last one
 * read or left behind */
static void boot_bytes_every_request(int mode) {
  ib_master *m = boot_guest("leaks", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, mode);
  CHECK(w, "fork: %s", ib_last_error());
  char in[64], out[512];
  ib_request_result res;
  for (int c = 0; c < 4; c++) {
    for (int r = 0; r < 3; r++) {
      snprintf(in, sizeof(in), "rw %s left-by-%d", channel_boot[2 * c], r);
      CHECK_EQ(req(w, in, out, sizeof(out), &res), IB_OK);
      /* exact counts: the per-worker pipes cost host syscalls at reset, never a guest exit */
      if (r == 0) printf("  mode %d, %s: %llu exits for the first 'rw' request\n", mode, channel_boot[2 * c], (unsigned long long)res.exits);
      CHECK(strcmp(out, channel_boot[2 * c + 1]) == 0, "mode %d, %s, request %d read '%s' (want '%s')", mode,
            channel_boot[2 * c], r, out, channel_boot[2 * c + 1]);
      CHECK(ib_worker_reset(w, -1) >= 0, "reset: %s", ib_last_error());
    }
  }
  ib_worker_destroy(w);
  ib_master_destroy(m);
}
KVM_TEST(boot_pipes_and_pairs_restart_each_request_pages) { boot_bytes_every_request(IB_MODE_PAGES); }
KVM_TEST(boot_pipes_and_pairs_restart_each_request_full) { boot_bytes_every_request(IB_MODE_FULL); }

/* two workers alive at once: what one writes never reaches the other, and one's reset never
 * takes the other's bytes */
KVM_TEST(boot_pipes_and_pairs_are_per_worker) {
  ib_master *m = boot_guest("leaks", NULL);
  CHECK(m, "boot failed");
  ib_worker *a = ib_fork(m, IB_MODE_PERSIST), *b = ib_fork(m, IB_MODE_PAGES);
  CHECK(a && b, "fork: %s", ib_last_error());
  char in[64], out[512], want[64];
  for (int c = 0; c < 3; c++) { /* the eof pipe has no write end */
    const char *ch = channel_boot[2 * c];
    snprintf(in, sizeof(in), "write %s from-a", ch);
    CHECK_EQ(req(a, in, out, sizeof(out), NULL), IB_OK);
    CHECK(atoi(out) == 6, "%s: a's write returned '%s'", ch, out);
    snprintf(in, sizeof(in), "read %s", ch);
    CHECK_EQ(req(b, in, out, sizeof(out), NULL), IB_OK);
    CHECK(strcmp(out, channel_boot[2 * c + 1]) == 0, "%s: worker b read '%s' while a ran (want '%s')", ch, out, channel_boot[2 * c + 1]);
    CHECK(ib_worker_reset(b, -1) >= 0, "reset: %s", ib_last_error());
    /* a (persist, never reset) still has the master's bytes and its own */
    CHECK_EQ(req(a, in, out, sizeof(out), NULL), IB_OK);
    int dg = c == 2;
    snprintf(want, sizeof(want), "%s%sfrom-a%sEAGAIN", c == 0 ? "boot-pipe" : c == 1 ? "boot-stream" : "boot-dgram1|boot-dgram2",
             dg ? "|" : "", dg ? "|" : "");
    CHECK(strcmp(out, want) == 0, "%s: worker a read '%s' after b's reset (want '%s')", ch, out, want);
  }
  ib_worker_destroy(a);
  ib_worker_destroy(b);
  ib_master_destroy(m);
}

/* the worker's host fds: no leak over many resets (each reset builds new pipes) */
KVM_TEST(boot_pipes_reset_keeps_host_fd_count) {
  ib_master *m = boot_guest("leaks", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[256];
  CHECK_EQ(req(w, "write pipe x", out, sizeof(out), NULL), IB_OK);
  ib_worker_reset(w, -1);
  int before = host_fd_count();
  for (int i = 0; i < 20; i++) {
    CHECK_EQ(req(w, "rw stream y", out, sizeof(out), NULL), IB_OK);
    ib_worker_reset(w, i % 2 ? IB_MODE_FULL : IB_MODE_PAGES);
  }
  CHECK_EQ(host_fd_count(), before);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

/* clock ids: the guest's own clocks only */
static long clock_call(ib_worker *w, const char *op, long long id) {
  char in[64], out[64];
  snprintf(in, sizeof(in), "%s %lld", op, id);
  if (req(w, in, out, sizeof(out), NULL) != IB_OK) return 99999;
  return atol(out);
}
/* Linux's encoding of another process's / thread's CPU clock (MAKE_PROCESS_CPUCLOCK ...) */
#define CPUCLOCK(pid, low) ((long long)(int)((~(unsigned)(pid) << 3) | (low)))
#define PROC_CPUCLOCK(pid) CPUCLOCK(pid, 2u)
#define THREAD_CPUCLOCK(tid) CPUCLOCK(tid, 6u)

KVM_TEST(clock_ids_limited_to_the_guests_own_clocks) {
  ib_master *m = boot_guest("leaks", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  /* clock_nanosleep (sys_thread.c) takes REALTIME/MONOTONIC/BOOTTIME/TAI only: host ids checked */
  static const char *const ops[] = {"clock", "clockres", "sleep"};
  for (int o = 0; o < 3; o++) {
    const char *op = ops[o];
    for (int id = 0; id <= 11 && o < 2; id++) {
      long want = id == 10 ? -EINVAL : 0; /* 10: CLOCK_SGI_CYCLE, gone from Linux */
      CHECK(clock_call(w, op, id) == want, "%s %d: %ld, want %ld", op, id, clock_call(w, op, id), want);
    }
    for (int id = 12; id <= 16 && o < 2; id++) CHECK(clock_call(w, op, id) == -EINVAL, "%s %d accepted", op, id);
    /* the host: this test process (the server), its thread running the vCPU, host pid 1; fd clocks */
    long long host[] = {PROC_CPUCLOCK(getpid()), THREAD_CPUCLOCK(gettid()), PROC_CPUCLOCK(getppid()),
                        PROC_CPUCLOCK(2), THREAD_CPUCLOCK(getpid()), CPUCLOCK(3, 3u), -1};
    for (unsigned i = 0; i < sizeof(host) / sizeof(host[0]); i++)
      CHECK(clock_call(w, op, host[i]) == -EINVAL, "%s: host clock id %lld readable (%ld)", op, host[i], clock_call(w, op, host[i]));
    if (o == 2) continue;
    /* the guest's own pid (1, or 0 = self) and thread */
    CHECK(clock_call(w, op, PROC_CPUCLOCK(0)) == 0, "%s: own process CPU clock (pid 0) refused", op);
    CHECK(clock_call(w, op, PROC_CPUCLOCK(1)) == 0, "%s: own process CPU clock (pid 1) refused", op);
    CHECK(clock_call(w, op, THREAD_CPUCLOCK(1)) == 0, "%s: own thread CPU clock refused", op);
  }
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

/* randomness: getrandom fresh per request; AT_RANDOM fresh per worker, kept across its resets,
 * never the master's */
KVM_TEST(randomness_is_fresh_per_request_and_worker) {
  ib_master *m = boot_guest("leaks", NULL);
  CHECK(m, "boot failed");
  ib_worker *a = ib_fork(m, IB_MODE_PAGES), *b = ib_fork(m, IB_MODE_FULL);
  CHECK(a && b, "fork: %s", ib_last_error());
  char r1[64], r2[64], ra[64], ra2[64], rb[64];
  CHECK_EQ(req(a, "getrandom", r1, sizeof(r1), NULL), IB_OK);
  ib_worker_reset(a, -1);
  CHECK_EQ(req(a, "getrandom", r2, sizeof(r2), NULL), IB_OK);
  CHECK(strlen(r1) == 32 && strcmp(r1, r2) != 0, "getrandom repeated across requests: '%s' '%s'", r1, r2);
  CHECK_EQ(req(a, "atrandom", ra, sizeof(ra), NULL), IB_OK);
  ib_worker_reset(a, -1);
  CHECK_EQ(req(a, "atrandom", ra2, sizeof(ra2), NULL), IB_OK);
  CHECK_EQ(req(b, "atrandom", rb, sizeof(rb), NULL), IB_OK);
  CHECK(strlen(ra) == 32 && strcmp(ra, ra2) == 0, "AT_RANDOM changed within a worker: '%s' '%s'", ra, ra2);
  CHECK(strcmp(ra, rb) != 0, "two workers share AT_RANDOM '%s'", ra);
  ib_worker_destroy(a);
  ib_worker_destroy(b);
  ib_master_destroy(m);
}

/* the same from a second guest thread (static glibc, pthreads). On the hardware exit path these
 * need hw-engine's ring-0 thread-switch fix (before it, glibc threads fault at rip 0 at boot). */
KVM_TEST(threaded_guest_boot_pipe_and_own_clocks) {
  ib_limits lim = {.mem_bytes = 128 << 20, .request_time_us = 5000000};
  ib_master *m = boot_guest("leaks_mt", &lim);
  CHECK(m, "boot failed");
  ib_worker *a = ib_fork(m, IB_MODE_PAGES), *b = ib_fork(m, IB_MODE_PAGES);
  CHECK(a && b, "fork: %s", ib_last_error());
  char out[256];
  for (int r = 0; r < 3; r++) {
    int st = req(a, "pipe", out, sizeof(out), NULL);
    CHECK(st == IB_OK, "worker a, request %d: status %d (%s)", r, st, ib_last_error());
    CHECK(strcmp(out, "boot-pipe") == 0, "worker a, request %d read '%s'", r, out);
    ib_worker_reset(a, -1);
  }
  CHECK_EQ(req(a, "pipe", out, sizeof(out), NULL), IB_OK); /* a leaves "left" and is not reset */
  CHECK_EQ(req(b, "pipe", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "boot-pipe") == 0, "worker b read '%s' while a held 'left'", out);
  ib_worker_reset(b, -1);
  CHECK_EQ(req(b, "clocks", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "self=0 main=0 none=-22") == 0, "clocks from a guest thread: '%s'", out);
  ib_worker_destroy(a);
  ib_worker_destroy(b);
  ib_master_destroy(m);
}
