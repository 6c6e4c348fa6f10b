/* Readiness family: poll/ppoll/select/pselect6/epoll_*. Readiness is computed by the host from
 * the fd table (files and stdio are always ready; the listening socket is readable when a
 * connection was handed over; a connection is readable when prefetched bytes remain or its host
 * fd says so). A wait that cannot be satisfied blocks the host only on what can change it: the
 * connection's host fd (bounded by the run's deadline) or, when it is the listening socket with
 * no connection left to serve, ends the run there (net_park: the freeze point or the end of a
 * request). */
#include "net.h"
#include "fdtable.h"
#include "events.h"
#include "syscall.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#define RSET_MAX 1024
#define G_EPOLL_CLOEXEC 02000000

struct rset {
  int n;
  int fd[RSET_MAX];
  short ev[RSET_MAX];
  short rev[RSET_MAX];
};

int net_is_listener(struct vm *vm, int gfd) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  return o && o->kind == FDK_LISTEN;
}

/* Only a connection can become ready while the guest waits: pipes and socketpairs are the guest's
 * own (no fd passing, no fork), so only a guest write or close changes them, and no other guest
 * thread runs while this one waits on the host (threads.c tries the others first). Blocking on
 * them would only sleep until the timeout: libuv's loop waits at its ready point on the listener
 * and its signal pipe with a 30 s timer, and Node never reached the freeze point. */
int net_host_waitable(struct vm *vm, int gfd, int *host_fd) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o || o->host_fd < 0) return 0;
  if (o->kind == FDK_SOCKET && (o->data & SF_CONN)) {
    *host_fd = o->host_fd;
    return 1;
  }
  return 0;
}

static short host_poll_now(int fd, short events) {
  struct pollfd pf = {.fd = fd, .events = events};
  return poll(&pf, 1, 0) > 0 ? pf.revents : 0;
}

static int epoll_ready_count(struct vm *vm, int ep_ofd, int depth);

short net_fd_ready(struct vm *vm, int gfd, short events, int depth) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  struct net_vm *nv = net_state(vm);
  if (!o) return POLLNVAL;
  short always = POLLERR | POLLHUP | POLLNVAL;
  switch (o->kind) {
  case FDK_LISTEN:
    return (nv->pending_fd >= 0 && o->host_fd == nv->listen_fd) ? (events & POLLIN) : 0;
  case FDK_SOCKET: {
    if (o->host_fd < 0) return (POLLOUT | POLLHUP) & (events | always);
    short r = 0;
    if (o->host_fd == nv->conn_fd && nv->pre_off < nv->pre_len) r |= POLLIN;
    if (!(o->data & SF_SHUT_WR)) r |= POLLOUT;
    if (!(r & POLLIN) && (events & (POLLIN | POLLRDHUP))) r |= host_poll_now(o->host_fd, POLLIN | POLLRDHUP) & (POLLIN | POLLRDHUP | POLLHUP | POLLERR);
    return r & (events | always);
  }
  case FDK_EVENTFD:
    return events_fd_ready(vm, o, events);
  case FDK_EPOLL:
    if (depth > 2) return 0;
    return epoll_ready_count(vm, (int)(o - fdt_get(vm)->ofd), depth + 1) > 0 ? (events & POLLIN) : 0;
  case FDK_STDIO:
  case FDK_FILE:
  case FDK_DIR:
    return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
  default:
    if (o->host_fd >= 0) return host_poll_now(o->host_fd, events) & (events | always);
    return 0;
  }
}

/* readiness of every entry; count of entries with revents */
static int rset_scan(struct vm *vm, struct rset *s) {
  int n = 0;
  for (int i = 0; i < s->n; i++) {
    s->rev[i] = s->fd[i] < 0 ? 0 : net_fd_ready(vm, s->fd[i], s->ev[i], 0);
    n += s->rev[i] != 0;
  }
  return n;
}

/* host fds a wait on s can block on (connections, pipes, and those watched by epoll fds) */
static int rset_host_fds(struct vm *vm, const struct rset *s, int *out, int cap, int *has_listener) {
  int n = 0;
  *has_listener = 0;
  for (int i = 0; i < s->n; i++) {
    int hfd;
    struct fd_ofd *o = s->fd[i] < 0 ? NULL : fdt_lookup(vm, s->fd[i]);
    if (!o) continue;
    if (o->kind == FDK_LISTEN) *has_listener = 1;
    else if (o->kind == FDK_EPOLL) {
      struct net_vm *nv = net_state(vm);
      int ep = (int)(o - fdt_get(vm)->ofd);
      for (int k = 0; k < nv->ep.n; k++) {
        struct net_epi *e = &nv->ep.e[k];
        if (e->ep_ofd != ep || !e->events) continue;
        if (net_is_listener(vm, e->fd)) *has_listener = 1;
        else if (n < cap && net_host_waitable(vm, e->fd, &hfd)) out[n++] = hfd;
      }
    } else if (n < cap && net_host_waitable(vm, s->fd[i], &hfd)) out[n++] = hfd;
  }
  return n;
}

