/* VM behaviour through the public C ABI, with the test guests built by the Makefile. */
#include "test.h"
#include "isobench.h"
#include "test_request.h"
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static char path_buf[512];
static const char *guest(const char *name) {
  snprintf(path_buf, sizeof(path_buf), "%s/%s", guest_dir, name);
  return path_buf;
}

static ib_master *boot(const char *name, ib_limits *lim) {
  ib_limits def = {.mem_bytes = 64 << 20};
  ib_master *m = ib_master_create(guest(name), NULL, NULL, lim ? lim : &def);
  if (!m) { printf("  create %s: %s\n", name, ib_last_error()); return NULL; }
  int st = ib_master_run_to_ready(m);
  if (st != IB_OK) { printf("  run_to_ready %s: %d %s\n", name, st, ib_last_error()); ib_master_destroy(m); return NULL; }
  return m;
}


KVM_TEST(static_guest_runs_and_output_is_captured) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  char buf[256];
  size_t n = ib_master_take_output(m, 1, buf, sizeof(buf) - 1);
  buf[n] = 0;
  CHECK(strcmp(buf, "booted\n") == 0, "stdout was '%s'", buf);
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[256];
  CHECK_EQ(req(w, "echo hello", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "hello") == 0, "echo gave '%s'", out);
  CHECK_EQ(req(w, "print to-stdout", out, sizeof(out), NULL), IB_OK);
  n = ib_worker_take_output(w, 1, buf, sizeof(buf) - 1);
  buf[n] = 0;
  CHECK(strcmp(buf, "to-stdout") == 0, "worker stdout '%s'", buf);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

static void secret_case(int mode, int expect_visible) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, mode);
  CHECK(w, "fork: %s", ib_last_error());
  char out[256];
  CHECK_EQ(req(w, "secret-write hunter2", out, sizeof(out), NULL), IB_OK);
  int applied = ib_worker_reset(w, -1);
  CHECK(applied >= 0, "reset: %s", ib_last_error());
  CHECK_EQ(req(w, "secret-read", out, sizeof(out), NULL), IB_OK);
  if (expect_visible) CHECK(strcmp(out, "hunter2") == 0, "persist: expected the secret, got '%s'", out);
  else CHECK(out[0] == 0, "mode %d: request 2 saw '%s'", mode, out);
  /* again, to check the second reset too */
  ib_worker_reset(w, -1);
  CHECK_EQ(req(w, "secret-read", out, sizeof(out), NULL), IB_OK);
  if (!expect_visible) CHECK(out[0] == 0, "mode %d: request 3 saw '%s'", mode, out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(secret_does_not_survive_pages_reset) { secret_case(IB_MODE_PAGES, 0); }
KVM_TEST(secret_does_not_survive_full_reset) { secret_case(IB_MODE_FULL, 0); }
KVM_TEST(secret_does_not_survive_hybrid_reset) { secret_case(IB_MODE_HYBRID, 0); }
KVM_TEST(secret_survives_persist) { secret_case(IB_MODE_PERSIST, 1); }

/* pages already in the private set stay writable without logging between full resets: a write
 * to them in a later request must still be undone, also after a full reset re-protected them */
static void rewrite_case(int first_reset) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[256];
  CHECK_EQ(req(w, "secret-write first", out, sizeof(out), NULL), IB_OK);
  CHECK_EQ(ib_worker_reset(w, first_reset), first_reset);
  CHECK_EQ(req(w, "secret-write second", out, sizeof(out), NULL), IB_OK);
  CHECK_EQ(ib_worker_reset(w, IB_MODE_PAGES), IB_MODE_PAGES);
  CHECK_EQ(req(w, "secret-read", out, sizeof(out), NULL), IB_OK);
  CHECK(out[0] == 0, "after reset %d then pages: request 3 saw '%s'", first_reset, out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(rewrite_of_private_page_is_undone_by_pages_reset) { rewrite_case(IB_MODE_PAGES); }
KVM_TEST(rewrite_after_full_reset_is_undone_by_pages_reset) { rewrite_case(IB_MODE_FULL); }

KVM_TEST(static_pie_guest_runs) {
  ib_master *m = boot("reqs-pie", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[64];
  CHECK_EQ(req(w, "echo pie", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "pie") == 0, "got '%s'", out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(worker_writes_never_reach_master_or_sibling) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  ib_worker *a = ib_fork(m, IB_MODE_PERSIST), *b = ib_fork(m, IB_MODE_PERSIST);
  CHECK(a && b, "fork: %s", ib_last_error());
  char out[256];
  CHECK_EQ(req(a, "addr", out, sizeof(out), NULL), IB_OK);
  uint64_t addr = strtoull(out, NULL, 16);
  CHECK(addr >= 0x200000, "secret address '%s'", out);
  /* guest-side write in A */
  CHECK_EQ(req(a, "secret-write from-a", out, sizeof(out), NULL), IB_OK);
  char seen[32] = {0};
  CHECK_EQ(ib_master_peek(m, addr, seen, 16), 0);
  CHECK(seen[0] == 0, "master sees '%s'", seen);
  CHECK_EQ(ib_worker_peek(b, addr, seen, 16), 0);
  CHECK(seen[0] == 0, "sibling sees '%s'", seen);
  CHECK_EQ(req(b, "secret-read", out, sizeof(out), NULL), IB_OK);
  CHECK(out[0] == 0, "sibling guest read '%s'", out);
  /* host-side write in B: getrandom fills the secret buffer through B's mapping */
  CHECK_EQ(req(b, "random", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "32") == 0, "getrandom returned %s", out);
  uint8_t mb[32], ab[32], bb[32], zero[32] = {0};
  ib_master_peek(m, addr, mb, 32);
  ib_worker_peek(b, addr, bb, 32);
  CHECK(memcmp(mb, zero, 32) == 0, "master changed by host write into B");
  CHECK(memcmp(bb, zero, 32) != 0, "B did not get random bytes");
  ib_worker_peek(a, addr, ab, 32);
  CHECK(memcmp(ab, "from-a", 6) == 0, "A changed by host write into B");
  /* B resets (pages): its host write must be undone too */
  ib_worker_reset(b, IB_MODE_PAGES);
  ib_worker_peek(b, addr, bb, 32);
  CHECK(memcmp(bb, zero, 32) == 0, "pages reset missed the host-written page");
  ib_worker_destroy(a);
  ib_worker_destroy(b);
  ib_master_destroy(m);
}

KVM_TEST(hybrid_threshold_switches_exactly_at_boundary) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_HYBRID);
  CHECK(w, "fork: %s", ib_last_error());
  char out[64];
  ib_request_result r;
  /* warm once so the request's dirty set is stable, then measure it */
  req(w, "dirty 20", out, sizeof(out), &r);
  ib_worker_reset(w, IB_MODE_FULL);
  CHECK_EQ(req(w, "dirty 20", out, sizeof(out), &r), IB_OK);
  uint64_t d = r.dirty_pages;
  CHECK(d >= 20, "dirty pages %llu < 20", (unsigned long long)d);
  ib_worker_set_hybrid_threshold(w, d * 4096); /* exactly at the threshold: not over → pages */
  CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_PAGES);
  CHECK_EQ(req(w, "dirty 20", out, sizeof(out), &r), IB_OK);
  CHECK_EQ(r.dirty_pages, d);
  ib_worker_set_hybrid_threshold(w, d * 4096 - 1); /* one byte under → full */
  CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_FULL);
  CHECK_EQ(req(w, "dirty 20", out, sizeof(out), &r), IB_OK);
  CHECK_EQ(r.dirty_pages, d);
  ib_worker_set_hybrid_threshold(w, d * 4096 + 4096);
  CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_PAGES);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

