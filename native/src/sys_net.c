/* Sockets family and network policy (see net.h for the model). Only AF_INET/AF_INET6 stream
 * sockets exist; the guest may bind only the granted address and never connect out. */
#include "net.h"
#include "fdtable.h"
#include "syscall.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <unistd.h>

#define G_SOCK_NONBLOCK 04000
#define G_SOCK_CLOEXEC 02000000
#define G_O_NONBLOCK 04000

static struct net_policy g_pol;
static int g_slot = -1;
static atomic_int g_logged_listen, g_logged_connect, g_logged_family;

void net_policy_set(const struct net_policy *p) { g_pol = *p; }
const struct net_policy *net_policy(void) { return &g_pol; }

int net_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errcap) {
  char host[128];
  const char *colon;
  memset(ss, 0, sizeof(*ss));
  if (s[0] == '[') {
    const char *rb = strchr(s, ']');
    if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host)) goto bad;
    memcpy(host, s + 1, rb - s - 1);
    host[rb - s - 1] = 0;
    colon = rb + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof(host)) goto bad;
    memcpy(host, s, colon - s);
    host[colon - s] = 0;
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || colon[1] == 0 || port < 1 || port > 65535) {
    snprintf(err, errcap, "bad port in '%s' (1..65535)", s);
    return -1;
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof(*a4);
    return 0;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof(*a6);
    return 0;
  }
bad:
  snprintf(err, errcap, "'%s' is not HOST:PORT with a numeric IPv4 or [IPv6] host", s);
  return -1;
}

struct net_vm *net_state(struct vm *vm) { return g_slot < 0 ? NULL : vm->ext[g_slot]; }

static void refuse_log(atomic_int *flag, const char *what) {
  if (g_pol.verbose && atomic_exchange(flag, 1) == 0) fprintf(stderr, "isobench: refused (first time): %s\n", what);
}

/* ---- per-VM state hooks ---- */

static struct net_vm *nv_new(void) {
  struct net_vm *nv = calloc(1, sizeof(*nv));
  if (!nv) return NULL;
  nv->listen_fd = nv->pending_fd = nv->conn_fd = -1;
  nv->preacc_gfd = nv->preacc_hfd = -1;
  nv->ep_lgfd = -1;
  for (int i = 0; i < NET_EPI_MAX; i++) nv->ep.e[i].ep_ofd = -1;
  nv->ep_base = nv->ep;
  return nv;
}

static void on_create(struct vm *vm) {
  struct net_vm *nv = nv_new();
  if (nv) nv->warm_left = g_pol.warmup;
  vm->ext[g_slot] = nv;
}

static void on_fork(struct vm *child, struct vm *master) {
  struct net_vm *m = net_state(master), *nv = nv_new();
  if (!nv || !m) { free(nv); return; }
  nv->listen_fd = m->listen_fd;
  nv->ep = m->ep;
  nv->ep_base = m->ep;
  nv->frozen_nr = m->frozen_nr;
  nv->acc_known = m->acc_known; /* how the guest accepted during warm-up: lets the first request pre-accept */
  nv->acc_lgfd = m->acc_lgfd;
  nv->acc_flags = m->acc_flags;
  nv->ep_lgfd = m->ep_lgfd;
  memcpy(nv->frozen_args, m->frozen_args, sizeof(nv->frozen_args));
  child->ext[g_slot] = nv;
}

static void drop_conn(struct net_vm *nv) {
  /* the host fds themselves belong to the fd table (conn) or are closed here (never taken) */
  if (nv->pending_fd >= 0) close(nv->pending_fd);
  nv->pending_fd = nv->conn_fd = -1;
  nv->pre_len = nv->pre_off = nv->out_len = nv->pre_pub = 0;
  nv->preacc_gfd = nv->preacc_hfd = -1; /* the fd table's rollback closes the installed dup */
  nv->conn_done = nv->conn_err = 0;
  nv->sent = 0;
}

static void on_reset(struct vm *vm, int full) {
  (void)full;
  struct net_vm *nv = net_state(vm);
  if (!nv) return;
  drop_conn(nv);
  if (nv->ep.generation != nv->ep_base.generation) nv->ep = nv->ep_base;
}

static void join_warm(struct net_vm *nv) {
  if (nv->warm_thread_live) pthread_join((pthread_t)nv->warm_thread, NULL);
  nv->warm_thread_live = 0;
}

static void on_destroy(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  if (!nv) return;
  join_warm(nv);
  drop_conn(nv);
  free(nv);
  vm->ext[g_slot] = NULL;
}

int net_listen_fd(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  return nv ? nv->listen_fd : -1;
}

void net_get_stats(struct vm *vm, struct net_stats *out) {
  struct net_vm *nv = net_state(vm);
  if (nv) *out = nv->st;
  else memset(out, 0, sizeof(*out));
}

void net_clear_stats(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  if (nv) memset(&nv->st, 0, sizeof(nv->st));
}

uint64_t net_request_bytes_sent(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  return nv ? nv->sent : 0;
}

/* ---- host waits, bounded by the run's deadline ---- */

int net_host_wait(struct vm *vm, const int *host_fds, int n, short events, int64_t timeout_ns) {
  struct pollfd pf[16];
  if (n > 16) n = 16;
  uint64_t now = now_ns();
  uint64_t end = timeout_ns >= 0 ? now + (uint64_t)timeout_ns : UINT64_MAX;
  for (;;) {
    now = now_ns();
    if (vm->deadline_ns && now >= vm->deadline_ns) {
      vm->ctr.limit_hits[LIM_TIME]++;
      vm_stop(vm, STOP_LIMIT_TIME, "time limit exceeded while the guest waited");
      return -1;
    }
    if (now >= end) return 0;
    uint64_t until = end;
    if (vm->deadline_ns && vm->deadline_ns < until) until = vm->deadline_ns;
    int ms = until == UINT64_MAX ? -1 : (int)((until - now + 999999) / 1000000);
    for (int i = 0; i < n; i++) pf[i] = (struct pollfd){.fd = host_fds[i], .events = events};
    int rc = poll(pf, (nfds_t)n, ms);
    if (rc > 0) return 1;
    if (rc < 0 && errno != EINTR) return 0;
  }
}