/* Waits until s has a ready entry, the timeout passes (0), or the run stops (-1). Returns the
 * ready count. timeout_ns < 0 = forever. */
static int rset_wait(struct vm *vm, struct rset *s, int64_t timeout_ns, uint64_t nr, const uint64_t a[6]) {
  uint64_t start = now_ns();
  for (;;) {
    int n = rset_scan(vm, s);
    if (n > 0 || timeout_ns == 0) return n;
    int hfds[16], has_listener;
    int nh = rset_host_fds(vm, s, hfds, 16, &has_listener);
    net_flush(vm);
    if (vm->stop != STOP_NONE) return -1;
    if (nh == 0 && has_listener) {
      if (net_park(vm, nr, a)) continue; /* a warm-up connection is now pending */
      return -1;
    }
    int64_t left = -1;
    if (timeout_ns > 0) {
      left = timeout_ns - (int64_t)(now_ns() - start);
      if (left <= 0) return 0;
    }
    if (nh == 0) {
      /* nothing here can become ready: a plain sleep, bounded by the run's deadline */
      int dummy = -1;
      if (net_host_wait(vm, &dummy, 1, 0, left) < 0) return -1;
      if (left >= 0) return 0;
      continue;
    }
    int w = net_host_wait(vm, hfds, nh, POLLIN | POLLRDHUP, left);
    if (w < 0) return -1;
    if (w == 0) return rset_scan(vm, s);
  }
}

static int64_t ts_to_ns(struct vm *vm, uint64_t addr, int *err) {
  *err = 0;
  if (!addr) return -1;
  struct timespec ts;
  if (gm_read(vm, addr, &ts, sizeof(ts))) { *err = -EFAULT; return 0; }
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L) { *err = -EINVAL; return 0; }
  return guest_timeout_ns(ts.tv_sec, ts.tv_nsec, 1);
}

/* ---- poll / ppoll ---- */

static long do_poll(struct vm *vm, uint64_t nr, const uint64_t a[6], int64_t timeout_ns) {
  uint64_t nfds = a[1];
  if (nfds > RSET_MAX) return -EINVAL;
  struct rset *s = malloc(sizeof(*s));
  if (!s) return -ENOMEM;
  s->n = (int)nfds;
  struct pollfd *pf = nfds ? malloc(nfds * sizeof(*pf)) : NULL;
  long ret;
  if (nfds && (!pf || gm_read(vm, a[0], pf, nfds * sizeof(*pf)))) { ret = pf ? -EFAULT : -ENOMEM; goto out; }
  for (uint64_t i = 0; i < nfds; i++) { s->fd[i] = pf[i].fd; s->ev[i] = pf[i].events; }
  int n = rset_wait(vm, s, timeout_ns, nr, a);
  if (n < 0) { ret = -EINTR; goto out; }
  for (uint64_t i = 0; i < nfds; i++) pf[i].revents = s->rev[i];
  ret = nfds && gm_write(vm, a[0], pf, nfds * sizeof(*pf)) ? -EFAULT : n;
out:
  free(pf);
  free(s);
  return ret;
}

static long sys_poll(struct vm *vm, const uint64_t a[6]) {
  int ms = (int)a[2];
  return do_poll(vm, 7, a, ms < 0 ? -1 : (int64_t)ms * 1000000LL);
}

static long sys_ppoll(struct vm *vm, const uint64_t a[6]) {
  int err;
  int64_t t = ts_to_ns(vm, a[2], &err);
  return err ? err : do_poll(vm, 271, a, t);
}

/* ---- select / pselect6 ---- */

