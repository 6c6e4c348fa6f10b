/* eventfd (sys_events.c): virtual, plain data in the fd table (the counter is the OFD's data),
 * so a worker's eventfds roll back with its fd table at reset and are never shared between VMs.
 * Readiness for the readiness family (sys_ready.c): */
#ifndef IB_EVENTS_H
#define IB_EVENTS_H
#include "fdtable.h"

/* level readiness of an eventfd for poll events: POLLIN when the counter is non-zero, POLLOUT
 * while a write of 1 would not block */
short events_fd_ready(struct vm *vm, const struct fd_ofd *o, short events);
/* edge for an EPOLLET interest: 1 when the eventfd was written since the last call that
 * consumed the edge (consume=1 clears it). A waker eventfd that is never read (mio/tokio's)
 * must not be reported by every epoll_wait, or the event loop never blocks. */
int events_fd_edge(struct vm *vm, struct fd_ofd *o, int consume);

#endif