/* ---- the current connection ---- */

/* tells the stub which guest fd is the current connection (0 = none: every sendto exits) */
static void publish_conn_gfd(struct vm *vm, int gfd) {
  if (!vm->is_worker) return;
  uint64_t v = gfd >= 0 ? (uint64_t)gfd + 1 : 0, cur;
  memcpy(&cur, vm->mem + L_DATA + D_CONN_FD1, 8);
  if (cur == v) return;
  memcpy(vm->mem + L_DATA + D_CONN_FD1, &v, 8);
  gm_mark_dirty(vm, L_DATA + D_CONN_FD1, 8);
}

static uint64_t low_get(const struct vm *vm, uint64_t gpa) {
  uint64_t v;
  memcpy(&v, vm->mem + gpa, 8);
  return v;
}

static void low_put(struct vm *vm, uint64_t gpa, uint64_t v) {
  if (low_get(vm, gpa) == v) return;
  memcpy(vm->mem + gpa, &v, 8);
  gm_mark_dirty(vm, gpa, 8);
}

/* lets the stub answer recvfrom on gfd from the prefetched bytes (-1: withdraw). The bytes go to
 * the read-only data page; only the consumed offset lives on the guest-writable scratch page. */
static void publish_recv(struct vm *vm, struct net_vm *nv, int gfd) {
  if (!vm->is_worker) return;
  size_t n = nv->pre_len < D_PRE_CAP ? nv->pre_len : D_PRE_CAP;
  if (gfd < 0 || n == 0 || nv->pre_off >= n) {
    low_put(vm, L_DATA + D_RECV_FD1, 0);
    nv->pre_pub = 0;
    return;
  }
  memcpy(vm->mem + L_DATA + D_PRE_DATA, nv->pre, n);
  gm_mark_dirty(vm, L_DATA + D_PRE_DATA, n);
  low_put(vm, L_DATA + D_PRE_LEN, n);
  low_put(vm, L_SCRATCH + SC_PRE_OFF, nv->pre_off);
  low_put(vm, L_DATA + D_RECV_FD1, (uint64_t)gfd + 1);
  nv->pre_pub = n;
}

/* lets the stub answer getsockname and getpeername on gfd from the cached local and peer
 * addresses (-1: withdraw) */
static void publish_name(struct vm *vm, struct net_vm *nv, int gfd) {
  if (!vm->is_worker) return;
  if (gfd < 0 || nv->local_len == 0 || nv->local_len > 32 || nv->peer_len > 32) {
    low_put(vm, L_DATA + D_NAME_FD1, 0);
    return;
  }
  memcpy(vm->mem + L_DATA + D_NAME, &nv->local, nv->local_len);
  gm_mark_dirty(vm, L_DATA + D_NAME, nv->local_len);
  low_put(vm, L_DATA + D_NAME_LEN, nv->local_len);
  memcpy(vm->mem + L_DATA + D_PEER, &nv->peer, nv->peer_len);
  gm_mark_dirty(vm, L_DATA + D_PEER, 32);
  low_put(vm, L_DATA + D_PEER_LEN, nv->peer_len);
  low_put(vm, L_DATA + D_NAME_FD1, (uint64_t)gfd + 1);
}

/* lets the stub answer epoll_ctl ADD/DEL of connection gfd on the learned epoll fd (-1: withdraw) */
static void publish_ep(struct vm *vm, struct net_vm *nv, int gfd) {
  if (!vm->is_worker) return;
  int has = gfd >= 0 && nv && nv->ep_lgfd >= 0 ? net_epoll_has(vm, nv->ep_lgfd, gfd) : -1;
  if (has < 0) {
    low_put(vm, L_DATA + D_EP_FD1, 0);
    return;
  }
  low_put(vm, L_DATA + D_EP_IN, (uint64_t)has);
  low_put(vm, L_DATA + D_EP_FD1, (uint64_t)nv->ep_lgfd + 1);
}

static void unpublish_all(struct vm *vm, struct net_vm *nv) {
  publish_ep(vm, nv, -1);
  publish_conn_gfd(vm, -1);
  low_put(vm, L_DATA + D_AGAIN_LFD1, 0);
  if (nv) publish_recv(vm, nv, -1);
  if (nv) publish_name(vm, nv, -1);
}

/* the host consumed prefetched bytes itself: tell the stub */
static void pre_off_to_guest(struct vm *vm, struct net_vm *nv) {
  if (nv->pre_pub) low_put(vm, L_SCRATCH + SC_PRE_OFF, nv->pre_off);
}

void net_drain_guest_sends(struct vm *vm) {
  uint64_t len, zero = 0;
  memcpy(&len, vm->mem + L_SCRATCH + SC_SEND_LEN, 8);
  if (!len) return;
  memcpy(vm->mem + L_SCRATCH + SC_SEND_LEN, &zero, 8);
  gm_mark_dirty(vm, L_SCRATCH + SC_SEND_LEN, 8);
  struct net_vm *nv = net_state(vm);
  if (!nv || len > SC_SEND_CAP || nv->conn_fd < 0 || nv->conn_err) return; /* corrupted by the guest: dropped */
  if (nv->out_len + len > NET_OUT_MAX && net_flush(vm) < 0) return;
  memcpy(nv->out + nv->out_len, vm->mem + L_SCRATCH + SC_SEND_DATA, len);
  nv->out_len += len;
  nv->st.guest_send_drains++;
  nv->st.bytes_out += len;
}

static int is_conn(struct net_vm *nv, const struct fd_ofd *o) {
  return nv && o->kind == FDK_SOCKET && (o->data & SF_CONN) && o->host_fd >= 0 && o->host_fd == nv->conn_fd;
}

int net_flush(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  if (!nv || nv->conn_fd < 0 || nv->out_len == 0) return 0;
  size_t off = 0;
  nv->st.flushes++;
  while (off < nv->out_len) {
    ssize_t k = send(nv->conn_fd, nv->out + off, nv->out_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k > 0) { off += (size_t)k; nv->sent += (uint64_t)k; continue; }
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && errno == EAGAIN) {
      if (net_host_wait(vm, &nv->conn_fd, 1, POLLOUT, -1) < 0) break;
      continue;
    }
    nv->conn_err = k < 0 ? errno : EPIPE;
    publish_conn_gfd(vm, -1);
    break;
  }
  nv->out_len = 0;
  return nv->conn_err ? -nv->conn_err : 0;
}

