/* Engine hypercalls (numbers >= 0x1000) that test guests use to mark the freeze point and to
 * take requests: ready(), next_request(buf, cap) -> len, request_done(buf, len), nop(). */
#include "syscall.h"
#include <errno.h>
#include <string.h>

static long sys_ready(struct vm *vm, const uint64_t a[6]) {
  (void)a;
  if (!vm->is_worker) vm_stop(vm, STOP_READY, "ready");
  return 0;
}

static long deliver_input(struct vm *vm, uint64_t buf, uint64_t cap) {
  uint64_t n = vm->req.in_len < cap ? vm->req.in_len : cap;
  if (n && gm_write(vm, buf, vm->req.in, n)) return -EFAULT;
  vm->req.in_delivered = 1;
  return (long)n;
}

static long resume_next_request(struct vm *vm) { return deliver_input(vm, vm->blocked_args[0], vm->blocked_args[1]); }

static long sys_next_request(struct vm *vm, const uint64_t a[6]) {
  if (vm->req.in && !vm->req.in_delivered) return deliver_input(vm, a[0], a[1]);
  /* no request pending: block here; the next ib_worker_run_request completes the call */
  vm->blocked_args[0] = a[0];
  vm->blocked_args[1] = a[1];
  vm->resume = resume_next_request;
  vm_stop(vm, STOP_BLOCKED, "waiting for a request");
  return 0;
}

static long sys_request_done(struct vm *vm, const uint64_t a[6]) {
  const void *p = gm_read_ptr(vm, a[0], a[1]);
  if (!p && a[1]) return -EFAULT;
  vm->req.out_len = a[1];
  if (vm->req.out) memcpy(vm->req.out, p, a[1] < vm->req.out_cap ? a[1] : vm->req.out_cap);
  return 0;
}

static long sys_nop(struct vm *vm, const uint64_t a[6]) {
  (void)vm;
  return (long)a[0];
}

SYS_FAMILY(hyper) {
  sys_register(HC_READY, "hc_ready", sys_ready);
  sys_register(HC_NEXT_REQUEST, "hc_next_request", sys_next_request);
  sys_register(HC_REQUEST_DONE, "hc_request_done", sys_request_done);
  sys_register(HC_NOP, "hc_nop", sys_nop);
}
