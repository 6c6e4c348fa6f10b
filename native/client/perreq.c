// isobench-client: closed-loop HTTP/1.1 load client that opens a new connection for every request.
//
// Each of N threads loops: connect, send the request (GET, or --method with --body), read the whole response (Content-Length, chunked,
// or until close), close. Latency runs from before connect() to the last byte of the response,
// on CLOCK_MONOTONIC. Results go to stdout as lines the harness parses:
//   R <latency_us> <status>          one per complete response
//   S <status> <body_len>\n<body>\n  a sampled response body (first, then every --sample-every)
//   E <kind>                         one per failed request: connect | timeout | reset | body
//   D <responses> <errors> <elapsed_us>   once, at the end: from the start to the last thread's
//                                         last response (not to when the summary is printed)
// The client dies with its parent (PR_SET_PDEATHSIG): a killed harness leaves no load behind.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1024
#define MAX_RESPONSE (64u * 1024u * 1024u)

struct options {
  struct sockaddr_in addr;
  const char *host;
  const char *path;
  const char *method;
  const char *body;  // NULL: no body
  int connections;
  long requests;      // > 0: stop after this many requests in total
  long duration_ms;   // > 0: stop issuing new requests after this long
  int timeout_ms;     // whole-request timeout
  long sample_every;  // emit the body of every Nth response (0: never)
};

static struct options opt;
static char request_text[65536];
static size_t request_len;
static atomic_long requests_left;
static atomic_long responses_done;
static atomic_long errors_done;
static atomic_bool stopping;
static int64_t deadline_ns;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
// threads_left and last_end_ns are guarded by out_lock; all_done wakes main when the last thread ends
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static int threads_left;
static int64_t last_end_ns;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_stop_signal(int sig) {
  (void)sig;
  atomic_store(&stopping, true);
}

static void usage(const char *msg) {
  fprintf(stderr, "isobench-client: %s\n", msg);
  fprintf(stderr,
          "usage: isobench-client --port P [--host 127.0.0.1] [--path /] [--method GET] [--body TEXT] [--connections N]\n"
          "                       (--requests N | --duration-ms MS) [--timeout-ms MS] [--sample-every N]\n");
  exit(2);
}

static long parse_long(const char *flag, const char *value, long min, long max) {
  char *end = NULL;
  errno = 0;
  long v = strtol(value, &end, 10);
  if (errno || end == value || *end || v < min || v > max) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s: expected an integer in [%ld, %ld], got '%s'", flag, min, max, value);
    usage(msg);
  }
  return v;
}

static void parse_args(int argc, char **argv) {
  opt.host = "127.0.0.1";
  opt.path = "/";
  opt.method = "GET";
  opt.connections = 1;
  opt.timeout_ms = 10000;
  long port = -1;
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i];
    if (i + 1 >= argc) usage("every flag takes a value");
    const char *value = argv[++i];
    if (!strcmp(flag, "--host")) opt.host = value;
    else if (!strcmp(flag, "--port")) port = parse_long(flag, value, 1, 65535);
    else if (!strcmp(flag, "--path")) opt.path = value;
    else if (!strcmp(flag, "--method")) opt.method = value;
    else if (!strcmp(flag, "--body")) opt.body = value;
    else if (!strcmp(flag, "--connections")) opt.connections = (int)parse_long(flag, value, 1, MAX_CONNECTIONS);
    else if (!strcmp(flag, "--requests")) opt.requests = parse_long(flag, value, 1, 1000000000L);
    else if (!strcmp(flag, "--duration-ms")) opt.duration_ms = parse_long(flag, value, 1, 86400000L);
    else if (!strcmp(flag, "--timeout-ms")) opt.timeout_ms = (int)parse_long(flag, value, 1, 3600000);
    else if (!strcmp(flag, "--sample-every")) opt.sample_every = parse_long(flag, value, 0, 1000000000L);
    else {
      char msg[256];
      snprintf(msg, sizeof msg, "unknown flag '%s'", flag);
      usage(msg);
    }
  }
  if (port < 0) usage("--port is required");
  if ((opt.requests > 0) == (opt.duration_ms > 0)) usage("give exactly one of --requests and --duration-ms");
  if (opt.path[0] != '/') usage("--path must start with '/'");
  opt.addr.sin_family = AF_INET;
  opt.addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, opt.host, &opt.addr.sin_addr) != 1) usage("--host must be an IPv4 address");
  for (const char *m = opt.method; *m; m++)
    if (*m < 'A' || *m > 'Z') usage("--method must be an upper-case HTTP method");
  char body_headers[96] = "";
  if (opt.body) snprintf(body_headers, sizeof body_headers, "Content-Type: text/plain\r\nContent-Length: %zu\r\n", strlen(opt.body));
  int n = snprintf(request_text, sizeof request_text,
                   "%s %s HTTP/1.1\r\nHost: %s:%ld\r\nUser-Agent: isobench-client\r\nAccept: */*\r\n"
                   "%sConnection: close\r\n\r\n%s",
                   opt.method, opt.path, opt.host, port, body_headers, opt.body ? opt.body : "");
  if (n < 0 || (size_t)n >= sizeof request_text) usage("--path and --body are too long");
  request_len = (size_t)n;
}

