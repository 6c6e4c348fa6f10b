/* socketpair(AF_UNIX): a pair of connected host sockets, both ends inside the guest (tokio's
 * signal driver creates one at start-up and panics without it). Replaces the sockets family's
 * refusal (SYS_FAMILY_LATE). The ends are FDK_PIPE entries of the fd table: read/write/close,
 * readiness (host poll) and blocking waits on them work as for pipes. Nothing of the host is
 * reachable through them: no address, no path, and sendmsg (the only way to pass fds or
 * credentials) is not routed to these fds.
 *
 * Reset: a pair opened during a request is closed with the request's fds. A pair opened by the
 * master during boot is shared by every worker (same host sockets, as for boot-time pipes): at
 * each reset its pending bytes are discarded, so a request cannot leave data for the next one.
 * Two workers running at the same time could still pass bytes through such a pair while both
 * run (known gap, see DENO.md). */
#include "fdtable.h"
#include "syscall.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#define LX_AF_UNIX 1
#define LX_SOCK_STREAM 1
#define LX_SOCK_DGRAM 2
#define LX_SOCK_SEQPACKET 5
#define LX_SOCK_NONBLOCK 04000
#define LX_SOCK_CLOEXEC 02000000
#define LX_O_NONBLOCK 04000
#define LX_O_RDWR 2
#define PAIR_MARK 0x554e4958ULL /* "UNIX" in fd_ofd.data: a socketpair end, not a pipe */

static long sys_socketpair(struct vm *vm, const uint64_t a[6]) {
  uint64_t type = a[1] & 0xf, flags = a[1] & ~0xfULL;
  if (a[0] != LX_AF_UNIX) return -EAFNOSUPPORT;
  if (flags & ~(uint64_t)(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC)) return -EINVAL;
  if (type != LX_SOCK_STREAM && type != LX_SOCK_DGRAM && type != LX_SOCK_SEQPACKET) return -EINVAL;
  if (a[2] != 0) return -EPROTONOSUPPORT;
  if (!gm_valid(vm, a[3], 2 * sizeof(int))) return -EFAULT;
  int host_type = type == LX_SOCK_STREAM ? SOCK_STREAM : type == LX_SOCK_DGRAM ? SOCK_DGRAM : SOCK_SEQPACKET;
  int nb = (flags & LX_SOCK_NONBLOCK) != 0, cloexec = (flags & LX_SOCK_CLOEXEC) != 0;
  int sv[2];
  /* host fds are always non-blocking: a blocking guest read goes through the pipe path (the
   * thread blocks, not the host) */
  if (socketpair(AF_UNIX, host_type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) return -errno;
  uint32_t status = LX_O_RDWR | (nb ? LX_O_NONBLOCK : 0);
  int g0 = fdt_install(vm, sv[0], FDK_PIPE, status, cloexec, 0);
  if (g0 < 0) { close(sv[1]); return g0; }
  int g1 = fdt_install(vm, sv[1], FDK_PIPE, status, cloexec, 0);
  if (g1 < 0) { fdt_close(vm, g0); return g1; }
  fdt_lookup(vm, g0)->data = PAIR_MARK;
  fdt_lookup(vm, g1)->data = PAIR_MARK;
  fdt_touch(vm);
  int pair[2] = {g0, g1};
  if (gm_write(vm, a[3], pair, sizeof(pair))) return -EFAULT;
  return 0;
}

/* drops whatever a request left in the boot-time pairs this worker shares with the master */
static void on_reset(struct vm *vm, int full) {
  (void)full;
  struct fd_table *t = fdt_get(vm);
  if (!t) return;
  for (int i = 0; i < t->hi_ofd; i++) {
    struct fd_ofd *o = &t->ofd[i];
    if (o->kind != FDK_PIPE || o->data != PAIR_MARK || o->host_fd < 0) continue;
    char buf[4096];
    for (int k = 0; k < 4096; k++) /* bounded: a socket buffer holds at most a few MiB */
      if (recv(o->host_fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0) break;
  }
}

static const struct sys_family_hooks g_hooks = {.name = "unix", .on_reset = on_reset};

SYS_FAMILY_LATE(unix_pairs) {
  sys_family_hooks_register(&g_hooks);
  sys_register(53, "socketpair", sys_socketpair);
}