static long conn_send(struct vm *vm, struct fd_ofd *o, uint64_t buf, uint64_t len, int flags) {
  struct net_vm *nv = net_state(vm);
  (void)flags;
  if (o->data & SF_SHUT_WR) return -EPIPE;
  if (len == 0) return 0;
  const uint8_t *p = gm_read_ptr(vm, buf, len);
  if (!p) return -EFAULT;
  nv->st.sends++;
  nv->st.bytes_out += len;
  if (!is_conn(nv, o)) { /* a connection from an earlier request (persist): straight to the host */
    ssize_t k = send(o->host_fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    return k < 0 ? -errno : k;
  }
  if (nv->conn_err) return -nv->conn_err;
  if (nv->out_len + len > NET_OUT_MAX && net_flush(vm) < 0) return -nv->conn_err;
  if (vm->stop != STOP_NONE) return -EINTR;
  if (len <= NET_OUT_MAX) {
    memcpy(nv->out + nv->out_len, p, len);
    nv->out_len += len;
    nv->st.sends_buffered++;
    return (long)len;
  }
  uint64_t off = 0;
  while (off < len) {
    ssize_t k = send(nv->conn_fd, p + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k > 0) { off += (uint64_t)k; nv->sent += (uint64_t)k; continue; }
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && errno == EAGAIN) {
      if (net_host_wait(vm, &nv->conn_fd, 1, POLLOUT, -1) < 0) break;
      continue;
    }
    if (off) break;
    return k < 0 ? -errno : -EPIPE;
  }
  return (long)off;
}

static long conn_recv(struct vm *vm, struct fd_ofd *o, uint64_t buf, uint64_t len, int flags) {
  struct net_vm *nv = net_state(vm);
  if (o->host_fd < 0) return -ENOTCONN;
  if (o->data & SF_SHUT_RD) return 0;
  if (len == 0) return 0;
  if (is_conn(nv, o)) {
    if (net_flush(vm) < 0 && vm->stop != STOP_NONE) return -EINTR;
    if (nv->pre_off < nv->pre_len) {
      size_t n = nv->pre_len - nv->pre_off;
      if (n > len) n = len;
      if (gm_write(vm, buf, nv->pre + nv->pre_off, n)) return -EFAULT;
      if (!(flags & MSG_PEEK)) { nv->pre_off += n; pre_off_to_guest(vm, nv); }
      nv->st.recv_from_prefetch++;
      nv->st.bytes_in += n;
      return (long)n;
    }
  }
  void *dst = gm_write_ptr(vm, buf, len);
  if (!dst) return -EFAULT;
  int nonblock = (o->status & G_O_NONBLOCK) || (flags & MSG_DONTWAIT);
  for (;;) {
    ssize_t k = recv(o->host_fd, dst, len, MSG_DONTWAIT | (flags & (MSG_PEEK | MSG_WAITALL | MSG_TRUNC)));
    if (k >= 0) { nv->st.recv_host++; nv->st.bytes_in += (uint64_t)k; return k; }
    if (errno == EINTR) continue;
    if (errno != EAGAIN || nonblock) return -errno;
    int w = net_host_wait(vm, &o->host_fd, 1, POLLIN, -1);
    if (w < 0) return -EINTR;
  }
}

static long sock_read(struct vm *vm, int gfd, struct fd_ofd *o, uint64_t buf, uint64_t len) {
  (void)gfd;
  if (o->kind == FDK_LISTEN) return -ENOTCONN;
  return conn_recv(vm, o, buf, len, 0);
}

static long sock_write(struct vm *vm, int gfd, struct fd_ofd *o, uint64_t buf, uint64_t len) {
  (void)gfd;
  if (o->kind == FDK_LISTEN || o->host_fd < 0) return -ENOTCONN;
  return conn_send(vm, o, buf, len, 0);
}

static void sock_on_close(struct vm *vm, struct fd_ofd *o) {
  struct net_vm *nv = net_state(vm);
  if (is_conn(nv, o)) {
    net_drain_guest_sends(vm);
    net_flush(vm);
    nv->conn_done = 1;
    nv->conn_fd = -1;
    unpublish_all(vm, nv);
    /* under a reset mode, whatever the guest does after closing its connection is discarded by
     * the reset: end the run here instead of running the guest to its next wait */
    if (g_pol.end_at_close && vm->is_worker && vm->req.in_delivered && vm->stop == STOP_NONE) {
      nv->st.ended_at_close++;
      vm_stop(vm, STOP_BLOCKED, "the guest closed its connection");
    }
  }
  if (o->kind == FDK_LISTEN && nv && o->host_fd == nv->listen_fd && !vm->is_worker) nv->listen_fd = -1;
}

static const struct fd_kind_ops g_sock_ops = {
    .name = "socket", .fork_policy = FDT_FORK_SHARE, .read = sock_read, .write = sock_write, .on_close = sock_on_close};
static const struct fd_kind_ops g_listen_ops = {
    .name = "listening socket", .fork_policy = FDT_FORK_SHARE, .read = sock_read, .write = sock_write, .on_close = sock_on_close};

/* ---- hand-over from the server ---- */

static void prefetch(struct net_vm *nv, int fd, int wait_ms) {
  nv->pre_len = nv->pre_off = 0;
  ssize_t k = recv(fd, nv->pre, NET_PRE_MAX, MSG_DONTWAIT);
  if (k < 0 && errno == EAGAIN && wait_ms > 0) {
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, wait_ms) > 0) k = recv(fd, nv->pre, NET_PRE_MAX, MSG_DONTWAIT);
  }
  if (k > 0) { nv->pre_len = (size_t)k; nv->st.prefetched_bytes += (uint64_t)k; }
}

