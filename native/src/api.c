/* The C ABI (include/isobench.h) over fork.c; errors as thread-local messages. */
#include "fork.h"
#include "gmem.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static __thread char tls_err[512];

void ib_set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tls_err, sizeof(tls_err), fmt, ap);
  va_end(ap);
}

const char *ib_last_error(void) { return tls_err; }
const char *ib_version(void) { return "isobench-engine 0.1"; }

int ib_kvm_available(void) {
  int kvm = kvm_open();
  if (kvm < 0) return 0;
  static const struct { int cap; const char *name; } need[] = {
      {KVM_CAP_SYNC_REGS, "SYNC_REGS"},
      {KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, "MANUAL_DIRTY_LOG_PROTECT2"},
      {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
      {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
  };
  for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
    if (ioctl(kvm, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
      ib_set_error("/dev/kvm lacks KVM_CAP_%s", need[i].name);
      return 0;
    }
  return 1;
}

ib_master *ib_master_create(const char *elf_path, const char *const *argv, const char *const *envp, const ib_limits *limits) {
  if (!elf_path) { ib_set_error("no ELF path"); return NULL; }
  const char *const default_argv[] = {elf_path, NULL};
  return master_create(elf_path, argv && argv[0] ? argv : default_argv, envp, limits);
}

int ib_master_run_to_ready(ib_master *m) {
  if (!m) { ib_set_error("null master"); return IB_ERROR; }
  return master_run_to_ready(m);
}

void ib_master_destroy(ib_master *m) { master_destroy(m); }

ib_worker *ib_fork(ib_master *m, int mode) {
  if (!m) { ib_set_error("null master"); return NULL; }
  return worker_fork(m, mode);
}

int ib_worker_set_mode(ib_worker *w, int mode) {
  if (!w || mode < 0 || mode > 3) { ib_set_error("bad worker or mode"); return -1; }
  w->mode = mode;
  return 0;
}

int ib_worker_set_hybrid_threshold(ib_worker *w, uint64_t bytes) {
  if (!w) { ib_set_error("null worker"); return -1; }
  w->hybrid_threshold = bytes;
  return 0;
}

int ib_worker_run_request(ib_worker *w, const void *in, size_t in_len, void *out, size_t out_cap, ib_request_result *res) {
  if (!w) { ib_set_error("null worker"); return IB_ERROR; }
  return worker_run_request(w, in, in_len, out, out_cap, res);
}

int ib_worker_reset(ib_worker *w, int mode) {
  if (!w) { ib_set_error("null worker"); return -1; }
  return worker_reset(w, mode);
}

void ib_worker_destroy(ib_worker *w) { worker_destroy(w); }

static size_t take_output(struct vm *vm, int fd, char *buf, size_t cap) {
  if (fd != 1 && fd != 2) return 0;
  struct capture *c = &vm->out[fd];
  if (!c->len) return 0; /* nothing captured yet: c->buf may be NULL */
  size_t n = c->len < cap ? c->len : cap;
  if (n == 0) return 0;
  if (buf) memcpy(buf, c->buf, n);
  memmove(c->buf, c->buf + n, c->len - n);
  c->len -= n;
  return n;
}

size_t ib_master_take_output(ib_master *m, int fd, char *buf, size_t cap) { return m ? take_output(&m->vm, fd, buf, cap) : 0; }
size_t ib_worker_take_output(ib_worker *w, int fd, char *buf, size_t cap) { return w ? take_output(&w->vm, fd, buf, cap) : 0; }

static int peek(struct vm *vm, uint64_t a, void *buf, size_t len) {
  if (a > vm->mem_size || len > vm->mem_size - a) { ib_set_error("peek outside guest memory"); return -1; }
  memcpy(buf, vm->mem + a, len);
  return 0;
}
int ib_master_peek(ib_master *m, uint64_t a, void *buf, size_t len) { return m ? peek(&m->vm, a, buf, len) : -1; }
int ib_worker_peek(ib_worker *w, uint64_t a, void *buf, size_t len) { return w ? peek(&w->vm, a, buf, len) : -1; }

const char *worker_mode_name(const ib_worker *w);

const char *ib_worker_counters_json(ib_worker *w) {
  if (!w) return "{}";
  free(w->json);
  w->json = counters_json(&w->vm.ctr, exit_path_name(), worker_mode_name(w), w->vm.mem_size);
  return w->json;
}

const char *ib_master_counters_json(ib_master *m) {
  if (!m) return "{}";
  struct ib_counters *sum = malloc(sizeof(*sum));
  *sum = m->vm.ctr;
  counters_add(sum, &m->retired);
  for (ib_worker *w = m->workers; w; w = w->next) counters_add(sum, &w->vm.ctr);
  free(m->json);
  m->json = counters_json(sum, exit_path_name(), NULL, m->vm.mem_size);
  free(sum);
  return m->json;
}
