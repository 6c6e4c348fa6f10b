/* Test guest: a small single-threaded HTTP/1.0 server (glibc, static) for isobench-server.
 * Usage: http_server [--host 127.0.0.1] [--port 8000] [--wait poll|select|epoll|epoll-pipe|accept]
 * Routes: /  hello | /probe  module-level counter | /loop  never answers | /alloc?mb=N  touches
 * N MiB | /crash  null write | /bind-other  bind port+1 | /connect-out  connect to itself |
 * /unix  AF_UNIX socket | /big  256 KiB body | /sockopts  getpeername, TCP_NODELAY set and read
 * back, and further accepts on the (now non-blocking) listener, as an event loop does. The response goes out in several sends (status,
 * headers, body), as wsgiref does. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static long probe_counter;
static const char *g_host = "127.0.0.1";
static int g_port = 8000;
static int g_ls = -1;
static struct sockaddr_in g_peer; /* what accept4 returned for the current connection */

static void send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = send(fd, p, n, 0);
    if (k <= 0) return;
    p += k;
    n -= (size_t)k;
  }
}

static void respond(int fd, int status, const char *body, size_t len) {
  char line[64], hdr[128];
  snprintf(line, sizeof(line), "HTTP/1.0 %d %s\r\n", status, status == 200 ? "OK" : "Not Found");
  snprintf(hdr, sizeof(hdr), "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", len);
  send_all(fd, line, strlen(line));
  send_all(fd, hdr, strlen(hdr));
  send_all(fd, body, len);
}

static int errno_of_bind_other(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return errno;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(g_port + 1))};
  inet_pton(AF_INET, g_host, &a.sin_addr);
  int r = bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ? errno : 0;
  if (!r && listen(s, 1) < 0) r = errno;
  close(s);
  return r;
}

static int errno_of_connect_out(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return errno;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
  inet_pton(AF_INET, g_host, &a.sin_addr);
  int r = connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 ? errno : 0;
  close(s);
  return r;
}

static void handle(int c) {
  char req[8192];
  ssize_t n = recv(c, req, sizeof(req) - 1, 0);
  if (n <= 0) { close(c); return; }
  req[n] = 0;
  char path[256] = "/";
  sscanf(req, "%*s %255s", path);
  char body[512];
  int len;
  if (strcmp(path, "/") == 0) {
    len = snprintf(body, sizeof(body), "Hello, World!\n");
  } else if (strcmp(path, "/probe") == 0) {
    len = snprintf(body, sizeof(body), "%ld", ++probe_counter);
  } else if (strcmp(path, "/loop") == 0) {
    for (volatile unsigned long i = 0;; i++) {}
  } else if (strncmp(path, "/alloc", 6) == 0) {
    int mb = 64;
    const char *q = strstr(path, "mb=");
    if (q) mb = atoi(q + 3);
    char *p = malloc((size_t)mb << 20);
    if (!p) { len = snprintf(body, sizeof(body), "malloc failed"); }
    else {
      for (size_t i = 0; i < ((size_t)mb << 20); i += 4096) p[i] = 1;
      len = snprintf(body, sizeof(body), "touched %d MiB", mb);
    }
  } else if (strcmp(path, "/crash") == 0) {
    volatile uintptr_t bad = 16;
    *(volatile int *)bad = 1;
    len = 0;
  } else if (strcmp(path, "/bind-other") == 0) {
    len = snprintf(body, sizeof(body), "errno=%d", errno_of_bind_other());
  } else if (strcmp(path, "/connect-out") == 0) {
    len = snprintf(body, sizeof(body), "errno=%d", errno_of_connect_out());
  } else if (strcmp(path, "/unix") == 0) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    len = snprintf(body, sizeof(body), "errno=%d", s < 0 ? errno : 0);
    if (s >= 0) close(s);
  } else if (strcmp(path, "/sockopts") == 0) {
    struct sockaddr_in pp;
    socklen_t pl = sizeof(pp);
    int peer_ok = getpeername(c, (struct sockaddr *)&pp, &pl) == 0 && pl == sizeof(pp) &&
                  memcmp(&pp, &g_peer, sizeof(pp)) == 0;
    int one = 1, nd = -1;
    socklen_t nl = sizeof(nd);
    int set_ok = setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0;
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nd, &nl);
    fcntl(g_ls, F_SETFL, O_NONBLOCK);
    int a1 = accept4(g_ls, NULL, NULL, SOCK_CLOEXEC) < 0 && errno == EAGAIN;
    int a2 = accept4(g_ls, NULL, NULL, SOCK_NONBLOCK) < 0 && errno == EAGAIN;
    int a3 = accept(g_ls, NULL, NULL) < 0 && errno == EAGAIN;
    /* the connection in an epoll set: the first ADD teaches the host this epoll fd; the DEL and
     * the second ADD are answered by the stub and must show in the next epoll_wait */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[2];
    int e1 = epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0;
    int e2 = epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL) == 0 && epoll_wait(ep, out, 2, 0) == 0;
    ev = (struct epoll_event){.events = EPOLLOUT, .data.u64 = 99};
    int e3 = epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0 && epoll_wait(ep, out, 2, 0) == 1 && out[0].data.u64 == 99 &&
             (out[0].events & EPOLLOUT);
    int e4 = epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0 && errno == EEXIST;
    close(ep);
    len = snprintf(body, sizeof(body), "peer=%d set=%d nodelay=%d again=%d%d%d epoll=%d%d%d%d", peer_ok, set_ok, nd, a1, a2, a3,
                   e1, e2, e3, e4);
  } else if (strcmp(path, "/big") == 0) {
    size_t big = 256 << 10;
    char *p = malloc(big);
    for (size_t i = 0; i < big; i++) p[i] = (char)('a' + i % 26);
    respond(c, 200, p, big);
    free(p);
    shutdown(c, SHUT_WR);
    close(c);
    return;
  } else {
    respond(c, 404, "not found\n", 10);
    shutdown(c, SHUT_WR);
    close(c);
    return;
  }
  respond(c, 200, body, (size_t)len);
  shutdown(c, SHUT_WR);
  close(c);
}