static void serves_after(ib_worker *w, const char *what) {
  char out[64];
  int st = req(w, "echo alive", out, sizeof(out), NULL);
  CHECK(st == IB_OK && strcmp(out, "alive") == 0, "after %s: status %d out '%s' (%s)", what, st, out, ib_last_error());
}

KVM_TEST(looping_guest_is_stopped_by_time_limit_then_serves) {
  ib_limits lim = {.mem_bytes = 64 << 20, .request_time_us = 100000};
  ib_master *m = boot("reqs", &lim);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  char out[64];
  ib_request_result r;
  CHECK_EQ(req(w, "loop", out, sizeof(out), &r), IB_LIMIT_TIME);
  CHECK(strstr(ib_last_error(), "time limit"), "error '%s'", ib_last_error());
  CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_FULL);
  serves_after(w, "time limit");
  CHECK(strstr(ib_worker_counters_json(w), "\"time\":1"), "counters: %s", ib_worker_counters_json(w));
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(boot_time_limit_stops_a_master_that_never_gets_ready) {
  ib_limits lim = {.mem_bytes = 16 << 20, .boot_time_us = 100000};
  ib_master *m = ib_master_create(guest("ready_loop"), NULL, NULL, &lim);
  CHECK(m, "create: %s", ib_last_error());
  CHECK_EQ(ib_master_run_to_ready(m), IB_LIMIT_TIME);
  ib_master_destroy(m);
}

static void fault_case(const char *cmd, const char *expect) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  char out[64];
  CHECK_EQ(req(w, cmd, out, sizeof(out), NULL), IB_FAULTED);
  CHECK(strstr(ib_last_error(), expect), "%s: error '%s'", cmd, ib_last_error());
  serves_after(w, cmd); /* run_request resets a faulted worker fully by itself */
  CHECK(strstr(ib_worker_counters_json(w), "\"full\":1"), "counters: %s", ib_worker_counters_json(w));
  CHECK_EQ(req(w, cmd, out, sizeof(out), NULL), IB_FAULTED);
  CHECK_EQ(ib_worker_reset(w, IB_MODE_PAGES), IB_MODE_FULL);
  serves_after(w, cmd);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(bad_pointer_faults_and_worker_serves_again) { fault_case("fault-ptr", "#PF"); }