enum outcome { OK, ERR_CONNECT, ERR_TIMEOUT, ERR_RESET, ERR_BODY };
static const char *const outcome_name[] = {"ok", "connect", "timeout", "reset", "body"};

struct response {
  char *buf;
  size_t len, cap;
  size_t header_len;  // bytes up to and including the blank line; 0 until seen
  int status;
  long content_length;  // -1 when absent
  bool chunked;
  size_t body_start, body_len;  // decoded body (chunked bodies are decoded in place on completion)
};

static bool wait_fd(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t left_ms = (deadline - now_ns()) / 1000000;
    if (left_ms <= 0) return false;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)(left_ms > 60000 ? 60000 : left_ms));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

static const char *find_header(const char *headers, size_t len, const char *name) {
  size_t name_len = strlen(name);
  const char *p = memchr(headers, '\n', len);  // skip the status line
  const char *end = headers + len;
  while (p && p + 1 < end) {
    p++;
    if ((size_t)(end - p) > name_len && !strncasecmp(p, name, name_len) && p[name_len] == ':') {
      const char *v = p + name_len + 1;
      while (v < end && (*v == ' ' || *v == '\t')) v++;
      return v;
    }
    p = memchr(p, '\n', (size_t)(end - p));
  }
  return NULL;
}

static bool parse_headers(struct response *r) {
  char *blank = memmem(r->buf, r->len, "\r\n\r\n", 4);
  if (!blank) return false;
  r->header_len = (size_t)(blank - r->buf) + 4;
  r->status = 0;
  if (r->len >= 12 && !strncmp(r->buf, "HTTP/1.", 7)) r->status = atoi(r->buf + 9);
  const char *cl = find_header(r->buf, r->header_len, "Content-Length");
  r->content_length = cl ? strtol(cl, NULL, 10) : -1;
  const char *te = find_header(r->buf, r->header_len, "Transfer-Encoding");
  r->chunked = te && !strncasecmp(te, "chunked", 7);
  return true;
}

// Walks the chunked body. Returns 1 when the final chunk has arrived, 0 when more bytes are
// needed, -1 when the encoding is malformed. With decode set (only once complete), it also
// moves the chunk data together in place and sets body_start/body_len.
static int chunked_scan(struct response *r, bool decode) {
  size_t pos = r->header_len, out = r->header_len;
  for (;;) {
    char *line_end = memmem(r->buf + pos, r->len - pos, "\r\n", 2);
    if (!line_end) return 0;
    char *end = NULL;
    unsigned long size = strtoul(r->buf + pos, &end, 16);
    if (end == r->buf + pos) return -1;
    size_t data = (size_t)(line_end - r->buf) + 2;
    if (size == 0) {
      if (!memmem(r->buf + data - 2, r->len - data + 2, "\r\n\r\n", 4)) return 0;  // end of trailers
      if (decode) {
        r->body_start = r->header_len;
        r->body_len = out - r->header_len;
      }
      return 1;
    }
    if (r->len < data + size + 2) return 0;
    if (decode) memmove(r->buf + out, r->buf + data, size);  // out never passes data
    out += size;
    pos = data + size + 2;
  }
}

