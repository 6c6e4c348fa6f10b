/* The connection fast paths the stub answers without an exit (layout.h D_RECV_FD1...): the
 * prefetched request is read in the guest, including a request longer than the published part
 * (the rest comes from the host, in order), shutdown(SHUT_WR) is applied by the host at the next
 * exit after the buffered sends, and a guest that corrupts its scratch fields only changes its own
 * view. Driven like isobench-server does: the host accepts, hands the connection over, runs. */
#include "test.h"
#include "fork.h"
#include "net.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static char g_path[512];

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof(a);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(s, (struct sockaddr *)&a, &l) < 0) return -1;
  close(s);
  return ntohs(a.sin_port);
}

struct served {
  int status;
  ib_request_result res;
  struct net_stats st;
  char reply[4096];
  ssize_t reply_len;
};

/* one request through worker w: connect, send `req`, hand the accepted connection over, run, reset */
static void serve(ib_worker *w, int listen_fd, const struct sockaddr_in *addr, const char *req, size_t req_len, struct served *out) {
  memset(out, 0, sizeof(*out));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (const struct sockaddr *)addr, sizeof(*addr)) < 0) { out->status = -100; close(c); return; }
  size_t off = 0;
  while (off < req_len) {
    ssize_t k = send(c, req + off, req_len - off, 0);
    if (k <= 0) break;
    off += (size_t)k;
  }
  struct pollfd pf = {.fd = listen_fd, .events = POLLIN};
  poll(&pf, 1, 2000);
  struct sockaddr_storage peer;
  socklen_t pl = sizeof(peer);
  int conn = accept4(listen_fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (conn < 0) { out->status = -101; close(c); return; }
  usleep(20000); /* the whole request is in the socket: one prefetch takes it */
  net_clear_stats(&w->vm);
  net_give_conn(&w->vm, conn, (struct sockaddr *)&peer, pl, 1000);
  net_arm_frozen(&w->vm);
  out->status = worker_run_request(w, NULL, 0, NULL, 0, &out->res);
  net_end_request(&w->vm, out->status != IB_OK, "502 Bad Gateway");
  net_get_stats(&w->vm, &out->st);
  worker_reset(w, -1);
  struct timeval tv = {.tv_sec = 2};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  for (;;) {
    ssize_t k = recv(c, out->reply + out->reply_len, sizeof(out->reply) - 1 - (size_t)out->reply_len, 0);
    if (k <= 0) break;
    out->reply_len += k;
  }
  out->reply[out->reply_len] = 0;
  close(c);
}

KVM_TEST(connection_fast_paths_answer_recv_and_shutdown_in_the_guest) {
  int port = free_port();
  CHECK(port > 0, "no free port");
  struct net_policy pol;
  memset(&pol, 0, sizeof(pol));
  pol.end_at_close = 1;
  char hp[64];
  snprintf(hp, sizeof(hp), "127.0.0.1:%d", port);
  char err[128];
  CHECK(net_parse_hostport(hp, &pol.listen, &pol.listen_len, err, sizeof(err)) == 0, "%s", err);
  pol.has_listen = 1;
  net_policy_set(&pol);

  snprintf(g_path, sizeof(g_path), "%s/http_server", guest_dir);
  char port_s[16];
  snprintf(port_s, sizeof(port_s), "%d", port);
  const char *argv[] = {g_path, "--host", "127.0.0.1", "--port", port_s, NULL};
  const char *envp[] = {NULL};
  ib_limits lim = {.mem_bytes = 64 << 20, .request_time_us = 2000000, .boot_time_us = 10000000};
  ib_master *m = master_create(g_path, argv, envp, &lim);
  CHECK(m, "master_create: %s", ib_last_error());
  int st = master_run_to_ready(m);
  ib_worker *w = st == IB_OK ? worker_fork(m, IB_MODE_PAGES) : NULL;
  int lfd = w ? net_listen_fd(&w->vm) : -1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  static struct served s1, s2, s3, s4;
  static char big[8000];
  if (w && lfd >= 0) {
    /* 1: the whole request from the data page: accept and close are the only exits */
    const char *r1 = "GET /probe HTTP/1.0\r\nHost: t\r\n\r\n";
    serve(w, lfd, &addr, r1, strlen(r1), &s1);
    /* 2: a request longer than the published part (D_PRE_CAP): the guest's one recv gets exactly
     * the published bytes (a partial read, as a kernel may return), the rest stays for the host */
    memset(big, 'x', sizeof(big));
    int hl = snprintf(big, sizeof(big), "GET /probe HTTP/1.0\r\nX-Pad: ");
    big[hl] = 'x';
    memcpy(big + sizeof(big) - 4, "\r\n\r\n", 4);
    serve(w, lfd, &addr, big, sizeof(big), &s2);
    /* 4: getpeername, setsockopt(TCP_NODELAY), epoll_ctl ADD/DEL on the connection, and further
     * accepts on the listener once it is non-blocking (EAGAIN), answered in the guest */
    const char *r4 = "GET /sockopts HTTP/1.0\r\n\r\n";
    serve(w, lfd, &addr, r4, strlen(r4), &s4);
    /* 3: the connection installed at resume is not what the guest's accept asks for (other flags
     * recorded): the stub leaves the accept to the host, which first takes the install back */
    struct net_vm *nv = net_state(&w->vm);
    nv->acc_flags ^= 04000; /* SOCK_NONBLOCK */
    serve(w, lfd, &addr, r1, strlen(r1), &s3);
  }
  net_policy_set(&(struct net_policy){0});
  if (w) worker_destroy(w);
  master_destroy(m);
  CHECK(w && lfd >= 0, "boot/fork failed: status %d, listen fd %d: %s", st, lfd, ib_last_error());
  int ok1 = s1.status == IB_OK && strstr(s1.reply, "200 OK") && strstr(s1.reply, "\r\n\r\n1");
  CHECK(ok1, "request 1: status %d reply '%s'", s1.status, s1.reply);
  CHECK_EQ(s1.res.exits, 2); /* accept4 (resume completes the poll) and close */
  CHECK_EQ(s1.st.guest_recv_bytes, strlen("GET /probe HTTP/1.0\r\nHost: t\r\n\r\n"));
  CHECK_EQ(s1.st.recv_from_prefetch, 0);
  CHECK_EQ(s1.st.guest_shutdowns, 1);
  CHECK(s1.st.guest_send_drains >= 1, "sends went through the guest buffer");

  CHECK(s2.status == IB_OK && strstr(s2.reply, "200 OK") && strstr(s2.reply, "\r\n\r\n1"),
        "request 2: status %d reply '%s' (the probe must read 1 again after the pages reset)", s2.status, s2.reply);
  CHECK_EQ(s2.st.guest_recv_bytes, D_PRE_CAP);
  CHECK_EQ(s2.st.prefetched_bytes, sizeof(big));
  /* request 1 taught the worker how the guest accepts: from request 2 on the accept is answered
   * in the guest and the close is the only exit */
  CHECK_EQ(s1.st.guest_accepts, 0);
  CHECK_EQ(s2.st.guest_accepts, 1);
  CHECK_EQ(s2.res.exits, 1);

  CHECK(s4.status == IB_OK && strstr(s4.reply, "peer=1 set=1 nodelay=1 again=111 epoll=1111"), "request 4: status %d reply '%s'", s4.status, s4.reply);
  CHECK_EQ(s4.st.guest_nodelay, 1);
  CHECK_EQ(s4.st.guest_accepts, 1);
  CHECK_EQ(s4.st.guest_epoll_ctls, 2); /* the DEL and the second ADD */
  /* fcntl, getsockopt (reads the option the host applied first), epoll_create1, the first ADD,
   * two epoll_waits, the ADD that gets EEXIST, close(ep) and close */
  CHECK_EQ(s4.res.exits, 9);

  CHECK(s3.status == IB_OK && strstr(s3.reply, "\r\n\r\n1"), "request 3: status %d reply '%s'", s3.status, s3.reply);
  CHECK_EQ(s3.st.preaccepts_undone, 1);
  CHECK_EQ(s3.st.guest_accepts, 0);
  CHECK_EQ(s3.st.accepts, 1);
  CHECK_EQ(s3.res.exits, 2);
}