KVM_TEST(unmapped_high_address_faults_and_worker_serves_again) { fault_case("fault-high", "#PF"); }
KVM_TEST(ud2_faults_and_worker_serves_again) { fault_case("ud2", "#UD"); }

KVM_TEST(request_over_dirty_memory_cap_is_stopped) {
  ib_limits lim = {.mem_bytes = 64 << 20, .request_dirty_bytes = 1 << 20};
  ib_master *m = boot("reqs", &lim);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  char out[64];
  CHECK_EQ(req(w, "dirty 8", out, sizeof(out), NULL), IB_OK);
  ib_worker_reset(w, -1);
  CHECK_EQ(req(w, "dirty 4000", out, sizeof(out), NULL), IB_LIMIT_MEMORY);
  serves_after(w, "memory cap");
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(mmap_over_vm_memory_gets_enomem) {
  /* 64 MiB guest; touching 4 MiB takes seconds under an emulated CPU with ASan (the test bed) */
  ib_limits lim = {.mem_bytes = 64 << 20, .request_time_us = 30000000};
  ib_master *m = boot("reqs", &lim);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  char out[64];
  CHECK_EQ(req(w, "alloc 100", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "mmap -12") == 0, "got '%s'", out);
  CHECK(strstr(ib_worker_counters_json(w), "\"vmMemory\":1"), "counters: %s", ib_worker_counters_json(w));
  ib_worker_reset(w, -1);
  CHECK_EQ(req(w, "alloc 4", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "touched") == 0, "got '%s'", out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(unknown_syscall_gets_enosys_and_is_counted) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  char out[64];
  CHECK_EQ(req(w, "enosys", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "-38") == 0, "got '%s'", out);
  CHECK(strstr(ib_worker_counters_json(w), "\"enosys\":{\"400\":1}"), "counters: %s", ib_worker_counters_json(w));
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(guest_exit_is_reported_and_worker_serves_again) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  char out[64];
  ib_request_result r;
  CHECK_EQ(req(w, "exit", out, sizeof(out), &r), IB_EXITED);
  CHECK_EQ(r.exit_code, 3);
  serves_after(w, "exit");
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(in_guest_clock_gettime_needs_no_exit) {
  ib_master *m = boot("reqs", NULL);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  char out[64];
  ib_request_result r;
  CHECK_EQ(req(w, "clock 1000", out, sizeof(out), &r), IB_OK);
  CHECK(r.exits <= 3, "1000 clock_gettime calls took %llu exits", (unsigned long long)r.exits);
  long sec = strtol(out, NULL, 10);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  CHECK(labs(sec - (long)now.tv_sec) <= 1, "guest monotonic %ld s vs host %ld s", sec, (long)now.tv_sec);
  CHECK_EQ(req(w, "sys 10", out, sizeof(out), &r), IB_OK);
  CHECK(r.syscalls >= 10, "host syscalls %llu", (unsigned long long)r.syscalls);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(static_glibc_guest_runs) {
  const char *env[] = {"A=1", NULL};
  const char *argv[] = {"glibc_echo", "x", NULL};
  ib_limits lim = {.mem_bytes = 64 << 20};
  ib_master *m = ib_master_create(guest("glibc_echo"), argv, env, &lim);
  CHECK(m, "create: %s", ib_last_error());
  int st = ib_master_run_to_ready(m);
  CHECK(st == IB_OK, "run_to_ready: %d %s", st, ib_last_error());
  char buf[256];
  size_t n = ib_master_take_output(m, 1, buf, sizeof(buf) - 1);
  buf[n] = 0;
  CHECK(strstr(buf, "glibc guest up: argc=2 argv0=glibc_echo"), "stdout '%s'", buf);
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  char out[256];
  CHECK_EQ(req(w, "set changed", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "state=fresh in=set changed") == 0, "got '%s'", out);
  ib_worker_reset(w, -1);
  CHECK_EQ(req(w, "get", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "state=fresh in=get") == 0, "after pages reset got '%s'", out);
  ib_worker_set_mode(w, IB_MODE_PERSIST);
  CHECK_EQ(req(w, "set kept", out, sizeof(out), NULL), IB_OK);
  ib_worker_reset(w, -1);
  CHECK_EQ(req(w, "get", out, sizeof(out), NULL), IB_OK);
  CHECK(strcmp(out, "state=kept in=get") == 0, "persist got '%s'", out);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(malformed_elf_is_rejected_with_clear_error) {
  char path[] = "/tmp/ib-bad-elf-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "mkstemp");
  CHECK(write(fd, "\x7f" "ELG not really", 14) == 14, "write");
  close(fd);
  ib_master *m = ib_master_create(path, NULL, NULL, NULL);
  unlink(path);
  CHECK(!m, "accepted a malformed ELF");
  CHECK(strstr(ib_last_error(), "not an ELF file"), "error '%s'", ib_last_error());
  m = ib_master_create("/nonexistent/guest", NULL, NULL, NULL);
  CHECK(!m && strstr(ib_last_error(), "cannot open"), "error '%s'", ib_last_error());
}
