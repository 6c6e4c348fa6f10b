/* Boot-time pipes and socketpairs, private to each worker (see pipes.h).
 *
 * A pipe or socketpair the master opened before the freeze used to be one host object shared
 * by the master and every worker: bytes a request left in it reached the next request, two
 * workers running at once could pass bytes to each other, and draining it at one worker's reset
 * could drop a sibling's bytes. Now:
 * - at the first fork the master's ends are drained into a snapshot (the master never runs
 *   again): per end, the messages it would receive, boundaries kept for datagram/seqpacket pairs;
 * - every worker gets its own host pipe/pair per boot-time pair, filled with the snapshot, at the
 *   host fd numbers its fd table holds for its whole life;
 * - every reset but persist puts the snapshot back: when the worker holds both ends it empties
 *   them and writes the snapshot again; when the master had closed one end (a pipe whose
 *   reader must see the bytes, then EOF) it builds a fresh pipe/pair holding the snapshot and
 *   dup3()s it over those host fd numbers. A request always starts from what the frozen master
 *   held, and no worker ever sees another's bytes.
 * Cost: host syscalls only, no guest exit. Per boot-time pair and reset, both ends held: one
 * read (pipe) or two recvs (pair) that find it empty plus one write per snapshot message; one
 * end held: pipe2/socketpair, the writes, a dup3 and two closes. */
#include "pipes.h"
#include "syscall.h"
#include "unix_pair.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct pipe_msgs { /* what one end would receive: n messages (a pipe/stream: chunks) */
  uint8_t *data;
  size_t len, n;
  uint32_t *sizes;
};

struct pipe_group {
  uint64_t id;
  int type;   /* 0 = pipe, else the pair's host SOCK_* type */
  int ofd[2]; /* the master's OFD index per end, -1 = the master had closed that end */
  struct pipe_msgs q[2];
};

struct pipes_master {
  pthread_mutex_t mu;
  int snapped, n;
  struct pipe_group *g;
};

struct pipes_worker {
  const struct pipes_master *m;
  int (*hfd)[2]; /* per group: the worker's host fd per end (-1 = none) */
};

static int g_slot = -1;
static uint64_t g_serial;

void pipes_mark_pair(struct fd_ofd *end0, struct fd_ofd *end1) {
  uint64_t id = __atomic_add_fetch(&g_serial, 1, __ATOMIC_RELAXED);
  if (end0) end0->pos = id << 1;
  if (end1) end1->pos = id << 1 | 1;
}

static int msgs_add(struct pipe_msgs *q, const void *p, size_t len) {
  uint8_t *d = realloc(q->data, q->len + len);
  uint32_t *s = realloc(q->sizes, (q->n + 1) * sizeof(*s));
  if (d) q->data = d;
  if (s) q->sizes = s;
  if ((!d && q->len + len) || !s) return -1;
  memcpy(q->data + q->len, p, len);
  q->len += len;
  q->sizes[q->n++] = (uint32_t)len;
  return 0;
}

/* moves what host_fd would receive into q (the master's end: it never runs again) */
static void drain_into(int host_fd, int type, struct pipe_msgs *q) {
  size_t cap = 256 << 10; /* above the largest unix datagram the default buffers accept */
  uint8_t *buf = malloc(cap);
  if (!buf) return;
  for (;;) {
    ssize_t n = type ? recv(host_fd, buf, cap, MSG_DONTWAIT) : read(host_fd, buf, cap);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (n == 0 && (!type || type == SOCK_STREAM))) break; /* empty, or EOF */
    if (msgs_add(q, buf, (size_t)n) < 0) break;
    if (n == 0) break; /* an empty message is kept once (a seqpacket pair at EOF would repeat it) */
  }
  free(buf);
}

static struct pipe_group *group_for(struct pipes_master *pm, uint64_t id) {
  for (int i = 0; i < pm->n; i++)
    if (pm->g[i].id == id) return &pm->g[i];
  struct pipe_group *g = realloc(pm->g, (size_t)(pm->n + 1) * sizeof(*g));
  if (!g) return NULL;
  pm->g = g;
  g = &pm->g[pm->n++];
  *g = (struct pipe_group){.id = id, .ofd = {-1, -1}};
  return g;
}

