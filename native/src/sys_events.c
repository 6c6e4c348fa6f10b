/* eventfd2/eventfd: a counter kept in the fd table (see events.h). Reads and writes follow
 * eventfd(2): 8-byte values, EFD_SEMAPHORE, EFD_NONBLOCK; a blocking read of a zero counter
 * lets the other guest threads run and is re-issued, or ends the run when no thread can ever
 * write (the guest would hang forever). */
#include "events.h"
#include "threads.h"
#include "syscall.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#define LX_EFD_SEMAPHORE 1
#define LX_EFD_CLOEXEC 02000000
#define LX_EFD_NONBLOCK 04000
#define EV_SEMAPHORE 0x40000000u /* in ofd->status: bits no O_* flag uses */
#define EV_EDGE 0x20000000u
#define EV_MAX 0xfffffffffffffffeULL

short events_fd_ready(struct vm *vm, const struct fd_ofd *o, short events) {
  (void)vm;
  short r = 0;
  if (o->data > 0) r |= POLLIN | POLLRDNORM;
  if (o->data < EV_MAX) r |= POLLOUT | POLLWRNORM;
  return r & events;
}

int events_fd_edge(struct vm *vm, struct fd_ofd *o, int consume) {
  int edge = (o->status & EV_EDGE) != 0;
  if (edge && consume) {
    o->status &= ~EV_EDGE;
    fdt_touch(vm);
  }
  return edge;
}

static long ev_read(struct vm *vm, int gfd, struct fd_ofd *o, uint64_t buf, uint64_t len) {
  (void)gfd;
  if (len < 8) return -EINVAL;
  if (!gm_valid(vm, buf, 8)) return -EFAULT;
  if (o->data == 0) {
    if (o->status & O_NONBLOCK) return -EAGAIN;
    long rax;
    if (thr_park_restart(vm, vm->run->s.regs.regs.rax, &rax)) return rax; /* re-issued later */
    vm->ctr.killed++;
    vm_stop(vm, STOP_KILLED, "blocking read of an eventfd no guest thread can write (it would never return)");
    return 0;
  }
  uint64_t v = (o->status & EV_SEMAPHORE) ? 1 : o->data;
  if (gm_write(vm, buf, &v, 8)) return -EFAULT;
  o->data -= v;
  fdt_touch(vm);
  return 8;
}

static long ev_write(struct vm *vm, int gfd, struct fd_ofd *o, uint64_t buf, uint64_t len) {
  (void)gfd;
  uint64_t v;
  if (len < 8) return -EINVAL;
  if (gm_read(vm, buf, &v, 8)) return -EFAULT;
  if (v == ~0ULL) return -EINVAL;
  if (v > EV_MAX - o->data) return -EAGAIN; /* a blocking writer could only wait for a reader: same answer */
  o->data += v;
  o->status |= EV_EDGE;
  fdt_touch(vm);
  return 8;
}

/* a fresh host-less OFD per worker: the counter is plain data copied with the table */
static const struct fd_kind_ops g_eventfd_ops = {
    .name = "eventfd", .fork_policy = FDT_FORK_SHARE, .read = ev_read, .write = ev_write};

static long do_eventfd(struct vm *vm, uint64_t initval, uint64_t flags) {
  if (flags & ~(uint64_t)(LX_EFD_SEMAPHORE | LX_EFD_CLOEXEC | LX_EFD_NONBLOCK)) return -EINVAL;
  if (initval > 0xffffffffULL) return -EINVAL;
  uint32_t status = O_RDWR | ((flags & LX_EFD_NONBLOCK) ? O_NONBLOCK : 0) | ((flags & LX_EFD_SEMAPHORE) ? EV_SEMAPHORE : 0);
  int gfd = fdt_install(vm, -1, FDK_EVENTFD, status, (flags & LX_EFD_CLOEXEC) != 0, 0);
  if (gfd < 0) return gfd;
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  o->data = initval;
  if (initval) o->status |= EV_EDGE;
  fdt_touch(vm);
  return gfd;
}

static long sys_eventfd2(struct vm *vm, const uint64_t a[6]) { return do_eventfd(vm, a[0], a[1]); }
static long sys_eventfd(struct vm *vm, const uint64_t a[6]) { return do_eventfd(vm, a[0], 0); }

SYS_FAMILY(events) {
  fdt_register_kind(FDK_EVENTFD, &g_eventfd_ops);
  sys_register(284, "eventfd", sys_eventfd);
  sys_register(290, "eventfd2", sys_eventfd2);
}