static void set_pending(struct net_vm *nv, int conn_fd, const struct sockaddr *peer, socklen_t peer_len, int wait_ms) {
  if (nv->pending_fd >= 0) close(nv->pending_fd);
  nv->pending_fd = conn_fd;
  memset(&nv->pending_peer, 0, sizeof(nv->pending_peer));
  if (peer_len > sizeof(nv->pending_peer)) peer_len = sizeof(nv->pending_peer);
  if (peer) memcpy(&nv->pending_peer, peer, peer_len);
  nv->pending_peer_len = peer ? peer_len : 0;
  nv->local_len = sizeof(nv->local);
  if (getsockname(conn_fd, (struct sockaddr *)&nv->local, &nv->local_len) < 0) nv->local_len = 0;
  prefetch(nv, conn_fd, wait_ms);
}

void net_give_conn(struct vm *vm, int conn_fd, const struct sockaddr *peer, socklen_t peer_len, int wait_ms) {
  struct net_vm *nv = net_state(vm);
  if (!nv) { close(conn_fd); return; }
  low_put(vm, L_DATA + D_AGAIN_LFD1, 0); /* an accept would now get this connection */
  set_pending(nv, conn_fd, peer, peer_len, wait_ms);
}

static void preaccept(struct vm *vm, struct net_vm *nv);

/* after the resumed wait reported the listener ready: the guest's next call is usually its accept */
static void after_resumed_wait(struct vm *vm, struct net_vm *nv, uint64_t nr, long r) {
  if (r > 0 && nr != 43 && nr != 288) preaccept(vm, nv); /* (vm->stop still holds the last run's reason here) */
}

static long resume_parked(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  long r = net_redo(vm, nv->parked_nr, vm->blocked_args);
  after_resumed_wait(vm, nv, nv->parked_nr, r);
  return r;
}

static long resume_frozen(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  long r = net_redo(vm, nv->frozen_nr, nv->frozen_args);
  after_resumed_wait(vm, nv, nv->frozen_nr, r);
  /* the worker re-enters through the stub's resume trampoline, which loads rax from here */
  memcpy(vm->mem + L_DATA + D_RESUME_RAX, &r, 8);
  gm_mark_dirty(vm, L_DATA + D_RESUME_RAX, 8);
  return r;
}

void net_arm_frozen(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  if (!nv || vm->resume || !nv->frozen_nr) return;
  vm->resume = resume_frozen;
}

int net_end_request(struct vm *vm, int failed, const char *status_line) {
  struct net_vm *nv = net_state(vm);
  if (!nv) return 0;
  net_guest_sync(vm);
  unpublish_all(vm, nv);
  int fd = nv->conn_fd >= 0 ? nv->conn_fd : nv->pending_fd;
  if (fd < 0) return 0;
  if (!failed) {
    net_flush(vm);
  } else {
    nv->out_len = 0;
    if (nv->sent == 0 && status_line) {
      char msg[256];
      int n = snprintf(msg, sizeof(msg), "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                       status_line, strlen(status_line) + 1, status_line);
      ssize_t k = send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)k;
    }
  }
  shutdown(fd, SHUT_RDWR);
  if (fd == nv->pending_fd) { close(fd); nv->pending_fd = -1; }
  nv->conn_fd = -1; /* still in the fd table until the reset (or the guest's close) */
  nv->out_len = nv->pre_len = nv->pre_off = nv->pre_pub = 0;
  return 1;
}

/* ---- warm-up client (master) ---- */

static int addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* Connects the warm-up client from the calling thread, so the master knows its address before it
 * accepts: other clients (a harness polling for readiness) may connect during warm-up, and a
 * warm-up request must not be answered with theirs, nor theirs be frozen into the master. */
static int warm_connect(struct sockaddr_storage *local, socklen_t *local_len) {
  int fd = socket(g_pol.listen.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval tv = {.tv_sec = 30};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  *local_len = sizeof(*local);
  if (connect(fd, (const struct sockaddr *)&g_pol.listen, g_pol.listen_len) < 0 ||
      getsockname(fd, (struct sockaddr *)local, local_len) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void *warm_client(void *arg) {
  int fd = (int)(intptr_t)arg;
  {
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: warmup\r\nUser-Agent: isobench-warmup\r\n\r\n",
                     g_pol.warmup_path[0] ? g_pol.warmup_path : "/");
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
      char buf[4096];
      while (recv(fd, buf, sizeof(buf), 0) > 0) {}
    }
  }
  close(fd);
  return NULL;
}

int net_park(struct vm *vm, uint64_t nr, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  net_flush(vm);
  if (!vm->is_worker) {
    join_warm(nv);
    if (nv->warm_left > 0 && nv->listen_fd >= 0) {
      pthread_t t;
      struct sockaddr_storage local;
      socklen_t ll;
      int cfd = warm_connect(&local, &ll);
      if (cfd >= 0 && pthread_create(&t, NULL, warm_client, (void *)(intptr_t)cfd) != 0) { close(cfd); cfd = -1; }
      if (cfd >= 0) {
        nv->warm_thread = (unsigned long)t;
        nv->warm_thread_live = 1;
        nv->warm_left--;
        for (;;) {
          if (net_host_wait(vm, &nv->listen_fd, 1, POLLIN, -1) < 0) return 0;
          struct sockaddr_storage peer;
          socklen_t pl = sizeof(peer);
          int c = accept4(nv->listen_fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) continue;
            break;
          }
          if (!addr_equal(&peer, &local)) { close(c); continue; } /* not ours: refused during warm-up */
          set_pending(nv, c, (struct sockaddr *)&peer, pl, 1000);
          nv->st.warmups++;
          return 1;
        }
      }
    }
    nv->frozen_nr = nr;
    memcpy(nv->frozen_args, a, sizeof(nv->frozen_args));
    vm_stop(vm, STOP_READY, "waiting on the listening socket");
    return 0;
  }
  nv->st.parks++;
  nv->parked_nr = nr;
  memcpy(vm->blocked_args, a, sizeof(vm->blocked_args));
  vm->resume = resume_parked;
  vm_stop(vm, STOP_BLOCKED, "waiting on the listening socket");
  return 0;
}

/* ---- socket calls ---- */

static struct fd_ofd *sock_of(struct vm *vm, int gfd, long *err) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) { *err = -EBADF; return NULL; }
  if (o->kind != FDK_SOCKET && o->kind != FDK_LISTEN) { *err = -ENOTSOCK; return NULL; }
  return o;
}