static void snapshot(struct pipes_master *pm, struct vm *master) {
  struct fd_table *t = fdt_get(master);
  for (int i = 0; t && i < t->hi_ofd; i++) {
    struct fd_ofd *o = &t->ofd[i];
    if (o->kind != FDK_PIPE || o->host_fd < 0) continue;
    /* an end created without a mark (none today) is a group of its own */
    uint64_t id = o->pos ? o->pos >> 1 : ~(uint64_t)i;
    int end = o->pos ? (int)(o->pos & 1) : (o->status & O_ACCMODE) == O_WRONLY;
    struct pipe_group *g = group_for(pm, id);
    if (!g) continue;
    g->ofd[end] = i;
    if (unix_pair_end(o)) {
      int type = SOCK_STREAM;
      socklen_t l = sizeof(type);
      getsockopt(o->host_fd, SOL_SOCKET, SO_TYPE, &type, &l);
      g->type = type;
    }
  }
  for (int k = 0; k < pm->n; k++) {
    struct pipe_group *g = &pm->g[k];
    for (int e = 0; e < 2; e++)
      if (g->ofd[e] >= 0 && (g->type || e == 0)) drain_into(t->ofd[g->ofd[e]].host_fd, g->type, &g->q[e]);
  }
  pm->snapped = 1;
}

static int write_all(int fd, int type, const struct pipe_msgs *q) {
  size_t off = 0;
  for (size_t i = 0; i < q->n; i++) {
    const uint8_t *p = q->data + off;
    size_t len = q->sizes[i], done = 0;
    off += len;
    do {
      ssize_t n = type ? send(fd, p + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL) : write(fd, p + done, len - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (type && type != SOCK_STREAM && (size_t)n != len)) return -1;
      done += (size_t)n;
    } while (done < len);
  }
  return 0;
}

/* a fresh host pipe/pair in nf holding the group's snapshot; 0 or -1 */
static int build(const struct pipe_group *g, int nf[2]) {
  int r = g->type ? socketpair(AF_UNIX, g->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, nf) : pipe2(nf, O_CLOEXEC | O_NONBLOCK);
  if (r < 0) return -1;
  /* a pipe: end 0 receives through end 1; a pair: each end receives what the other sends */
  if (write_all(nf[1], g->type, &g->q[0]) < 0 || (g->type && write_all(nf[0], g->type, &g->q[1]) < 0)) {
    close(nf[0]);
    close(nf[1]);
    return -1;
  }
  return 0;
}

static struct pipes_master *master_state(struct vm *master) { return g_slot < 0 ? NULL : master->ext[g_slot]; }

/* the worker's own pipes/pairs, or NULL (then no FDK_PIPE OFD of t keeps a host fd) */
static struct pipes_worker *give_private(struct pipes_master *pm, struct vm *master, struct fd_table *t) {
  pthread_mutex_lock(&pm->mu);
  if (!pm->snapped) snapshot(pm, master);
  pthread_mutex_unlock(&pm->mu);
  struct pipes_worker *pw = calloc(1, sizeof(*pw));
  if (!pw || !(pw->hfd = calloc((size_t)pm->n + 1, sizeof(*pw->hfd)))) { free(pw); return NULL; }
  pw->m = pm;
  for (int k = 0; k < pm->n; k++) {
    const struct pipe_group *g = &pm->g[k];
    int nf[2], ok = build(g, nf) == 0;
    pw->hfd[k][0] = pw->hfd[k][1] = -1;
    for (int e = 0; e < 2; e++) {
      if (g->ofd[e] >= 0) t->ofd[g->ofd[e]].host_fd = ok ? (pw->hfd[k][e] = nf[e]) : -1;
      else if (ok) close(nf[e]);
    }
  }
  return pw;
}