static enum outcome do_request(struct response *r, int64_t *latency_ns) {
  int64_t start = now_ns();
  int64_t deadline = start + (int64_t)opt.timeout_ms * 1000000;
  r->len = 0;
  r->header_len = 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ERR_CONNECT;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  enum outcome result = OK;
  if (connect(fd, (struct sockaddr *)&opt.addr, sizeof opt.addr) < 0) {
    if (errno != EINPROGRESS) { result = ERR_CONNECT; goto done; }
    if (!wait_fd(fd, POLLOUT, deadline)) { result = ERR_TIMEOUT; goto done; }
    int err = 0;
    socklen_t err_len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err) { result = ERR_CONNECT; goto done; }
  }
  for (size_t sent = 0; sent < request_len;) {
    ssize_t n = send(fd, request_text + sent, request_len - sent, MSG_NOSIGNAL);
    if (n > 0) { sent += (size_t)n; continue; }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_fd(fd, POLLOUT, deadline)) { result = ERR_TIMEOUT; goto done; }
      continue;
    }
    result = ERR_RESET;
    goto done;
  }
  for (;;) {
    if (r->cap - r->len < 16384) {
      size_t cap = r->cap ? r->cap * 2 : 65536;
      if (cap > MAX_RESPONSE) { result = ERR_BODY; goto done; }
      char *buf = realloc(r->buf, cap);
      if (!buf) { result = ERR_BODY; goto done; }
      r->buf = buf;
      r->cap = cap;
    }
    ssize_t n = recv(fd, r->buf + r->len, r->cap - r->len, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        if (!wait_fd(fd, POLLIN, deadline)) { result = ERR_TIMEOUT; goto done; }
        continue;
      }
      result = ERR_RESET;
      goto done;
    }
    bool eof = n == 0;
    r->len += (size_t)n;
    if (!r->header_len && !parse_headers(r)) {
      if (eof) { result = r->len ? ERR_BODY : ERR_RESET; goto done; }
      continue;
    }
    if (r->chunked) {
      int c = chunked_scan(r, false);
      if (c == 1) {
        chunked_scan(r, true);
        break;
      }
      if (c < 0 || eof) { result = ERR_BODY; goto done; }
    } else if (r->content_length >= 0) {
      size_t want = r->header_len + (size_t)r->content_length;
      if (r->len >= want) {
        r->body_start = r->header_len;
        r->body_len = (size_t)r->content_length;
        break;
      }
      if (eof) { result = ERR_BODY; goto done; }
    } else if (eof) {
      r->body_start = r->header_len;
      r->body_len = r->len - r->header_len;
      break;
    }
  }
  *latency_ns = now_ns() - start;
done:
  close(fd);
  return result;
}

static bool claim_request(void) {
  if (atomic_load(&stopping)) return false;
  if (opt.requests > 0) return atomic_fetch_sub(&requests_left, 1) > 0;
  return now_ns() < deadline_ns;
}

static void *connection_loop(void *arg) {
  (void)arg;
  struct response r = {0};
  while (claim_request()) {
    int64_t latency_ns = 0;
    enum outcome o = do_request(&r, &latency_ns);
    pthread_mutex_lock(&out_lock);
    if (o == OK) {
      long n = atomic_fetch_add(&responses_done, 1);
      printf("R %lld %d\n", (long long)((latency_ns + 500) / 1000), r.status);
      if (opt.sample_every > 0 && n % opt.sample_every == 0) {
        printf("S %d %zu\n", r.status, r.body_len);
        fwrite(r.buf + r.body_start, 1, r.body_len, stdout);
        putchar('\n');
      }
    } else {
      atomic_fetch_add(&errors_done, 1);
      printf("E %s\n", outcome_name[o]);
    }
    pthread_mutex_unlock(&out_lock);
  }
  free(r.buf);
  pthread_mutex_lock(&out_lock);
  int64_t end = now_ns();
  if (end > last_end_ns) last_end_ns = end;
  if (--threads_left == 0) pthread_cond_signal(&all_done);
  pthread_mutex_unlock(&out_lock);
  return NULL;
}

// SIGKILL when the process that started us dies; if it died before prctl, we were already orphaned.
static void die_with_parent(void) {
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    perror("isobench-client: prctl(PR_SET_PDEATHSIG)");
    exit(1);
  }
  if (getppid() != parent) exit(1);
}

int main(int argc, char **argv) {
  die_with_parent();
  parse_args(argc, argv);
  struct sigaction sa = {.sa_handler = on_stop_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  static char out_buf[1 << 16];
  setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);

  atomic_store(&requests_left, opt.requests);
  int64_t started = now_ns();
  deadline_ns = started + opt.duration_ms * 1000000;
  last_end_ns = started;
  pthread_t threads[MAX_CONNECTIONS];
  int started_threads = 0;
  pthread_mutex_lock(&out_lock);
  for (int i = 0; i < opt.connections; i++) {
    if (pthread_create(&threads[i], NULL, connection_loop, NULL) != 0) {
      atomic_store(&stopping, true);
      fprintf(stderr, "isobench-client: could not start thread %d: %s\n", i, strerror(errno));
      break;
    }
    started_threads++;
    threads_left++;
  }
  // Flush every 200 ms while the threads run so the harness can show progress; wake at once
  // when the last thread ends (the wait releases out_lock, so the threads can print meanwhile).
  while (threads_left > 0) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 200 * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&all_done, &out_lock, &until);
    fflush(stdout);
  }
  int64_t ended = last_end_ns;
  pthread_mutex_unlock(&out_lock);
  for (int i = 0; i < started_threads; i++) pthread_join(threads[i], NULL);
  printf("D %ld %ld %lld\n", atomic_load(&responses_done), atomic_load(&errors_done),
         (long long)((ended - started) / 1000));
  fflush(stdout);
  return started_threads == opt.connections ? 0 : 1;
}