static long sys_socket(struct vm *vm, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  int domain = (int)a[0], type = (int)a[1] & 0xf, proto = (int)a[2];
  if (((int)a[1] & ~(0xf | G_SOCK_NONBLOCK | G_SOCK_CLOEXEC)) != 0) return -EINVAL;
  if (domain != AF_INET && domain != AF_INET6) {
    nv->st.refused_family++;
    refuse_log(&g_logged_family, "socket family other than AF_INET/AF_INET6");
    return -EACCES;
  }
  if (type != SOCK_STREAM || (proto != 0 && proto != IPPROTO_TCP)) {
    nv->st.refused_family++;
    refuse_log(&g_logged_family, "socket type other than TCP stream");
    return -EACCES;
  }
  int gfd = fdt_install(vm, -1, FDK_SOCKET, O_RDWR | (((int)a[1] & G_SOCK_NONBLOCK) ? G_O_NONBLOCK : 0),
                        ((int)a[1] & G_SOCK_CLOEXEC) != 0, 0);
  if (gfd < 0) return gfd;
  fdt_lookup(vm, gfd)->data = domain == AF_INET6 ? SF_INET6 : 0;
  return gfd;
}

static int addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static long read_sockaddr(struct vm *vm, uint64_t addr, uint64_t len, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (len < sizeof(sa_family_t) || len > sizeof(*ss)) return -EINVAL;
  if (gm_read(vm, addr, ss, len)) return -EFAULT;
  if (ss->ss_family == AF_INET && len < sizeof(struct sockaddr_in)) return -EINVAL;
  if (ss->ss_family == AF_INET6 && len < sizeof(struct sockaddr_in6)) return -EINVAL;
  return 0;
}

/* writes addr (truncated to the guest's *lenp) and the real length, as the kernel does */
static long write_sockaddr(struct vm *vm, uint64_t addr, uint64_t lenp, const void *sa, socklen_t sl) {
  if (!addr || !lenp) return 0;
  uint32_t cap;
  if (gm_read(vm, lenp, &cap, 4)) return -EFAULT;
  if ((int32_t)cap < 0) return -EINVAL;
  uint32_t n = cap < sl ? cap : sl;
  if (n && gm_write(vm, addr, sa, n)) return -EFAULT;
  uint32_t real = sl;
  return gm_write(vm, lenp, &real, 4) ? -EFAULT : 0;
}