int main(int argc, char **argv) {
  const char *wait = "poll";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--host")) g_host = argv[i + 1];
    else if (!strcmp(argv[i], "--port")) g_port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--wait")) wait = argv[i + 1];
  }
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0) { perror("socket"); return 1; }
  g_ls = ls;
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
  if (inet_pton(AF_INET, g_host, &a.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", g_host); return 1; }
  if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0) { perror("bind"); return 1; }
  if (listen(ls, 128) < 0) { perror("listen"); return 1; }
  printf("listening on http://%s:%d (%s)\n", g_host, g_port, wait);
  fflush(stdout);
  int ep = -1;
  int pipe_wait = !strcmp(wait, "epoll-pipe"); /* libuv's loop: the listener and its own signal pipe, a 30 s timer */
  if (!strcmp(wait, "epoll") || pipe_wait) {
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0) { perror("epoll"); return 1; }
    int p[2];
    struct epoll_event pev = {.events = EPOLLIN, .data.u64 = 7};
    if (pipe_wait && (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &pev) < 0)) { perror("pipe"); return 1; }
  }
  for (;;) {
    if (!strcmp(wait, "poll")) {
      struct pollfd pf = {.fd = ls, .events = POLLIN};
      if (poll(&pf, 1, 500) <= 0 || !(pf.revents & POLLIN)) continue;
    } else if (!strcmp(wait, "select")) {
      fd_set r;
      FD_ZERO(&r);
      FD_SET(ls, &r);
      struct timeval tv = {.tv_usec = 500000};
      if (select(ls + 1, &r, NULL, NULL, &tv) <= 0 || !FD_ISSET(ls, &r)) continue;
    } else if (ep >= 0) {
      struct epoll_event ev;
      if (epoll_wait(ep, &ev, 1, pipe_wait ? 30000 : 500) <= 0 || ev.data.u64 != 42) continue;
    }
    socklen_t pl = sizeof(g_peer);
    int c = accept4(ls, (struct sockaddr *)&g_peer, &pl, SOCK_CLOEXEC);
    if (c < 0) continue;
    handle(c);
  }
}