static long do_select(struct vm *vm, uint64_t nr, const uint64_t a[6], int64_t timeout_ns) {
  int nfds = (int)a[0];
  if (nfds < 0 || nfds > RSET_MAX) return -EINVAL;
  size_t bytes = (size_t)((nfds + 63) / 64) * 8;
  uint64_t sets[3][RSET_MAX / 64];
  memset(sets, 0, sizeof(sets));
  for (int k = 0; k < 3; k++)
    if (a[1 + k] && bytes && gm_read(vm, a[1 + k], sets[k], bytes)) return -EFAULT;
  struct rset *s = malloc(sizeof(*s));
  if (!s) return -ENOMEM;
  s->n = 0;
  for (int fd = 0; fd < nfds; fd++) {
    short ev = 0;
    if (sets[0][fd / 64] >> (fd % 64) & 1) ev |= POLLIN;
    if (sets[1][fd / 64] >> (fd % 64) & 1) ev |= POLLOUT;
    if (sets[2][fd / 64] >> (fd % 64) & 1) ev |= POLLPRI;
    if (!ev) continue;
    if (!fdt_lookup(vm, fd)) { free(s); return -EBADF; }
    s->fd[s->n] = fd;
    s->ev[s->n++] = ev;
  }
  int n = rset_wait(vm, s, timeout_ns, nr, a);
  if (n < 0) { free(s); return -EINTR; }
  memset(sets, 0, sizeof(sets));
  int count = 0;
  for (int i = 0; i < s->n; i++) {
    int fd = s->fd[i];
    short r = s->rev[i];
    if (r & (POLLIN | POLLHUP | POLLERR) && s->ev[i] & POLLIN) { sets[0][fd / 64] |= 1ULL << (fd % 64); count++; }
    if (r & (POLLOUT | POLLERR) && s->ev[i] & POLLOUT) { sets[1][fd / 64] |= 1ULL << (fd % 64); count++; }
    if (r & POLLPRI && s->ev[i] & POLLPRI) { sets[2][fd / 64] |= 1ULL << (fd % 64); count++; }
  }
  free(s);
  for (int k = 0; k < 3; k++)
    if (a[1 + k] && bytes && gm_write(vm, a[1 + k], sets[k], bytes)) return -EFAULT;
  return count;
}

static long sys_select(struct vm *vm, const uint64_t a[6]) {
  int64_t t = -1;
  if (a[4]) {
    struct { int64_t sec, usec; } tv;
    if (gm_read(vm, a[4], &tv, sizeof(tv))) return -EFAULT;
    if (tv.sec < 0 || tv.usec < 0) return -EINVAL;
    t = guest_timeout_ns(tv.sec, tv.usec, 1000);
  }
  return do_select(vm, 23, a, t);
}

static long sys_pselect6(struct vm *vm, const uint64_t a[6]) {
  int err;
  int64_t t = ts_to_ns(vm, a[4], &err);
  return err ? err : do_select(vm, 270, a, t);
}

/* ---- epoll ---- */

/* EPOLLET. The host cannot see every arrival on a host socket, so an edge-triggered entry is
 * reported when a readiness bit appears that was not reported before (bits that went away are
 * forgotten), or when the guest made any other host-handled syscall since it was last reported
 * (a read/accept/write that hit EAGAIN may have happened: tokio/mio then wait for the next
 * edge). What is suppressed is only the case that matters: the event loop coming straight back
 * to epoll_wait with nothing new — reported level-triggered, a writable connection would then
 * wake every epoll_wait and the loop would spin instead of letting other guest threads run.
 * The cost is at most one spurious wake-up per batch of work, never a lost one. Eventfds edge
 * on every write (events.h), as in the kernel: mio's waker is never read. */
static short epoll_et(struct vm *vm, struct net_epi *e, short r, int consume) {
  if (!(e->events & EPOLLET)) return r;
  struct fd_ofd *o = fdt_lookup(vm, e->fd);
  if (o && o->kind == FDK_EVENTFD) return r && events_fd_edge(vm, o, consume) ? r : 0;
  uint32_t seq = (uint32_t)vm->ctr.exits[EXK_SYSCALL]; /* this epoll_wait's own exit included */
  uint32_t seen = e->et_seen & (uint16_t)r;
  int fresh = r && ((r & ~seen) || seq - e->et_seq > 1);
  uint32_t next = consume && fresh ? (uint16_t)r : seen;
  if (next != e->et_seen || (consume && fresh)) {
    e->et_seen = next;
    if (consume && fresh) e->et_seq = seq;
    net_state(vm)->ep.generation++;
  }
  return fresh ? r : 0;
}

