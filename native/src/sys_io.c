/* Minimal I/O: stdout/stderr captured into per-VM buffers, stdin at EOF. The files family of a
 * later issue may replace these handlers (SYS_FAMILY_LATE) and call sys_io_capture() for 1/2. */
#include "syscall.h"
#include "sys_io.h"
#include <errno.h>
#include <sys/uio.h>

long sys_io_capture(struct vm *vm, int fd, uint64_t buf, uint64_t len) {
  if (fd != 1 && fd != 2) return -EBADF;
  const void *p = gm_read_ptr(vm, buf, len);
  if (!p && len) return -EFAULT;
  capture_append(&vm->out[fd], p, len);
  return (long)len;
}

static long sys_write(struct vm *vm, const uint64_t a[6]) {
  return sys_io_capture(vm, (int)a[0], a[1], a[2]);
}

static long sys_writev(struct vm *vm, const uint64_t a[6]) {
  int fd = (int)a[0];
  if (fd != 1 && fd != 2) return -EBADF;
  if (a[2] > 1024) return -EINVAL;
  long total = 0;
  for (uint64_t i = 0; i < a[2]; i++) {
    struct iovec iov;
    if (gm_read(vm, a[1] + i * sizeof(iov), &iov, sizeof(iov))) return -EFAULT;
    long n = sys_io_capture(vm, fd, (uint64_t)(uintptr_t)iov.iov_base, iov.iov_len);
    if (n < 0) return total ? total : n;
    total += n;
  }
  return total;
}

static long sys_read(struct vm *vm, const uint64_t a[6]) {
  (void)vm;
  return a[0] == 0 ? 0 : -EBADF; /* stdin is empty */
}

static long sys_close(struct vm *vm, const uint64_t a[6]) {
  (void)vm;
  return a[0] <= 2 ? 0 : -EBADF;
}

static long sys_ioctl(struct vm *vm, const uint64_t a[6]) {
  (void)vm;
  return a[0] <= 2 ? -ENOTTY : -EBADF;
}

SYS_FAMILY(io) {
  sys_register(0, "read", sys_read);
  sys_register(1, "write", sys_write);
  sys_register(3, "close", sys_close);
  sys_register(16, "ioctl", sys_ioctl);
  sys_register(20, "writev", sys_writev);
}
