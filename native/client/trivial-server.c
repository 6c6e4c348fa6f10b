// isobench-trivial-server: the smallest HTTP/1.1 server we can write, for calibrating load clients.
// One thread per connection; answers every request with a fixed body after an optional fixed delay,
// keeps the connection open unless the request says "Connection: close".
// Prints "listening <port>" on stdout once it accepts connections.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long delay_us;
static char response_keepalive[512];
static char response_close[512];
static size_t keepalive_len, close_len;

static void usage(const char *msg) {
  fprintf(stderr, "isobench-trivial-server: %s\nusage: isobench-trivial-server [--port P] [--delay-us N]\n", msg);
  exit(2);
}

static void *serve_connection(void *arg) {
  int fd = (int)(long)arg;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char buf[8192];
  size_t len = 0;
  for (;;) {
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0) break;
    len += (size_t)n;
    buf[len] = 0;
    char *end;
    while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
      *end = 0;
      int wants_close = strcasestr(buf, "\r\nConnection: close") != NULL;
      if (delay_us > 0) {
        struct timespec ts = {.tv_sec = delay_us / 1000000, .tv_nsec = (delay_us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
      }
      const char *resp = wants_close ? response_close : response_keepalive;
      size_t resp_len = wants_close ? close_len : keepalive_len;
      if (send(fd, resp, resp_len, MSG_NOSIGNAL) != (ssize_t)resp_len || wants_close) goto out;
      size_t used = (size_t)(end + 4 - buf);
      memmove(buf, buf + used, len - used);
      len -= used;
      buf[len] = 0;
    }
    if (len == sizeof buf - 1) break;  // header too large
  }
out:
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  long port = 0;
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc) usage("every flag takes a value");
    char *end = NULL;
    long v = strtol(argv[i + 1], &end, 10);
    if (!end || *end || v < 0) usage("flag values are non-negative integers");
    if (!strcmp(argv[i], "--port") && v <= 65535) port = v;
    else if (!strcmp(argv[i], "--delay-us") && v <= 10000000) delay_us = v;
    else usage("unknown flag or value out of range");
    i++;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *body = "hello from the trivial server\n";
  keepalive_len = (size_t)snprintf(response_keepalive, sizeof response_keepalive,
                                   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
                                   strlen(body), body);
  close_len = (size_t)snprintf(response_close, sizeof response_close,
                               "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                               "Connection: close\r\n\r\n%s",
                               strlen(body), body);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 1024) < 0) {
    fprintf(stderr, "isobench-trivial-server: cannot listen on 127.0.0.1:%ld: %s\n", port, strerror(errno));
    return 1;
  }
  socklen_t addr_len = sizeof addr;
  getsockname(fd, (struct sockaddr *)&addr, &addr_len);
  printf("listening %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (;;) {
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      perror("isobench-trivial-server: accept");
      return 1;
    }
    pthread_t t;
    if (pthread_create(&t, &attr, serve_connection, (void *)(long)c) != 0) close(c);
  }
}
