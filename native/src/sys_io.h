#ifndef IB_SYS_IO_H
#define IB_SYS_IO_H
#include "engine.h"
/* appends guest bytes [buf, buf+len) to the VM's fd 1/2 capture; bytes or -errno */
long sys_io_capture(struct vm *vm, int fd, uint64_t buf, uint64_t len);
#endif
