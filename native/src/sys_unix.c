/* socketpair(AF_UNIX): a pair of connected host sockets, both ends inside the guest (tokio's
 * signal driver creates one at start-up and panics without it). Replaces the sockets family's
 * refusal (SYS_FAMILY_LATE). The ends are FDK_PIPE entries of the fd table: read/write/close,
 * readiness (host poll) and blocking waits on them work as for pipes. Nothing of the host is
 * reachable through them: no address, no path, and sendmsg (the only way to pass fds or
 * credentials) is not routed to these fds. getsockname/getpeername/getsockopt answer as for an
 * unnamed AF_UNIX socket (Python's socket.socketpair() asks).
 *
 * Reset: a pair opened during a request is closed with the request's fds. A pair opened by the
 * master during boot is each worker's own, put back to what the master held at the freeze at
 * every reset but persist (pipes.c), as boot-time pipes are. */
#include "fdtable.h"
#include "net.h"
#include "pipes.h"
#include "syscall.h"
#include "threads.h"
#include "unix_pair.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
  fdt_lookup(vm, g0)->data = UNIX_PAIR_MARK;
  fdt_lookup(vm, g1)->data = UNIX_PAIR_MARK;
  pipes_mark_pair(fdt_lookup(vm, g0), fdt_lookup(vm, g1));
  fdt_touch(vm);
  int pair[2] = {g0, g1};
  if (gm_write(vm, a[3], pair, sizeof(pair))) return -EFAULT;
  return 0;
}

static struct fd_ofd *pair_end(struct vm *vm, int gfd) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  return unix_pair_end(o) && o->host_fd >= 0 ? o : NULL;
}

/* The calling thread re-issues its syscall when it is next scheduled; another thread that can
 * run (ready, else one blocked in a wait it re-issues) runs now. 0 = there is none. */
static int park_for_restart(struct vm *vm, long *rax) {
  uint64_t nr = vm->run->s.regs.regs.rax; /* the syscall number until the handler returns */
  if (thr_park_restart(vm, nr, rax)) return 1;
  struct thr_table *tt = thr_table(vm);
  if (!tt || tt->live < 2) return 0;
  int other = 0;
  for (int i = 0; i < THR_MAX; i++)
    if (i != tt->cur && tt->t[i].tid && tt->t[i].state == T_RESTART) other = 1;
  struct kvm_regs *r = &vm->run->s.regs.regs;
  uint64_t sys_at = r->rcx - 2;
  if (!other || r->rcx < L_USER + 2 || !gm_valid(vm, sys_at, 2) || vm->mem[sys_at] != 0x0f || vm->mem[sys_at + 1] != 0x05)
    return 0;
  thr_save_current(vm, T_RESTART, (int64_t)nr);
  thr_set_restart(vm, sys_at, nr);
  *rax = thr_schedule(vm);
  return 1;
}

/* A blocking receive found nothing. Only guest threads can write the other end: let them run.
 * When none can run before a timeout of theirs, the host sleeps until it (then they run); with
 * no timeout at all nothing can ever arrive: the run is killed as a deadlock. */
static long pair_would_block(struct vm *vm, struct fd_ofd *o, int *retry, int *switched) {
  long rax;
  *retry = 0;
  if (park_for_restart(vm, &rax)) { *switched = 1; return rax; }
  uint64_t d = thr_live(vm) > 1 ? thr_next_deadline(vm) : 0;
  if (!d) {
    vm->ctr.killed++;
    vm_stop(vm, STOP_KILLED, "deadlock: guest blocked forever receiving on a socketpair no other thread can write");
    return -EAGAIN;
  }
  uint64_t now = vm_mono_ns(vm); /* thread deadlines are guest time */
  int hfd = o->host_fd;
  if (d > now && net_host_wait(vm, &hfd, 1, POLLIN, (int64_t)(d - now)) < 0) return -EINTR;
  if (vm->stop != STOP_NONE) return -EINTR;
  if (thr_expire(vm) && park_for_restart(vm, &rax)) { *switched = 1; return rax; }
  *retry = 1;
  return 0;
}

#define LX_MSG_PEEK 0x2
#define LX_MSG_TRUNC 0x20
#define LX_MSG_DONTWAIT 0x40
#define LX_MSG_WAITALL 0x100
#define LX_MSG_NOSIGNAL 0x4000
#define LX_MSG_CMSG_CLOEXEC 0x40000000

/* *switched = 1: another thread now runs and the return value is its rax (this call is
 * re-issued later): the caller must return it as is */
