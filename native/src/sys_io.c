/* stdout/stderr captured into per-VM buffers; the files family (sys_files.c) owns read/write/
 * close/ioctl/writev and calls sys_io_capture() for fds 1 and 2. */
#include "syscall.h"
#include "sys_io.h"
#include <errno.h>

long sys_io_capture(struct vm *vm, int fd, uint64_t buf, uint64_t len) {
  if (fd != 1 && fd != 2) return -EBADF;
  const void *p = gm_read_ptr(vm, buf, len);
  if (!p && len) return -EFAULT;
  capture_append(&vm->out[fd], p, len);
  return (long)len;
}