void pipes_fork(struct vm *child, struct vm *master, struct fd_table *t) {
  int any = 0;
  for (int i = 0; i < t->hi_ofd && !any; i++) any = t->ofd[i].kind == FDK_PIPE && t->ofd[i].host_fd >= 0;
  struct pipes_master *pm = master_state(master);
  if (!any || !pm) return;
  struct pipes_worker *pw = give_private(pm, master, t);
  child->ext[g_slot] = pw;
  /* anything still holding one of the master's host fds is not given to the worker */
  for (int i = 0; i < t->hi_ofd; i++) {
    struct fd_ofd *o = &t->ofd[i];
    if (o->kind != FDK_PIPE || o->host_fd < 0) continue;
    int mine = 0;
    for (int k = 0; pw && k < pm->n && !mine; k++) mine = o->host_fd == pw->hfd[k][0] || o->host_fd == pw->hfd[k][1];
    if (!mine) o->host_fd = -1;
  }
}

/* empties a host end the worker holds with its peer open (so 0 is an empty datagram, never
 * EOF); 0 when it ends empty, -1 when it could not tell (the caller rebuilds the pair) */
static int drain(int fd, int type) {
  static __thread uint8_t buf[64 << 10];
  for (int i = 0; i < 256; i++) {
    ssize_t n = type ? recv(fd, buf, sizeof(buf), MSG_DONTWAIT) : read(fd, buf, sizeof(buf));
    if (n < 0 && errno != EINTR) return errno == EAGAIN ? 0 : -1;
  }
  return -1;
}

/* the worker holds both ends: empty them and write the snapshot back (1-2 syscalls for an
 * untouched empty pipe/pair instead of 6 for a rebuild); 0 or -1 */
static int refill(const struct pipe_group *g, const int h[2]) {
  if (drain(h[0], g->type) < 0 || (g->type && drain(h[1], g->type) < 0)) return -1;
  if (write_all(h[1], g->type, &g->q[0]) < 0 || (g->type && write_all(h[0], g->type, &g->q[1]) < 0)) return -1;
  return 0;
}

/* every reset but persist: each boot-time pair back to the frozen master's content. Only the
 * buffered bytes can differ: the guest cannot close, shut down or resize these host fds (close
 * of an inherited fd keeps the host fd until destroy; shutdown/setsockopt/F_SETPIPE_SZ never
 * reach a pair end's host fd). */
static void on_reset(struct vm *vm, int full) {
  (void)full;
  struct pipes_worker *pw = g_slot < 0 ? NULL : vm->ext[g_slot];
  if (!pw) return;
  for (int k = 0; k < pw->m->n; k++) {
    const struct pipe_group *g = &pw->m->g[k];
    int nf[2], *h = pw->hfd[k];
    if (h[0] < 0 && h[1] < 0) continue;
    if (h[0] >= 0 && h[1] >= 0 && refill(g, h) == 0) continue;
    /* one end only (its peer was closed before the freeze), or the refill failed: a new pair */
    if (build(g, nf) < 0) {
      for (int e = 0; e < 2; e++) /* no fd left for one: at least nothing of this request survives */
        if (h[e] >= 0 && (g->type || e == 0)) drain(h[e], g->type);
      continue;
    }
    for (int e = 0; e < 2; e++)
      if (h[e] >= 0) dup3(nf[e], h[e], O_CLOEXEC);
    close(nf[0]);
    close(nf[1]);
  }
}

static void on_create(struct vm *vm) {
  struct pipes_master *pm = calloc(1, sizeof(*pm));
  if (!pm) return;
  pthread_mutex_init(&pm->mu, NULL);
  vm->ext[g_slot] = pm;
}

/* host fds are closed by the fd table (the worker's ends are part of its baseline) */
static void on_destroy(struct vm *vm) {
  void *s = vm->ext[g_slot];
  vm->ext[g_slot] = NULL;
  if (!s) return;
  if (vm->is_worker) {
    struct pipes_worker *pw = s;
    free(pw->hfd);
    free(pw);
    return;
  }
  struct pipes_master *pm = s;
  for (int k = 0; k < pm->n; k++)
    for (int e = 0; e < 2; e++) { free(pm->g[k].q[e].data); free(pm->g[k].q[e].sizes); }
  free(pm->g);
  pthread_mutex_destroy(&pm->mu);
  free(pm);
}

static const struct sys_family_hooks g_hooks = {.name = "pipes", .on_create = on_create, .on_reset = on_reset, .on_destroy = on_destroy};

/* after the fd table (150): its reset puts the baseline's host fd numbers back first */
SYS_FAMILY_PRIO(pipes, 160) { g_slot = sys_family_hooks_register(&g_hooks); }