static long pair_recv(struct vm *vm, struct fd_ofd *o, uint64_t buf, uint64_t len, uint64_t flags, int *switched) {
  if (flags & ~(uint64_t)(LX_MSG_PEEK | LX_MSG_TRUNC | LX_MSG_DONTWAIT | LX_MSG_WAITALL | LX_MSG_CMSG_CLOEXEC)) return -EINVAL;
  if (len > (1u << 20)) len = 1u << 20;
  void *p = len ? gm_write_ptr(vm, buf, len) : NULL;
  if (len && !p) return -EFAULT;
  int hflags = MSG_DONTWAIT | ((flags & LX_MSG_PEEK) ? MSG_PEEK : 0) | ((flags & LX_MSG_TRUNC) ? MSG_TRUNC : 0);
  for (;;) {
    ssize_t n = recv(o->host_fd, p, len, hflags);
    if (n >= 0) return n;
    if (errno != EAGAIN || (o->status & LX_O_NONBLOCK) || (flags & LX_MSG_DONTWAIT)) return -errno;
    int retry;
    long r = pair_would_block(vm, o, &retry, switched);
    if (!retry) return r;
  }
}

static long pair_send(struct vm *vm, struct fd_ofd *o, uint64_t buf, uint64_t len, uint64_t flags) {
  if (flags & ~(uint64_t)(LX_MSG_DONTWAIT | LX_MSG_NOSIGNAL)) return -EINVAL;
  if (len > (1u << 20)) len = 1u << 20;
  const void *p = len ? gm_read_ptr(vm, buf, len) : NULL;
  if (len && !p) return -EFAULT;
  ssize_t n = send(o->host_fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  /* a full pair: the guest's reader would have to run first; reported as EAGAIN even to a
   * blocking sender (documented) */
  /* without MSG_NOSIGNAL Linux would also raise SIGPIPE: signals are not delivered here */
  return n < 0 ? -errno : n;
}

/* recvfrom/sendto/recvmsg/sendmsg: on a socketpair end here (no addresses, no control
 * messages: nothing can pass fds or credentials), on anything else the sockets family's */
static sys_fn g_prev_recvfrom, g_prev_sendto, g_prev_recvmsg, g_prev_sendmsg;

static long prev_or_enosys(sys_fn fn, struct vm *vm, const uint64_t a[6]) { return fn ? fn(vm, a) : -ENOSYS; }

static long sys_recvfrom(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = pair_end(vm, (int)a[0]);
  if (!o) return prev_or_enosys(g_prev_recvfrom, vm, a);
  int sw = 0;
  long n = pair_recv(vm, o, a[1], a[2], a[3], &sw);
  if (sw) return n;
  if (n >= 0 && a[5]) { uint32_t zero = 0; if (gm_write(vm, a[5], &zero, 4)) return -EFAULT; } /* unnamed peer */
  return n;
}

static long sys_sendto(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = pair_end(vm, (int)a[0]);
  if (!o) return prev_or_enosys(g_prev_sendto, vm, a);
  if (a[4]) return -EISCONN;
  return pair_send(vm, o, a[1], a[2], a[3]);
}

struct lx_msghdr {
  uint64_t name;
  uint32_t namelen, pad0;
  uint64_t iov, iovlen, control, controllen;
  int32_t flags, pad1;
};

/* one iovec at a time (a stream pair: the same bytes in the same order) */
static long pair_msg(struct vm *vm, struct fd_ofd *o, const uint64_t a[6], int receive) {
  struct lx_msghdr m;
  if (gm_read(vm, a[1], &m, sizeof(m))) return -EFAULT;
  if (!receive && (m.controllen || m.name)) return m.name ? -EISCONN : -EOPNOTSUPP;
  if (m.iovlen > 1024) return -EMSGSIZE;
  long total = 0;
  int sw = 0;
  for (uint64_t i = 0; i < m.iovlen; i++) {
    uint64_t iov[2];
    if (gm_read(vm, m.iov + i * 16, iov, sizeof(iov))) return total ? total : -EFAULT;
    if (!iov[1]) continue;
    long n = receive ? pair_recv(vm, o, iov[0], iov[1], a[2] | (total ? LX_MSG_DONTWAIT : 0), &sw)
                     : pair_send(vm, o, iov[0], iov[1], a[2]);
    if (sw || vm->stop != STOP_NONE) return n; /* another thread runs / stopped: re-issued later */
    if (n < 0) return total ? total : n;
    total += n;
    if ((uint64_t)n < iov[1]) break;
  }
  if (receive) {
    m.namelen = 0;
    m.controllen = 0;
    m.flags = 0;
    if (gm_write(vm, a[1], &m, sizeof(m))) return -EFAULT;
  }
  return total;
}

static long sys_recvmsg(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = pair_end(vm, (int)a[0]);
  return o ? pair_msg(vm, o, a, 1) : prev_or_enosys(g_prev_recvmsg, vm, a);
}

static long sys_sendmsg(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = pair_end(vm, (int)a[0]);
  return o ? pair_msg(vm, o, a, 0) : prev_or_enosys(g_prev_sendmsg, vm, a);
}

/* getsockname/getpeername: an unnamed AF_UNIX socket, as Linux answers for a socketpair end
 * (the family alone, length 2; a shorter buffer gets what fits) */
static sys_fn g_prev_getsockname, g_prev_getpeername, g_prev_getsockopt;

static long pair_name(struct vm *vm, const uint64_t a[6], sys_fn prev) {
  if (!pair_end(vm, (int)a[0])) return prev_or_enosys(prev, vm, a);
  uint32_t cap;
  if (gm_read(vm, a[2], &cap, sizeof(cap))) return -EFAULT;
  if ((int32_t)cap < 0) return -EINVAL;
  uint16_t family = LX_AF_UNIX;
  if (cap && gm_write(vm, a[1], &family, cap < sizeof(family) ? cap : sizeof(family))) return -EFAULT;
  uint32_t need = sizeof(family);
  return gm_write(vm, a[2], &need, sizeof(need)) ? -EFAULT : 0;
}

static long sys_getsockname(struct vm *vm, const uint64_t a[6]) { return pair_name(vm, a, g_prev_getsockname); }
static long sys_getpeername(struct vm *vm, const uint64_t a[6]) { return pair_name(vm, a, g_prev_getpeername); }

#define LX_SOL_SOCKET 1

/* getsockopt on a pair end: the options that describe the socket itself, read from the host
 * pair (type, domain, protocol, pending error, buffer sizes). SO_PEERCRED and the like would tell
 * the host's pid and uid: refused. */
static long sys_getsockopt(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = pair_end(vm, (int)a[0]);
  if (!o) return prev_or_enosys(g_prev_getsockopt, vm, a);
  if (a[1] != LX_SOL_SOCKET) return -EOPNOTSUPP;
  static const int readable[] = {SO_TYPE, SO_ERROR, SO_SNDBUF, SO_RCVBUF, SO_ACCEPTCONN, SO_DOMAIN, SO_PROTOCOL};
  int opt = (int)a[2], known = 0;
  for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++) known |= readable[i] == opt;
  if (!known) return -ENOPROTOOPT;
  uint32_t cap;
  if (gm_read(vm, a[4], &cap, sizeof(cap))) return -EFAULT;
  if ((int32_t)cap < 0) return -EINVAL;
  int value;
  socklen_t vlen = sizeof(value);
  if (getsockopt(o->host_fd, SOL_SOCKET, opt, &value, &vlen) < 0) return -errno;
  uint32_t n = cap < vlen ? cap : vlen;
  if (n && gm_write(vm, a[3], &value, n)) return -EFAULT;
  return gm_write(vm, a[4], &n, sizeof(n)) ? -EFAULT : 0;
}

/* after the sockets family (200) and every LATE family: wraps their handlers for pair fds */
SYS_FAMILY_PRIO(unix_pairs, 360) {
  static const struct { unsigned nr; const char *name; sys_fn fn; sys_fn *prev; } wraps[] = {
      {45, "recvfrom", sys_recvfrom, &g_prev_recvfrom},          {44, "sendto", sys_sendto, &g_prev_sendto},
      {47, "recvmsg", sys_recvmsg, &g_prev_recvmsg},             {46, "sendmsg", sys_sendmsg, &g_prev_sendmsg},
      {51, "getsockname", sys_getsockname, &g_prev_getsockname}, {52, "getpeername", sys_getpeername, &g_prev_getpeername},
      {55, "getsockopt", sys_getsockopt, &g_prev_getsockopt}};
  sys_register(53, "socketpair", sys_socketpair);
  for (size_t i = 0; i < sizeof(wraps) / sizeof(wraps[0]); i++) {
    *wraps[i].prev = sys_handler(wraps[i].nr);
    sys_register(wraps[i].nr, wraps[i].name, wraps[i].fn);
  }
}
