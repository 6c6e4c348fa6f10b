/* Sockets and readiness (5b): the network policy, the per-VM connection state shared by
 * sys_net.c (socket calls) and sys_ready.c (poll/select/epoll), and the hand-over API the
 * server (native/server/) uses to give a worker the connection it accepted on the host.
 *
 * Model: a guest's listening socket is a real host socket the host binds when the guest binds
 * the granted address (the only one it may bind); workers share the master's. A worker serves
 * exactly one connection per request: the server accepts it on the host and hands it over
 * (net_give_conn) with the request bytes already read; the guest's accept4 takes it, its first
 * recv is answered from those bytes, small sends are buffered in the host and flushed at
 * shutdown/close/recv/wait. When the guest, with no connection left, waits on the listening
 * socket again (poll/select/epoll/accept), the run stops there: in the master that is the freeze
 * point (after the warm-up requests), in a worker the end of the request. */
#ifndef IB_NET_H
#define IB_NET_H
#include "engine.h"
#include <string.h>
#include <sys/socket.h>

/* Process-wide policy, set by the embedder before the master is created. */
struct net_policy {
  int has_listen;                  /* 0: the guest may not listen anywhere */
  struct sockaddr_storage listen;  /* the one address the guest may bind (AF_INET/AF_INET6) */
  socklen_t listen_len;
  int verbose;                     /* log the first refusal of each kind on stderr */
  unsigned warmup;                 /* requests the master serves before the freeze */
  char warmup_path[256];           /* their URL path (default "/") */
  int end_at_close;                /* a worker's run ends when the guest closes its connection (reset modes) */
};
void net_policy_set(const struct net_policy *p);
/* "HOST:PORT" or "[V6]:PORT", numeric host; 0 or -1 with err filled */
int net_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errcap);

struct net_stats {
  uint64_t accepts, prefetched_bytes, recv_from_prefetch, recv_host, sends, sends_buffered, flushes;
  uint64_t bytes_in, bytes_out;
  uint64_t refused_listen, refused_connect, refused_family;
  uint64_t parks, warmups;
  uint64_t guest_send_drains, ended_at_close;
  uint64_t guest_recv_bytes, guest_shutdowns; /* answered by the stub (recvfrom bytes, shutdown(SHUT_WR) calls) */
  uint64_t guest_accepts, preaccepts_undone;   /* accepts the stub answered; installs taken back */
  uint64_t guest_nodelay;                      /* TCP_NODELAY setsockopts the stub recorded */
  uint64_t guest_epoll_ctls;                   /* epoll_ctl ADD/DEL on the connection the stub recorded */
};

/* host fd of the guest's listening socket (master after boot; workers share it), -1 if none */
int net_listen_fd(struct vm *vm);
/* Gives a worker the connection the host accepted (ownership passes to the VM). Reads what the
 * client has sent within wait_ms so the guest's first recv needs no host wait. */
void net_give_conn(struct vm *vm, int conn_fd, const struct sockaddr *peer, socklen_t peer_len, int wait_ms);
/* Before running a worker that sits at the master's frozen wait (fresh fork or after a reset):
 * completes that wait with the handed-over connection. No-op when the worker is parked. */
void net_arm_frozen(struct vm *vm);
/* After a request: flushes what the guest sent, and ends a connection the guest did not close
 * (the client sees EOF). When the request failed (fault, limit, exit), discards unsent buffered
 * bytes and, if nothing reached the client, answers `status_line` (e.g. "503 Service
 * Unavailable") first. Returns 1 when a connection was still open. */
int net_end_request(struct vm *vm, int failed, const char *status_line);
/* bytes of the current request's response that reached the client */
uint64_t net_request_bytes_sent(struct vm *vm);
void net_get_stats(struct vm *vm, struct net_stats *out);
void net_clear_stats(struct vm *vm);

/* ---- shared between sys_net.c and sys_ready.c ---- */
#define NET_PRE_MAX 65536
#define NET_OUT_MAX 65536
#define NET_EPI_MAX 128

struct net_epi { /* one epoll interest */
  int32_t ep_ofd;  /* OFD index of the epoll instance, -1 = free */
  int32_t fd;      /* guest fd watched */
  uint32_t events; /* EPOLL* mask */
  uint32_t et_seen; /* EPOLLET: readiness bits already reported (sys_ready.c) */
  uint32_t et_seq;  /* EPOLLET: syscall-exit count when they were reported */
  uint64_t data;
};

struct net_eplist {
  struct net_epi e[NET_EPI_MAX];
  int32_t n;        /* 1 + highest entry used */
  uint64_t generation;
};

