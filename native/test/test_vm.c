/* VM behaviour through the public C ABI, with the test guests built by the Makefile. */
#include "test.h"
#include "isobench.h"
#include <stdlib.h>
#include <stdint.h>

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

/* runs one request; out is NUL-terminated */
static int req(ib_worker *w, const char *in, char *out, size_t cap, ib_request_result *res) {
  ib_request_result local;
  if (!res) res = &local;
  int st = ib_worker_run_request(w, in, strlen(in), out, cap - 1, res);
  size_t n = res->out_len < cap - 1 ? res->out_len : cap - 1;
  out[st == IB_OK ? n : 0] = 0;
  return st;
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
