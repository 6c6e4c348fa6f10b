/* Hostile static guest (guests/attacks.c): raw port I/O with crafted registers, privileged
 * instructions, stores into the stub, data, page-table and descriptor-table pages, jumps into
 * the stub at odd offsets, and every syscall with wrapping/huge/out-of-range/overlapping
 * pointers and lengths. For each attack: a request that does not end IB_OK says why
 * (ib_last_error), the worker serves the next request with the probe reading 1 (isolated), the
 * worker's low pages (page tables, GDT/TSS, IDT, stub) are still the master's, and nothing on
 * the host changed: same host fds, no child process, no new file in the working directory
 * or /tmp. */
#include "test.h"
#include "isobench.h"
#include "layout.h"
#include "test_request.h"
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

static int dir_entries(const char *path) {
  DIR *d = opendir(path);
  int n = 0;
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

/* the low pages the guest must never change (the data page is host-written per worker) */
static const uint64_t fixed_pages[] = {L_PML4, L_PDPT, L_PT0, L_GDT, L_IDT, L_STUB, L_PD0};

static int low_pages_intact(ib_master *m, ib_worker *w, char *why, size_t cap) {
  static unsigned char a[4096], b[4096];
  for (unsigned i = 0; i < sizeof(fixed_pages) / sizeof(fixed_pages[0]); i++) {
    if (ib_master_peek(m, fixed_pages[i], a, sizeof(a)) || ib_worker_peek(w, fixed_pages[i], b, sizeof(b)) || memcmp(a, b, sizeof(a))) {
      snprintf(why, cap, "page 0x%llx differs from the master's", (unsigned long long)fixed_pages[i]);
      return 0;
    }
  }
  return 1;
}

struct attack_log { int ok, stopped; };

/* one attack, then the containment checks; 0 = a check failed (reported) */
static int attack(ib_master *m, ib_worker *w, const char *cmd, struct attack_log *log) {
  char out[256], why[128];
  ib_request_result res;
  int st = req(w, cmd, out, sizeof(out), &res);
  const char *err = st == IB_OK ? "" : ib_last_error();
  if (st != IB_OK && (!err || !*err)) { test_fail(__FILE__, __LINE__, "%s: status %d with no error message", cmd, st); return 0; }
  if (st == IB_OK) log->ok++;
  else log->stopped++;
  if (getenv("ISOBENCH_TEST_VERBOSE")) printf("  %-24s -> %d %s\n", cmd, st, st == IB_OK ? out : err);
  if (ib_worker_reset(w, -1) < 0) { test_fail(__FILE__, __LINE__, "%s: reset: %s", cmd, ib_last_error()); return 0; }
  for (int i = 0; i < 2; i++) {
    int ps = req(w, "probe", out, sizeof(out), NULL);
    if (ps != IB_OK || strcmp(out, "1") != 0) {
      test_fail(__FILE__, __LINE__, "after '%s': probe %d '%s' (%s)", cmd, ps, out, ps == IB_OK ? "" : ib_last_error());
      return 0;
    }
    ib_worker_reset(w, -1);
  }
  if (!low_pages_intact(m, w, why, sizeof(why))) { test_fail(__FILE__, __LINE__, "after '%s': %s", cmd, why); return 0; }
  return 1;
}

static void attacks_case(int mode) {
  ib_limits lim = {.mem_bytes = 64 << 20, .request_time_us = 20 * 1000 * 1000};
  int fds0 = host_fd_count(), cwd0 = dir_entries("."), tmp0 = dir_entries("/tmp");
  ib_master *m = boot_guest("attacks", &lim);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, mode);
  CHECK(w, "fork: %s", ib_last_error());
  int fds1 = host_fd_count();
  struct attack_log log = {0, 0};
  char cmd[64];
  static const unsigned ports[] = {0x20, 0x60, 0x70, 0x3f8, 0xcf8, 0xcfc, 0xe0, 0xe1, 0xe2, 0xdf, 0xffff};
  static const unsigned long long vals[] = {0x4141414141414141ULL, 0x3202, 0x1002, 0};
  for (unsigned p = 0; p < sizeof(ports) / sizeof(ports[0]); p++) {
    for (unsigned v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
      snprintf(cmd, sizeof(cmd), "out %x %llx", ports[p], vals[v]);
      if (!attack(m, w, cmd, &log)) goto done;
    }
    snprintf(cmd, sizeof(cmd), "in %x", ports[p]);
    if (!attack(m, w, cmd, &log)) goto done;
  }
  static const char *const outs[] = {"outs e0 11000", "outs e1 13000", "outs e0 1000", "outs 80 200000"};
  for (unsigned i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
    if (!attack(m, w, outs[i], &log)) goto done;
  for (int n = 0; n <= 16; n++) {
    snprintf(cmd, sizeof(cmd), "priv %x", n);
    if (!attack(m, w, cmd, &log)) goto done;
  }
  static const unsigned long long stores[] = {L_PML4, L_PDPT, L_PT0, L_GDT, L_IDT, L_IST, L_STUB, L_STUB + 0x200,
                                              L_DATA, L_XSAVE, L_LOW_END, L_PD0, 0, 0xffff800000000000ULL};
  for (unsigned i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
    snprintf(cmd, sizeof(cmd), "write %llx", stores[i]);
    if (!attack(m, w, cmd, &log)) goto done;
    snprintf(cmd, sizeof(cmd), "read %llx", stores[i]);
    if (!attack(m, w, cmd, &log)) goto done;
  }
  static const unsigned long long jumps[] = {
      L_STUB, L_STUB + 1, L_STUB + 3, L_STUB + 7, L_STUB + S_ENTRY_R0, L_STUB + S_ENTRY_R0 + 1, L_STUB + S_RESUME,
      L_STUB + S_RESUME + 2, L_STUB + S_PROBE, L_STUB + S_SWITCH, L_STUB + S_SWITCH + 5, L_STUB + S_VECTORS,
      L_STUB + S_VECTORS + 14 * 16, L_STUB + S_VECTORS + 31 * 16 + 3, L_STUB + S_NETPATH, L_STUB + S_NETPATH + 1,
      L_STUB + 0xfff, L_DATA, L_SCRATCH, L_XSAVE, L_PML4, 0, 0xffff800000000000ULL};
  for (unsigned i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++) {
    snprintf(cmd, sizeof(cmd), "jump %llx", jumps[i]);
    if (!attack(m, w, cmd, &log)) goto done;
  }
  for (unsigned nr = 0; nr < 0x150; nr += 0x30) {
    snprintf(cmd, sizeof(cmd), "sys %x %x", nr, nr + 0x30);
    if (!attack(m, w, cmd, &log)) goto done;
  }
  printf("  mode %d: %d attacks ran to the end, %d were stopped with an error\n", mode, log.ok, log.stopped);
  CHECK(log.stopped > 50, "only %d attacks were stopped", log.stopped);
  CHECK_EQ(host_fd_count(), fds1);
done:
  ib_worker_destroy(w);
  ib_master_destroy(m);
  CHECK_EQ(host_fd_count(), fds0);
  CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "a host child process exists");
  CHECK_EQ(dir_entries("."), cwd0);
  CHECK_EQ(dir_entries("/tmp"), tmp0);
}

KVM_TEST(attacking_guest_contained_pages) { attacks_case(IB_MODE_PAGES); }
KVM_TEST(attacking_guest_contained_full) { attacks_case(IB_MODE_FULL); }
