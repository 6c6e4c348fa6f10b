#include "test_request.h"
#include <string.h>

int req(ib_worker *w, const char *in, char *out, size_t cap, ib_request_result *res) {
  ib_request_result local;
  if (!res) res = &local;
  int st = ib_worker_run_request(w, in, strlen(in), out, cap - 1, res);
  size_t n = res->out_len < cap - 1 ? res->out_len : cap - 1;
  out[st == IB_OK ? n : 0] = 0;
  return st;
}