static int epoll_ready_count(struct vm *vm, int ep_ofd, int depth) {
  struct net_vm *nv = net_state(vm);
  int n = 0;
  for (int k = 0; k < nv->ep.n; k++) {
    struct net_epi *e = &nv->ep.e[k];
    if (e->ep_ofd != ep_ofd || !e->events) continue;
    short r = net_fd_ready(vm, e->fd, (short)(e->events & 0xffff), depth);
    r = epoll_et(vm, e, r, 0);
    n += r != 0;
  }
  return n;
}

static void ep_on_close(struct vm *vm, struct fd_ofd *o) {
  struct net_vm *nv = net_state(vm);
  int ep = (int)(o - fdt_get(vm)->ofd);
  for (int k = 0; k < nv->ep.n; k++)
    if (nv->ep.e[k].ep_ofd == ep) nv->ep.e[k].ep_ofd = -1;
  nv->ep.generation++;
}

static long ep_read(struct vm *vm, int gfd, struct fd_ofd *o, uint64_t buf, uint64_t len) {
  (void)vm; (void)gfd; (void)o; (void)buf; (void)len;
  return -EINVAL;
}

static const struct fd_kind_ops g_epoll_ops = {
    .name = "epoll", .fork_policy = FDT_FORK_SHARE, .read = ep_read, .write = ep_read, .on_close = ep_on_close};

static long sys_epoll_create1(struct vm *vm, const uint64_t a[6]) {
  if (a[0] & ~(uint64_t)G_EPOLL_CLOEXEC) return -EINVAL;
  return fdt_install(vm, -1, FDK_EPOLL, O_RDWR, (a[0] & G_EPOLL_CLOEXEC) != 0, 0);
}

static long sys_epoll_create(struct vm *vm, const uint64_t a[6]) {
  if ((int)a[0] <= 0) return -EINVAL;
  return fdt_install(vm, -1, FDK_EPOLL, O_RDWR, 0, 0);
}

static struct fd_ofd *epoll_of(struct vm *vm, int gfd, long *err) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) { *err = -EBADF; return NULL; }
  if (o->kind != FDK_EPOLL) { *err = -EINVAL; return NULL; }
  return o;
}

long net_epoll_ctl_op(struct vm *vm, int epfd, int op, int fd, uint32_t events, uint64_t data) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = epoll_of(vm, epfd, &err);
  if (!o) return err;
  if (!fdt_lookup(vm, fd)) return -EBADF;
  if (fd == epfd) return -EINVAL;
  int ep = (int)(o - fdt_get(vm)->ofd);
  int found = -1, freeslot = -1;
  for (int k = 0; k < NET_EPI_MAX; k++) {
    struct net_epi *e = &nv->ep.e[k];
    if (e->ep_ofd == ep && e->fd == fd && k < nv->ep.n) { found = k; break; }
    if (e->ep_ofd < 0 && freeslot < 0) freeslot = k;
  }
  switch (op) {
  case EPOLL_CTL_ADD:
    if (found >= 0) return -EEXIST;
    if (freeslot < 0) return -ENOSPC;
    nv->ep.e[freeslot] = (struct net_epi){.ep_ofd = ep, .fd = fd, .events = events | EPOLLERR | EPOLLHUP, .data = data};
    if (freeslot >= nv->ep.n) nv->ep.n = freeslot + 1;
    break;
  case EPOLL_CTL_MOD:
    if (found < 0) return -ENOENT;
    nv->ep.e[found].events = events | EPOLLERR | EPOLLHUP;
    nv->ep.e[found].data = data;
    nv->ep.e[found].et_seen = 0; /* re-armed: current readiness is an edge again */
    break;
  case EPOLL_CTL_DEL:
    if (found < 0) return -ENOENT;
    nv->ep.e[found].ep_ofd = -1;
    break;
  default:
    return -EINVAL;
  }
  nv->ep.generation++;
  return 0;
}

int net_epoll_has(struct vm *vm, int epfd, int fd) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = epfd >= 0 ? epoll_of(vm, epfd, &err) : NULL;
  if (!o || !nv || fd == epfd) return -1;
  int ep = (int)(o - fdt_get(vm)->ofd), freeslot = 0;
  for (int k = 0; k < NET_EPI_MAX; k++) {
    struct net_epi *e = &nv->ep.e[k];
    if (e->ep_ofd == ep && e->fd == fd && k < nv->ep.n) return 1;
    if (e->ep_ofd < 0) freeslot = 1;
  }
  return freeslot ? 0 : -1;
}