struct net_vm {
  struct net_eplist ep, ep_base; /* epoll interests (rolled back on reset) */
  int listen_fd;                 /* host listener (shared by workers, never closed by them) */
  int pending_fd;                /* accepted on the host, not yet taken by the guest; -1 */
  struct sockaddr_storage pending_peer;
  socklen_t pending_peer_len;
  int conn_fd;                   /* host fd of the connection the guest took, -1 */
  struct sockaddr_storage peer, local;
  socklen_t peer_len, local_len;
  int conn_done;                 /* the guest closed or shut down (write side) the connection */
  int conn_err;                  /* errno of a failed flush, reported on the next send */
  uint64_t sent;                 /* bytes of this connection that reached the client */
  size_t pre_len, pre_off;
  size_t pre_pub;                /* prefetched bytes published to the stub (D_PRE_LEN), 0 = recv fast path off */
  /* accept at resume (layout.h D_ACC_LFD1): how the guest last accepted, and the connection
   * installed ahead of its accept (guest fd, host fd = a dup of pending_fd), -1 = none */
  int acc_known, acc_lgfd, acc_flags;
  int preacc_gfd, preacc_hfd;
  int ep_lgfd;                   /* epoll fd the guest last added a connection to (layout.h D_EP_FD1), -1 */
  size_t out_len;
  /* where the master froze, for resuming workers there */
  uint64_t frozen_nr, frozen_args[6];
  uint64_t parked_nr;
  /* warm-up (master only) */
  unsigned warm_left;
  int warm_thread_live;
  unsigned long warm_thread;
  struct net_stats st;
  uint8_t pre[NET_PRE_MAX];
  uint8_t out[NET_OUT_MAX];
};

struct net_vm *net_state(struct vm *vm);
const struct net_policy *net_policy(void);
/* OFD data bits of FDK_SOCKET / FDK_LISTEN */
#define SF_INET6 (1u << 0)
#define SF_BOUND (1u << 1)     /* host socket bound to the granted address */
#define SF_CONN (1u << 2)      /* an accepted connection */
#define SF_SHUT_RD (1u << 3)
#define SF_SHUT_WR (1u << 4)
#define SF_REUSEADDR (1u << 5)
#define SF_NODELAY (1u << 6)
#define SF_KEEPALIVE (1u << 7)
#define SF_V6ONLY (1u << 8)

/* readiness of one guest fd for poll events (POLLIN/POLLOUT...): revents, POLLNVAL if closed */
short net_fd_ready(struct vm *vm, int gfd, short events, int depth);
/* 1 when gfd is the guest's listening socket */
int net_is_listener(struct vm *vm, int gfd);
/* 1 when gfd is an open connection whose host fd can become ready */
int net_host_waitable(struct vm *vm, int gfd, int *host_fd);
/* flushes buffered output of the current connection (blocking, bounded by the run's deadline);
 * 0, or -errno */
int net_flush(struct vm *vm);
/* moves what the stub buffered (sendto on the current connection) into the host's send buffer */
void net_drain_guest_sends(struct vm *vm);
/* Connection fast paths answered by the stub (layout.h D_RECV_FD1...): net_guest_sync takes in
 * what the guest did without exits (buffered sends, consumed prefetched bytes, a shutdown(SHUT_WR))
 * and must run before any host call and when the run stops; net_guest_recheck, after a host call,
 * withdraws a published fd number that no longer names the current connection (close, dup2...). */
static inline int net_guest_pending(const struct vm *vm) {
  uint64_t s, w, r;
  memcpy(&s, vm->mem + L_SCRATCH + SC_SEND_LEN, 8);
  memcpy(&w, vm->mem + L_SCRATCH + SC_SHUT_WR, 8);
  memcpy(&r, vm->mem + L_DATA + D_RECV_FD1, 8);
  uint64_t a, d, e;
  memcpy(&a, vm->mem + L_DATA + D_ACC_LFD1, 8);
  memcpy(&d, vm->mem + L_SCRATCH + SC_NODELAY, 8);
  memcpy(&e, vm->mem + L_SCRATCH + SC_EPOP, 8);
  return (s | w | r | a | d | e) != 0;
}
static inline int net_guest_published(const struct vm *vm) {
  uint64_t a, b, c, d;
  memcpy(&a, vm->mem + L_DATA + D_CONN_FD1, 8);
  memcpy(&b, vm->mem + L_DATA + D_RECV_FD1, 8);
  memcpy(&c, vm->mem + L_DATA + D_NAME_FD1, 8);
  memcpy(&d, vm->mem + L_DATA + D_AGAIN_LFD1, 8);
  return (a | b | c | d) != 0;
}
void net_guest_sync(struct vm *vm);
void net_guest_recheck(struct vm *vm);
/* Blocks the host until host_fd has `events` or the run's deadline; 1 ready, 0 timeout, and on
 * the deadline stops the run (time limit) and returns -1. timeout_ns < 0 = none. */
int net_host_wait(struct vm *vm, const int *host_fds, int n, short events, int64_t timeout_ns);
/* The guest waits on the listening socket with no connection to serve: in the master run the
 * warm-up or freeze (STOP_READY), in a worker park (STOP_BLOCKED). Returns 1 when a warm-up
 * connection is now pending (recompute and return), 0 when the run was stopped. */
int net_park(struct vm *vm, uint64_t nr, const uint64_t a[6]);
/* re-runs a parked/frozen call (registered handlers of sys_ready.c / sys_net.c) */
long net_redo(struct vm *vm, uint64_t nr, const uint64_t a[6]);
long net_accept_call(struct vm *vm, const uint64_t a[6], int flags_arg);
long net_ready_call(struct vm *vm, uint64_t nr, const uint64_t a[6]);
/* epoll_ctl's effect on the interest list (sys_ready.c), for ops the stub recorded: 0 or -errno */
long net_epoll_ctl_op(struct vm *vm, int epfd, int op, int fd, uint32_t events, uint64_t data);
/* whether fd is in epoll instance epfd: 1 yes, 0 no (and an ADD would find a free slot), -1 neither
 * answerable (epfd is no epoll instance, or the list is full) */
int net_epoll_has(struct vm *vm, int epfd, int fd);

#endif