static long sys_bind(struct vm *vm, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  struct sockaddr_storage ss;
  long r = read_sockaddr(vm, a[1], a[2], &ss);
  if (r) return r;
  int want = (o->data & SF_INET6) ? AF_INET6 : AF_INET;
  if (ss.ss_family != want) return -EAFNOSUPPORT;
  if (o->host_fd >= 0 || o->kind == FDK_LISTEN) return -EINVAL;
  if (!g_pol.has_listen || !addr_equal(&ss, &g_pol.listen)) {
    nv->st.refused_listen++;
    refuse_log(&g_logged_listen, "bind to an address other than the granted --listen");
    return -EACCES;
  }
  int hfd = socket(want, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (hfd < 0) return -errno;
  int one = 1;
  setsockopt(hfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (want == AF_INET6 && (o->data & SF_V6ONLY)) setsockopt(hfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(hfd, (struct sockaddr *)&ss, (socklen_t)a[2]) < 0) {
    int e = errno;
    close(hfd);
    return -e;
  }
  o->host_fd = hfd;
  o->data |= SF_BOUND;
  fdt_touch(vm);
  return 0;
}

static long sys_listen(struct vm *vm, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  if (o->kind == FDK_LISTEN) return 0;
  if (!(o->data & SF_BOUND)) {
    /* listen() on an unbound socket would pick an ephemeral port: not the granted address */
    nv->st.refused_listen++;
    refuse_log(&g_logged_listen, "listen on an unbound socket (ephemeral port)");
    return -EACCES;
  }
  int backlog = (int)a[1];
  if (backlog < 1) backlog = 1;
  if (backlog > 4096) backlog = 4096;
  if (listen(o->host_fd, backlog) < 0) return -errno;
  o->kind = FDK_LISTEN;
  nv->listen_fd = o->host_fd;
  fdt_touch(vm);
  return 0;
}

static int install_conn(struct vm *vm, const struct fd_ofd *listener, int hfd, int flags) {
  int gfd = fdt_install(vm, hfd, FDK_SOCKET, O_RDWR | ((flags & G_SOCK_NONBLOCK) ? G_O_NONBLOCK : 0),
                        (flags & G_SOCK_CLOEXEC) != 0, 0);
  if (gfd >= 0) fdt_lookup(vm, gfd)->data = SF_CONN | ((listener->data & SF_INET6) ? SF_INET6 : 0);
  return gfd;
}

/* the guest took this run's connection (host fd hfd, already in its fd table) */
static void take_conn(struct vm *vm, struct net_vm *nv, int hfd) {
  nv->conn_fd = hfd;
  nv->conn_done = nv->conn_err = 0;
  nv->sent = 0;
  nv->out_len = 0;
  nv->peer = nv->pending_peer;
  nv->peer_len = nv->pending_peer_len;
  nv->st.accepts++;
  vm->req.in_delivered = 1;
}

long net_accept_call(struct vm *vm, const uint64_t a[6], int flags) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  if (o->kind != FDK_LISTEN) return -EINVAL;
  if (flags & ~(G_SOCK_NONBLOCK | G_SOCK_CLOEXEC)) return -EINVAL;
  if (nv->pending_fd < 0 || o->host_fd != nv->listen_fd) {
    if (o->status & G_O_NONBLOCK) return -EAGAIN;
    uint64_t args[6] = {a[0], a[1], a[2], (uint64_t)flags, 0, 0};
    if (net_park(vm, 288, args) == 0) return -EINTR; /* stopped: the value is not used */
    if (nv->pending_fd < 0) return -EAGAIN;
  }
  int hfd = nv->pending_fd;
  nv->pending_fd = -1;
  int gfd = install_conn(vm, o, hfd, flags);
  if (gfd < 0) { nv->pre_len = nv->pre_off = 0; return gfd; }
  take_conn(vm, nv, hfd);
  nv->acc_known = 1;
  nv->acc_lgfd = (int)a[0];
  nv->acc_flags = flags;
  low_put(vm, L_SCRATCH + SC_PREACC, 0);
  publish_conn_gfd(vm, gfd);
  publish_recv(vm, nv, gfd);
  publish_name(vm, nv, gfd);
  publish_ep(vm, nv, gfd);
  long r = write_sockaddr(vm, a[1], a[2], &nv->peer, nv->peer_len);
  return r ? r : gfd;
}

/* ---- accept at resume ---- */

/* Installs the handed-over connection ahead of the guest's accept, at the fd number that accept
 * would give (nothing can change the fd table before the guest's next exit), when the guest has
 * accepted on this listener before and so its flags are known. The stub answers the accept; at the
 * next exit net_guest_sync keeps it (taken) or uninstalls it (any other call came first). */
static void preaccept(struct vm *vm, struct net_vm *nv) {
  if (!vm->is_worker || !nv->acc_known || nv->pending_fd < 0 || nv->preacc_gfd >= 0) return;
  struct fd_ofd *l = fdt_lookup(vm, nv->acc_lgfd);
  if (!l || l->kind != FDK_LISTEN || l->host_fd != nv->listen_fd) return;
  int dupfd = fcntl(nv->pending_fd, F_DUPFD_CLOEXEC, 0);
  if (dupfd < 0) return;
  low_put(vm, L_DATA + D_AGAIN_LFD1, 0);
  int gfd = install_conn(vm, l, dupfd, nv->acc_flags);
  if (gfd < 0) return; /* the table closed dupfd */
  nv->preacc_gfd = gfd;
  nv->preacc_hfd = dupfd;
  socklen_t pl = nv->pending_peer_len <= 32 ? nv->pending_peer_len : 0;
  memcpy(vm->mem + L_DATA + D_PEER, &nv->pending_peer, pl);
  gm_mark_dirty(vm, L_DATA + D_PEER, 32);
  low_put(vm, L_DATA + D_PEER_LEN, pl);
  low_put(vm, L_DATA + D_ACC_FLAGS, (uint64_t)(uint32_t)nv->acc_flags);
  low_put(vm, L_DATA + D_ACC_GFD, (uint64_t)gfd);
  low_put(vm, L_SCRATCH + SC_PREACC, 1);
  low_put(vm, L_DATA + D_ACC_LFD1, (uint64_t)nv->acc_lgfd + 1);
  /* the other fast paths wait for SC_PREACC == 2 (see stub.S) */
  nv->peer = nv->pending_peer;
  nv->peer_len = nv->pending_peer_len;
  publish_conn_gfd(vm, gfd);
  publish_recv(vm, nv, gfd);
  publish_name(vm, nv, gfd);
  publish_ep(vm, nv, gfd);
  /* once the stub hands this connection out (SC_PREACC 2), nothing is pending: a further
   * non-blocking accept gets EAGAIN (the stub checks SC_PREACC; an undo withdraws this) */
  if (l->status & G_O_NONBLOCK) low_put(vm, L_DATA + D_AGAIN_LFD1, (uint64_t)nv->acc_lgfd + 1);
}

/* settles an install made by preaccept; runs before any host call and when the run stops */
static void settle_preaccept(struct vm *vm, struct net_vm *nv) {
  if (nv->preacc_gfd < 0) return;
  uint64_t v = low_get(vm, L_SCRATCH + SC_PREACC);
  low_put(vm, L_SCRATCH + SC_PREACC, 0);
  low_put(vm, L_DATA + D_ACC_LFD1, 0);
  int gfd = nv->preacc_gfd, hfd = nv->preacc_hfd;
  nv->preacc_gfd = nv->preacc_hfd = -1;
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (v == 2 && o && o->host_fd == hfd) { /* the guest's accept took it */
    close(nv->pending_fd);
    nv->pending_fd = -1;
    take_conn(vm, nv, hfd);
    nv->st.guest_accepts++;
    return;
  }
  unpublish_all(vm, nv); /* not taken: as if never installed; pending_fd still holds the connection */
  if (o && o->host_fd == hfd) fdt_close(vm, gfd);
  nv->st.preaccepts_undone++;
}

static long sys_accept(struct vm *vm, const uint64_t a[6]) { return net_accept_call(vm, a, 0); }
static long sys_accept4(struct vm *vm, const uint64_t a[6]) { return net_accept_call(vm, a, (int)a[3]); }

static long sys_connect(struct vm *vm, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  long err;
  if (!sock_of(vm, (int)a[0], &err)) return err;
  nv->st.refused_connect++;
  refuse_log(&g_logged_connect, "outbound connect (not granted)");
  return -EACCES;
}

static long sys_sendto(struct vm *vm, const uint64_t a[6]) {
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  if (o->kind == FDK_LISTEN || o->host_fd < 0) return -ENOTCONN;
  return conn_send(vm, o, a[1], a[2], (int)a[3]);
}

static long sys_recvfrom(struct vm *vm, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  if (o->kind == FDK_LISTEN) return -ENOTCONN;
  long n = conn_recv(vm, o, a[1], a[2], (int)a[3]);
  if (n >= 0 && a[4] && is_conn(nv, o)) {
    long r = write_sockaddr(vm, a[4], a[5], &nv->peer, nv->peer_len);
    if (r) return r;
  }
  return n;
}

struct g_msghdr {
  uint64_t name;
  uint32_t namelen, pad0;
  uint64_t iov, iovlen, control, controllen;
  int32_t flags, pad1;
};
struct g_iovec {
  uint64_t base, len;
};

static long msg_io(struct vm *vm, const uint64_t a[6], int is_send) {
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  if (o->kind == FDK_LISTEN || o->host_fd < 0) return -ENOTCONN;
  struct g_msghdr m;
  if (gm_read(vm, a[1], &m, sizeof(m))) return -EFAULT;
  if (m.iovlen > 1024) return -EMSGSIZE;
  long total = 0;
  for (uint64_t i = 0; i < m.iovlen; i++) {
    struct g_iovec v;
    if (gm_read(vm, m.iov + i * sizeof(v), &v, sizeof(v))) return total ? total : -EFAULT;
    if (!v.len) continue;
    long n = is_send ? conn_send(vm, o, v.base, v.len, (int)a[2]) : conn_recv(vm, o, v.base, v.len, (int)a[2] | (total ? MSG_DONTWAIT : 0));
    if (n < 0) return total ? total : n;
    total += n;
    if ((uint64_t)n < v.len) break;
  }
  if (!is_send) {
    uint64_t zero = 0;
    uint32_t zero32 = 0;
    gm_write(vm, a[1] + offsetof(struct g_msghdr, controllen), &zero, 8);
    gm_write(vm, a[1] + offsetof(struct g_msghdr, flags), &zero32, 4);
    if (m.name) gm_write(vm, a[1] + offsetof(struct g_msghdr, namelen), &zero32, 4);
  }
  return total;
}

static long sys_sendmsg(struct vm *vm, const uint64_t a[6]) { return msg_io(vm, a, 1); }
static long sys_recvmsg(struct vm *vm, const uint64_t a[6]) { return msg_io(vm, a, 0); }

static void conn_shutdown(struct vm *vm, struct net_vm *nv, struct fd_ofd *o, int how) {
  if (how != SHUT_RD && is_conn(nv, o)) {
    net_drain_guest_sends(vm);
    net_flush(vm);
    nv->conn_done = 1;
    publish_conn_gfd(vm, -1);
  }
  if (how != SHUT_WR && is_conn(nv, o)) publish_recv(vm, nv, -1);
  shutdown(o->host_fd, how);
  o->data |= (how != SHUT_WR ? SF_SHUT_RD : 0) | (how != SHUT_RD ? SF_SHUT_WR : 0);
  fdt_touch(vm);
}

/* applies a setsockopt(conn, IPPROTO_TCP, TCP_NODELAY) the stub recorded, as sys_setsockopt would */
static void apply_guest_nodelay(struct vm *vm, struct net_vm *nv) {
  uint64_t v = low_get(vm, L_SCRATCH + SC_NODELAY);
  if (!v) return;
  low_put(vm, L_SCRATCH + SC_NODELAY, 0);
  uint64_t fd1 = low_get(vm, L_DATA + D_NAME_FD1);
  struct fd_ofd *o = fd1 && fd1 <= INT32_MAX ? fdt_lookup(vm, (int)(fd1 - 1)) : NULL;
  if (!o || !is_conn(nv, o)) return; /* guest-written without a published connection: nothing to apply */
  int on = v == 1;
  if (on) o->data |= SF_NODELAY;
  else o->data &= ~(uint64_t)SF_NODELAY;
  fdt_touch(vm);
  if (o->host_fd >= 0) setsockopt(o->host_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  nv->st.guest_nodelay++;
}

/* applies an epoll_ctl ADD/DEL of the connection the stub recorded */
static void apply_guest_epoll(struct vm *vm, struct net_vm *nv) {
  uint64_t op = low_get(vm, L_SCRATCH + SC_EPOP);
  if (!op) return;
  low_put(vm, L_SCRATCH + SC_EPOP, 0);
  uint64_t fd1 = low_get(vm, L_DATA + D_NAME_FD1), ep1 = low_get(vm, L_DATA + D_EP_FD1);
  if (!fd1 || !ep1 || (op != 1 && op != 2)) return; /* guest-written without a publication */
  uint64_t data = low_get(vm, L_SCRATCH + SC_EPDATA);
  uint32_t events = (uint32_t)low_get(vm, L_SCRATCH + SC_EPEV);
  /* published = answerable: this cannot fail unless the guest wrote the scratch fields itself */
  if (net_epoll_ctl_op(vm, (int)(ep1 - 1), op == 1 ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, (int)(fd1 - 1), events, data) == 0)
    nv->st.guest_epoll_ctls++;
}

void net_guest_sync(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  if (nv) settle_preaccept(vm, nv);
  if (nv) apply_guest_epoll(vm, nv);
  if (nv) apply_guest_nodelay(vm, nv); /* before the drain: the option is set before those bytes go out */
  net_drain_guest_sends(vm);
  if (!nv) return;
  if (nv->pre_pub && nv->pre_off <= nv->pre_pub) {
    uint64_t off = low_get(vm, L_SCRATCH + SC_PRE_OFF);
    if (off > nv->pre_pub) off = nv->pre_pub; /* guest-writable: clamped, it can only re-read or skip its own input */
    if (off > nv->pre_off) { nv->st.bytes_in += off - nv->pre_off; nv->st.guest_recv_bytes += off - nv->pre_off; }
    nv->pre_off = off;
  }
  if (low_get(vm, L_SCRATCH + SC_SHUT_WR)) {
    low_put(vm, L_SCRATCH + SC_SHUT_WR, 0);
    uint64_t fd1 = low_get(vm, L_DATA + D_CONN_FD1);
    struct fd_ofd *o = fd1 ? fdt_lookup(vm, (int)(fd1 - 1)) : NULL;
    if (o && is_conn(nv, o) && !(o->data & SF_SHUT_WR)) {
      nv->st.guest_shutdowns++;
      conn_shutdown(vm, nv, o, SHUT_WR);
    }
  }
}

void net_guest_recheck(struct vm *vm) {
  struct net_vm *nv = net_state(vm);
  if (!nv) return;
  static const uint64_t fields[3] = {D_CONN_FD1, D_RECV_FD1, D_NAME_FD1};
  for (int i = 0; i < 3; i++) {
    uint64_t fd1 = low_get(vm, L_DATA + fields[i]);
    if (!fd1) continue;
    struct fd_ofd *o = fd1 <= INT32_MAX ? fdt_lookup(vm, (int)(fd1 - 1)) : NULL;
    if (o && is_conn(nv, o)) continue;
    if (i == 0) publish_conn_gfd(vm, -1);
    else if (i == 1) publish_recv(vm, nv, -1);
    else publish_name(vm, nv, -1);
  }
  /* a further non-blocking accept on the listener: EAGAIN (net_accept_call), answerable by the stub */
  uint64_t again = 0;
  if (vm->is_worker && nv->acc_known && nv->pending_fd < 0 && nv->preacc_gfd < 0) {
    struct fd_ofd *l = fdt_lookup(vm, nv->acc_lgfd);
    if (l && l->kind == FDK_LISTEN && l->host_fd == nv->listen_fd && (l->status & G_O_NONBLOCK))
      again = (uint64_t)nv->acc_lgfd + 1;
  }
  low_put(vm, L_DATA + D_AGAIN_LFD1, again);
  uint64_t name1 = low_get(vm, L_DATA + D_NAME_FD1);
  publish_ep(vm, nv, name1 ? (int)(name1 - 1) : -1);
}

static long sys_shutdown(struct vm *vm, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  int how = (int)a[1];
  if (how < SHUT_RD || how > SHUT_RDWR) return -EINVAL;
  if (o->kind == FDK_LISTEN || !(o->data & SF_CONN) || o->host_fd < 0) return -ENOTCONN;
  conn_shutdown(vm, nv, o, how);
  return 0;
}

static long sys_getsockname(struct vm *vm, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  if (is_conn(nv, o) && nv->local_len) return write_sockaddr(vm, a[1], a[2], &nv->local, nv->local_len);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  memset(&ss, 0, sizeof(ss));
  if (o->host_fd >= 0) {
    if (getsockname(o->host_fd, (struct sockaddr *)&ss, &sl) < 0) return -errno;
  } else {
    ss.ss_family = (o->data & SF_INET6) ? AF_INET6 : AF_INET;
    sl = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  }
  return write_sockaddr(vm, a[1], a[2], &ss, sl);
}

static long sys_getpeername(struct vm *vm, const uint64_t a[6]) {
  struct net_vm *nv = net_state(vm);
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  if (!(o->data & SF_CONN) || o->host_fd < 0) return -ENOTCONN;
  if (is_conn(nv, o)) return write_sockaddr(vm, a[1], a[2], &nv->peer, nv->peer_len);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  if (getpeername(o->host_fd, (struct sockaddr *)&ss, &sl) < 0) return -errno;
  return write_sockaddr(vm, a[1], a[2], &ss, sl);
}

static uint32_t opt_flag(int level, int name) {
  if (level == SOL_SOCKET && name == SO_REUSEADDR) return SF_REUSEADDR;
  if (level == SOL_SOCKET && name == SO_KEEPALIVE) return SF_KEEPALIVE;
  if (level == IPPROTO_TCP && name == TCP_NODELAY) return SF_NODELAY;
  if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) return SF_V6ONLY;
  return 0;
}

static long sys_setsockopt(struct vm *vm, const uint64_t a[6]) {
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  int level = (int)a[1], name = (int)a[2];
  if (level != SOL_SOCKET && level != IPPROTO_TCP && level != IPPROTO_IP && level != IPPROTO_IPV6) return -ENOPROTOOPT;
  if (a[4] > 256) return -EINVAL;
  int v = 0;
  if (a[4] >= 4 && gm_read(vm, a[3], &v, 4)) return -EFAULT;
  uint32_t f = opt_flag(level, name);
  if (f) {
    if (a[4] < 4) return -EINVAL;
    if (v) o->data |= f;
    else o->data &= ~(uint64_t)f;
    fdt_touch(vm);
    /* TCP_NODELAY matters on the wire: pass it to the connection */
    if (f == SF_NODELAY && o->host_fd >= 0 && (o->data & SF_CONN)) setsockopt(o->host_fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
  }
  /* other options (buffer sizes, timeouts, linger...) are accepted and have no effect */
  return 0;
}

static long sys_getsockopt(struct vm *vm, const uint64_t a[6]) {
  long err;
  struct fd_ofd *o = sock_of(vm, (int)a[0], &err);
  if (!o) return err;
  int level = (int)a[1], name = (int)a[2];
  int v;
  uint32_t f = opt_flag(level, name);
  if (f) v = (o->data & f) != 0;
  else if (level == SOL_SOCKET && name == SO_ERROR) v = 0;
  else if (level == SOL_SOCKET && name == SO_TYPE) v = SOCK_STREAM;
  else if (level == SOL_SOCKET && name == SO_DOMAIN) v = (o->data & SF_INET6) ? AF_INET6 : AF_INET;
  else if (level == SOL_SOCKET && name == SO_PROTOCOL) v = IPPROTO_TCP;
  else if (level == SOL_SOCKET && name == SO_ACCEPTCONN) v = o->kind == FDK_LISTEN;
  else if (level == SOL_SOCKET && name == SO_RCVBUF) v = 131072;
  else if (level == SOL_SOCKET && name == SO_SNDBUF) v = 16384;
  else return -ENOPROTOOPT;
  uint32_t cap;
  if (gm_read(vm, a[4], &cap, 4)) return -EFAULT;
  if ((int32_t)cap < 0) return -EINVAL;
  uint32_t n = cap < 4 ? cap : 4;
  if (n && gm_write(vm, a[3], &v, n)) return -EFAULT;
  return gm_write(vm, a[4], &n, 4) ? -EFAULT : 0;
}

static const struct sys_family_hooks g_hooks = {
    .name = "net", .on_create = on_create, .on_fork = on_fork, .on_reset = on_reset, .on_destroy = on_destroy};

SYS_FAMILY(sockets) {
  g_slot = sys_family_hooks_register(&g_hooks);
  fdt_register_kind(FDK_SOCKET, &g_sock_ops);
  fdt_register_kind(FDK_LISTEN, &g_listen_ops);
  sys_register(41, "socket", sys_socket);
  sys_register(42, "connect", sys_connect);
  sys_register(43, "accept", sys_accept);
  sys_register(288, "accept4", sys_accept4);
  sys_register(44, "sendto", sys_sendto);
  sys_register(45, "recvfrom", sys_recvfrom);
  sys_register(46, "sendmsg", sys_sendmsg);
  sys_register(47, "recvmsg", sys_recvmsg);
  sys_register(48, "shutdown", sys_shutdown);
  sys_register(49, "bind", sys_bind);
  sys_register(50, "listen", sys_listen);
  sys_register(51, "getsockname", sys_getsockname);
  sys_register(52, "getpeername", sys_getpeername);
  sys_register(54, "setsockopt", sys_setsockopt);
  sys_register(55, "getsockopt", sys_getsockopt);
}