/* Node (libuv) waits at its ready point in epoll_wait on the listener and its own signal pipe,
 * with a 30 s timer. A pipe only the guest holds cannot become ready while the guest waits (no
 * other thread can run, nothing outside writes it), so the wait is the freeze point like the
 * listener alone. Before, the host blocked on the pipe until the timer and never froze: node-http
 * under the engine failed with "boot time limit exceeded while the guest waited". */
KVM_TEST(ready_point_with_a_guest_pipe_in_the_epoll_set_freezes) {
  int port = free_port();
  CHECK(port > 0, "no free port");
  struct net_policy pol;
  memset(&pol, 0, sizeof(pol));
  pol.end_at_close = 1;
  char hp[64], err[128], port_s[16];
  snprintf(hp, sizeof(hp), "127.0.0.1:%d", port);
  CHECK(net_parse_hostport(hp, &pol.listen, &pol.listen_len, err, sizeof(err)) == 0, "%s", err);
  pol.has_listen = 1;
  net_policy_set(&pol);
  snprintf(g_path, sizeof(g_path), "%s/http_server", guest_dir);
  snprintf(port_s, sizeof(port_s), "%d", port);
  const char *argv[] = {g_path, "--host", "127.0.0.1", "--port", port_s, "--wait", "epoll-pipe", NULL};
  const char *envp[] = {NULL};
  ib_limits lim = {.mem_bytes = 64 << 20, .request_time_us = 2000000, .boot_time_us = 10000000};
  ib_master *m = master_create(g_path, argv, envp, &lim);
  CHECK(m, "master_create: %s", ib_last_error());
  int st = master_run_to_ready(m);
  char boot_err[256];
  snprintf(boot_err, sizeof(boot_err), "%s", st == IB_OK ? "" : ib_last_error());
  ib_worker *w = st == IB_OK ? worker_fork(m, IB_MODE_PAGES) : NULL;
  int lfd = w ? net_listen_fd(&w->vm) : -1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  static struct served s1, s2;
  const char *r = "GET /probe HTTP/1.0\r\nHost: t\r\n\r\n";
  if (w && lfd >= 0) {
    serve(w, lfd, &addr, r, strlen(r), &s1);
    serve(w, lfd, &addr, r, strlen(r), &s2);
  }
  net_policy_set(&(struct net_policy){0});
  if (w) worker_destroy(w);
  master_destroy(m);
  CHECK(st == IB_OK, "the master did not reach its ready point: status %d: %s", st, boot_err);
  CHECK(w && lfd >= 0, "fork failed: listen fd %d", lfd);
  CHECK(s1.status == IB_OK && strstr(s1.reply, "200 OK") && strstr(s1.reply, "\r\n\r\n1"), "request 1: status %d reply '%s'", s1.status, s1.reply);
  CHECK(s2.status == IB_OK && strstr(s2.reply, "\r\n\r\n1"), "request 2 (after a pages reset): status %d reply '%s'", s2.status, s2.reply);
}
