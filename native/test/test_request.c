#include "test_request.h"
#include "test.h"
#include <fcntl.h>
#include <string.h>

int req(ib_worker *w, const char *in, char *out, size_t cap, ib_request_result *res) {
  ib_request_result local;
  if (!res) res = &local;
  int st = ib_worker_run_request(w, in, strlen(in), out, cap - 1, res);
  size_t n = res->out_len < cap - 1 ? res->out_len : cap - 1;
  out[st == IB_OK ? n : 0] = 0;
  return st;
}

ib_master *boot_guest(const char *name, const ib_limits *lim) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", guest_dir, name);
  ib_limits def = {.mem_bytes = 64 << 20};
  ib_master *m = ib_master_create(path, NULL, NULL, lim ? lim : &def);
  if (!m) { printf("  create %s: %s\n", name, ib_last_error()); return NULL; }
  int st = ib_master_run_to_ready(m);
  if (st != IB_OK) { printf("  run_to_ready %s: %d %s\n", name, st, ib_last_error()); ib_master_destroy(m); return NULL; }
  return m;
}

ib_master *boot_reqs(uint64_t mem, uint64_t cap) {
  /* touching hundreds of MiB takes seconds under emulation (the QEMU test bed) */
  ib_limits lim = {.mem_bytes = mem, .request_dirty_bytes = cap, .request_time_us = 300000000ULL};
  return boot_guest("reqs", &lim);
}

int host_fd_count(void) {
  int n = 0;
  for (int fd = 0; fd < 4096; fd++) n += fcntl(fd, F_GETFD) >= 0;
  return n;
}
