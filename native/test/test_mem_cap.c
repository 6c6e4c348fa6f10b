/* The per-request memory cap where the host allocates, and host memory a guest's reads could
 * allocate (issue 12). Independent of page protections, so it also builds against older engines. */
#include "test.h"
#include "isobench.h"
#include "test_request.h"
#include "fork.h"
#include <stdlib.h>
#include <sys/stat.h>


static long rss_kib(void) { /* RssAnon + RssShmem of this process */
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long total = 0, v;
  while (f && fgets(line, sizeof(line), f))
    if (sscanf(line, "RssAnon: %ld", &v) == 1 || sscanf(line, "RssShmem: %ld", &v) == 1) total += v;
  if (f) fclose(f);
  return total;
}

static void serves_next(ib_worker *w, const char *after) {
  char out[64];
  ib_worker_reset(w, -1);
  int st = req(w, "echo next", out, sizeof(out), NULL);
  CHECK(st == IB_OK && !strcmp(out, "next"), "after %s: ended %d '%s' (%s)", after, st, out, ib_last_error());
}

KVM_TEST(memory_cap_refuses_a_host_copy_before_it_allocates) {
  ib_master *m = boot_reqs(1024ULL << 20, 16 << 20);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  long rss0 = rss_kib();
  char out[64];
  int st = req(w, "mremap 256", out, sizeof(out), NULL); /* the host would copy 256 MiB */
  CHECK(st == IB_LIMIT_MEMORY, "mremap of 256 MiB under a 16 MiB cap ended %d '%s'", st, out);
  CHECK(strstr(ib_last_error(), "host write"), "error: %s", ib_last_error());
  long grew = rss_kib() - rss0;
  CHECK(grew < 32 * 1024, "host memory grew by %ld KiB", grew);
  CHECK(worker_private_pages(w) < 4096, "private set %llu pages", (unsigned long long)worker_private_pages(w));
  serves_next(w, "the refused copy");
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

static void touch_case(uint64_t mem, const char *what) {
  ib_master *m = boot_reqs(mem, 64 << 20);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  long rss0 = rss_kib();
  char out[64];
  int st = req(w, "alloc 2048", out, sizeof(out), NULL); /* map 2 GiB and write every page */
  long grew = rss_kib() - rss0;
  CHECK(st == IB_LIMIT_MEMORY, "%s: touching 2 GiB under a 64 MiB cap ended %d '%s'", what, st, out);
  CHECK(strstr(ib_last_error(), "over the cap"), "error: %s", ib_last_error());
  printf("  %s: private set at the stop %llu pages (cap 16384), host memory +%ld KiB\n", what,
         (unsigned long long)worker_private_pages(w), grew);
  CHECK(grew < 512 * 1024, "%s: host memory grew by %ld KiB", what, grew);
  serves_next(w, "the capped request");
  long after = rss_kib() - rss0;
  CHECK(after < 64 * 1024, "%s: after the full reset the worker still holds %ld KiB", what, after);
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(memory_cap_stops_a_guest_touching_2gib_dirty_log) { touch_case(3072ULL << 20, "dirty log (3 GiB guest)"); }
KVM_TEST(memory_cap_stops_a_guest_touching_2gib_dirty_ring) { touch_case(5120ULL << 20, "dirty ring (5 GiB guest)"); }

KVM_TEST(memory_reads_of_fresh_guest_memory_allocate_nothing_on_the_host) {
  ib_master *m = boot_reqs(1024ULL << 20, 0);
  CHECK(m, "boot failed");
  struct stat st0, st1;
  CHECK(fstat(m->vm.memfd, &st0) == 0, "fstat");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  long rss0 = rss_kib();
  char out[64];
  CHECK_EQ(req(w, "readmem 512", out, sizeof(out), NULL), IB_OK);
  CHECK(!strcmp(out, "zeros"), "read '%s'", out);
  CHECK(fstat(m->vm.memfd, &st1) == 0, "fstat");
  long memfd_grew = (long)(st1.st_blocks - st0.st_blocks) / 2, grew = rss_kib() - rss0;
  CHECK(memfd_grew < 1024, "the master's memfd grew by %ld KiB", memfd_grew);
  CHECK(grew < 32 * 1024, "host memory grew by %ld KiB after reading 512 MiB", grew);
  serves_next(w, "the reads");
  ib_worker_destroy(w);
  ib_master_destroy(m);
}

KVM_TEST(memory_pages_reset_drops_a_large_private_set) {
  ib_master *m = boot_reqs(512ULL << 20, 0);
  CHECK(m, "boot failed");
  ib_worker *w = ib_fork(m, IB_MODE_PAGES);
  CHECK(w, "fork: %s", ib_last_error());
  char out[64];
  CHECK_EQ(req(w, "alloc 100", out, sizeof(out), NULL), IB_OK);
  CHECK(!strcmp(out, "touched"), "alloc gave '%s'", out);
  CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_FULL); /* 100 MiB > 64 MiB: shrunk */
  CHECK(strstr(ib_worker_counters_json(w), "\"privateSetShrinks\":1"), "counters: %s", ib_worker_counters_json(w));
  CHECK_EQ(req(w, "dirty 4", out, sizeof(out), NULL), IB_OK);
  CHECK_EQ(ib_worker_reset(w, -1), IB_MODE_PAGES); /* small again: pages */
  ib_worker_destroy(w);
  ib_master_destroy(m);
}