static long sys_epoll_ctl(struct vm *vm, const uint64_t a[6]) {
  long err;
  if (!epoll_of(vm, (int)a[0], &err)) return err;
  int op = (int)a[1], fd = (int)a[2];
  if (!fdt_lookup(vm, fd)) return -EBADF;
  if (fd == (int)a[0]) return -EINVAL;
  struct { uint32_t events; uint64_t data; } __attribute__((packed)) ev = {0, 0};
  if (op != EPOLL_CTL_DEL && gm_read(vm, a[3], &ev, sizeof(ev))) return -EFAULT;
  long r = net_epoll_ctl_op(vm, (int)a[0], op, fd, ev.events, ev.data);
  struct fd_ofd *f = fdt_lookup(vm, fd);
  if (r == 0 && op == EPOLL_CTL_ADD && f->kind == FDK_SOCKET && (f->data & SF_CONN))
    net_state(vm)->ep_lgfd = (int)a[0]; /* lets the stub answer the next connection's ADD/DEL */
  return r;
}

static long do_epoll_wait(struct vm *vm, uint64_t nr, const uint64_t a[6], int64_t timeout_ns) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = epoll_of(vm, (int)a[0], &err);
  if (!o) return err;
  int maxev = (int)a[2];
  if (maxev <= 0 || maxev > 65536) return -EINVAL;
  struct rset *s = malloc(sizeof(*s));
  if (!s) return -ENOMEM;
  s->n = 1;
  s->fd[0] = (int)a[0];
  s->ev[0] = POLLIN;
  int n = rset_wait(vm, s, timeout_ns, nr, a);
  free(s);
  if (n < 0) return -EINTR;
  if (n == 0) return 0;
  int ep = (int)(o - fdt_get(vm)->ofd), out = 0;
  for (int k = 0; k < nv->ep.n && out < maxev; k++) {
    struct net_epi *e = &nv->ep.e[k];
    if (e->ep_ofd != ep || !e->events) continue;
    short r = net_fd_ready(vm, e->fd, (short)(e->events & 0xffff), 1);
    r = epoll_et(vm, e, r, 1);
    if (!r) continue;
    struct { uint32_t events; uint64_t data; } __attribute__((packed)) ev = {(uint32_t)(uint16_t)r, e->data};
    if (gm_write(vm, a[1] + (uint64_t)out * sizeof(ev), &ev, sizeof(ev))) return out ? out : -EFAULT;
    if (e->events & EPOLLONESHOT) { e->events = 0; nv->ep.generation++; }
    out++;
  }
  return out;
}

static long sys_epoll_wait(struct vm *vm, const uint64_t a[6]) {
  int ms = (int)a[3];
  return do_epoll_wait(vm, 232, a, ms < 0 ? -1 : (int64_t)ms * 1000000LL);
}
static long sys_epoll_pwait(struct vm *vm, const uint64_t a[6]) {
  int ms = (int)a[3];
  return do_epoll_wait(vm, 281, a, ms < 0 ? -1 : (int64_t)ms * 1000000LL);
}
static long sys_epoll_pwait2(struct vm *vm, const uint64_t a[6]) {
  int err;
  int64_t t = ts_to_ns(vm, a[3], &err);
  return err ? err : do_epoll_wait(vm, 441, a, t);
}

long net_ready_call(struct vm *vm, uint64_t nr, const uint64_t a[6]) {
  switch (nr) {
  case 7: return sys_poll(vm, a);
  case 271: return sys_ppoll(vm, a);
  case 23: return sys_select(vm, a);
  case 270: return sys_pselect6(vm, a);
  case 232: return sys_epoll_wait(vm, a);
  case 281: return sys_epoll_pwait(vm, a);
  case 441: return sys_epoll_pwait2(vm, a);
  default: return -EINTR;
  }
}

long net_redo(struct vm *vm, uint64_t nr, const uint64_t a[6]) {
  if (nr == 43 || nr == 288) return net_accept_call(vm, a, nr == 288 ? (int)a[3] : 0);
  return net_ready_call(vm, nr, a);
}

/* the waits (poll, ppoll, select, pselect6, epoll_wait/pwait/pwait2) are registered by the
 * threads family (sys_thread.c), which lets other guest threads run and calls net_ready_call */
SYS_FAMILY(readiness) {
  fdt_register_kind(FDK_EPOLL, &g_epoll_ops);
  sys_register(213, "epoll_create", sys_epoll_create);
  sys_register(291, "epoll_create1", sys_epoll_create1);
  sys_register(233, "epoll_ctl", sys_epoll_ctl);
}
