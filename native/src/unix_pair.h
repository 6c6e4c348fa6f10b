/* socketpair ends (sys_unix.c) are FDK_PIPE entries of the fd table marked in fd_ofd.data. Only
 * guest threads can write to them, so a wait must never block the host on one: the readiness
 * family skips them when it looks for host fds to block on (a listener in the same set then
 * parks/freezes as it should). */
#ifndef IB_UNIX_PAIR_H
#define IB_UNIX_PAIR_H
#include "fdtable.h"

#define UNIX_PAIR_MARK 0x554e4958ULL /* "UNIX" */

static inline int unix_pair_end(const struct fd_ofd *o) {
  return o && o->kind == FDK_PIPE && o->data == UNIX_PAIR_MARK;
}

#endif
