/* Guest fd table (see fdtable.h). owned: 0 = the master's host fd shared by a worker,
 * 1 = opened since the baseline (closed on close/reset/destroy), 2 = the worker's private
 * re-opening of an inherited file (part of its baseline, closed on destroy). */
#include "fdtable.h"
#include "pipes.h"
#include "syscall.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OWN_SHARED 0
#define OWN_REQUEST 1
#define OWN_LIFETIME 2

struct fdt_state {
  struct fd_table cur;
  struct fd_table base; /* worker: state to return to on reset */
};

static int g_slot = -1;
static const struct fd_kind_ops *g_ops[FDK_N];

void fdt_register_kind(enum fd_kind kind, const struct fd_kind_ops *ops) {
  if (kind > FDK_FREE && kind < FDK_N) g_ops[kind] = ops;
}
const struct fd_kind_ops *fdt_kind_ops(enum fd_kind kind) { return kind < FDK_N ? g_ops[kind] : NULL; }

static void table_init(struct fd_table *t) {
  memset(t, 0, sizeof(*t));
  for (int i = 0; i < FDT_MAX_FD; i++) t->fd[i] = -1;
  for (int i = 0; i < 3; i++) {
    t->fd[i] = (int16_t)i;
    t->ofd[i] = (struct fd_ofd){.host_fd = -1, .kind = FDK_STDIO, .refs = 1, .status = i == 0 ? O_RDONLY : O_WRONLY};
  }
  t->hi_fd = t->hi_ofd = 3;
}

static struct fdt_state *state(struct vm *vm) {
  if (g_slot < 0) return NULL;
  struct fdt_state *s = vm->ext[g_slot];
  if (!s) { /* a VM created before the hooks ran (should not happen): give it a table */
    s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    table_init(&s->cur);
    s->base = s->cur;
    vm->ext[g_slot] = s;
  }
  return s;
}

struct fd_table *fdt_get(struct vm *vm) {
  struct fdt_state *s = state(vm);
  return s ? &s->cur : NULL;
}

void fdt_touch(struct vm *vm) {
  struct fd_table *t = fdt_get(vm);
  if (t) t->generation++;
}

int fdt_open_count(struct vm *vm) {
  struct fd_table *t = fdt_get(vm);
  int n = 0;
  for (int i = 0; t && i < t->hi_fd; i++) n += t->fd[i] >= 0;
  return n;
}

struct fd_ofd *fdt_lookup(struct vm *vm, int gfd) {
  struct fd_table *t = fdt_get(vm);
  if (!t || gfd < 0 || gfd >= FDT_MAX_FD || t->fd[gfd] < 0) return NULL;
  return &t->ofd[t->fd[gfd]];
}

int fdt_host_fd(struct vm *vm, int gfd, enum fd_kind want) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) return -EBADF;
  if (want != FDK_FREE && o->kind != want) return (want == FDK_SOCKET || want == FDK_LISTEN) ? -ENOTSOCK : -EBADF;
  return o->host_fd < 0 ? -EBADF : o->host_fd;
}

static int free_fd(const struct fd_table *t, int min_fd) {
  for (int i = min_fd < 0 ? 0 : min_fd; i < FDT_MAX_FD; i++)
    if (t->fd[i] < 0) return i;
  return -EMFILE;
}

static int free_ofd(const struct fd_table *t) {
  for (int i = 0; i < FDT_MAX_OFD; i++)
    if (t->ofd[i].kind == FDK_FREE) return i;
  return -ENFILE;
}

int fdt_install(struct vm *vm, int host_fd, enum fd_kind kind, uint32_t status, int cloexec, int min_fd) {
  struct fd_table *t = fdt_get(vm);
  int gfd = t ? free_fd(t, min_fd) : -ENOMEM;
  int oi = t ? free_ofd(t) : -ENOMEM;
  if (gfd < 0 || oi < 0) {
    if (host_fd >= 0) close(host_fd);
    return gfd < 0 ? gfd : -EMFILE;
  }
  t->ofd[oi] = (struct fd_ofd){.host_fd = host_fd, .kind = (uint8_t)kind, .owned = OWN_REQUEST, .refs = 1, .status = status};
  t->fd[gfd] = (int16_t)oi;
  t->cloexec[gfd] = cloexec ? 1 : 0;
  if (gfd >= t->hi_fd) t->hi_fd = gfd + 1;
  if (oi >= t->hi_ofd) t->hi_ofd = oi + 1;
  t->generation++;
  return gfd;
}

static void ofd_release(struct vm *vm, struct fd_ofd *o) {
  const struct fd_kind_ops *ops = fdt_kind_ops(o->kind);
  if (ops && ops->on_close) ops->on_close(vm, o);
  if (o->owned != OWN_SHARED && o->host_fd >= 0) close(o->host_fd);
  memset(o, 0, sizeof(*o));
}

int fdt_close(struct vm *vm, int gfd) {
  struct fd_table *t = fdt_get(vm);
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) return -EBADF;
  t->fd[gfd] = -1;
  t->cloexec[gfd] = 0;
  if (--o->refs == 0) {
    /* an inherited OFD (shared or the worker's private re-opening) stays open on the host
     * until reset/destroy: the baseline still refers to it */
    if (o->owned == OWN_REQUEST) ofd_release(vm, o);
    else memset(o, 0, sizeof(*o));
  }
  t->generation++;
  return 0;
}

int fdt_dup(struct vm *vm, int oldfd, int newfd, int min_fd, int cloexec) {
  struct fd_table *t = fdt_get(vm);
  struct fd_ofd *o = fdt_lookup(vm, oldfd);
  if (!o) return -EBADF;
  if (newfd >= FDT_MAX_FD) return -EBADF;
  if (newfd >= 0) {
    if (newfd == oldfd) return newfd;
    if (t->fd[newfd] >= 0) fdt_close(vm, newfd);
  } else {
    newfd = free_fd(t, min_fd);
    if (newfd < 0) return newfd;
  }
  t->fd[newfd] = t->fd[oldfd];
  t->cloexec[newfd] = cloexec ? 1 : 0;
  o->refs++;
  if (newfd >= t->hi_fd) t->hi_fd = newfd + 1;
  t->generation++;
  return newfd;
}

/* copies the used prefix of src into dst */
static void table_copy(struct fd_table *dst, const struct fd_table *src) {
  int hf = dst->hi_fd > src->hi_fd ? dst->hi_fd : src->hi_fd;
  int ho = dst->hi_ofd > src->hi_ofd ? dst->hi_ofd : src->hi_ofd;
  memcpy(dst->fd, src->fd, (size_t)hf * sizeof(dst->fd[0]));
  memcpy(dst->cloexec, src->cloexec, (size_t)hf);
  memcpy(dst->ofd, src->ofd, (size_t)ho * sizeof(dst->ofd[0]));
  dst->hi_fd = src->hi_fd;
  dst->hi_ofd = src->hi_ofd;
  dst->generation = src->generation;
}

static void on_create(struct vm *vm) {
  struct fdt_state *s = calloc(1, sizeof(*s));
  if (!s) return;
  table_init(&s->cur);
  vm->ext[g_slot] = s;
}

/* the worker sees the OFD's fds as closed (it could not get a private host fd for it) */
static void drop_inherited(struct fd_table *t, int i) {
  for (int g = 0; g < t->hi_fd; g++)
    if (t->fd[g] == i) t->fd[g] = -1;
  memset(&t->ofd[i], 0, sizeof(t->ofd[i]));
}

static void on_fork(struct vm *child, struct vm *master) {
  struct fdt_state *ms = state(master);
  struct fdt_state *s = calloc(1, sizeof(*s));
  if (!s || !ms) { free(s); return; }
  table_init(&s->cur);
  table_copy(&s->cur, &ms->cur);
  struct fd_table *t = &s->cur;
  /* pipes and socketpairs: the worker's own, holding what the master's held (pipes.c) */
  pipes_fork(child, master, t);
  for (int i = 0; i < t->hi_ofd; i++) {
    struct fd_ofd *o = &t->ofd[i];
    if (o->kind == FDK_PIPE) {
      if (o->host_fd >= 0) o->owned = OWN_LIFETIME;
      else drop_inherited(t, i);
      continue;
    }
    if (o->kind == FDK_FREE || o->host_fd < 0) continue;
    const struct fd_kind_ops *ops = fdt_kind_ops(o->kind);
    enum fd_fork_policy pol = ops ? ops->fork_policy : (o->kind == FDK_FILE || o->kind == FDK_DIR ? FDT_FORK_REOPEN : FDT_FORK_SHARE);
    if (pol == FDT_FORK_REOPEN) {
      char p[64];
      snprintf(p, sizeof(p), "/proc/self/fd/%d", o->host_fd);
      int fd = open(p, (o->kind == FDK_DIR ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        lseek(fd, lseek(o->host_fd, 0, SEEK_CUR), SEEK_SET);
        o->host_fd = fd;
        o->owned = OWN_LIFETIME;
        continue;
      }
      drop_inherited(t, i); /* could not re-open: closed rather than share an offset */
      continue;
    }
    o->owned = OWN_SHARED;
  }
  s->base = s->cur;
  child->ext[g_slot] = s;
}

static void close_request_fds(struct vm *vm, struct fd_table *t) {
  for (int i = 0; i < t->hi_ofd; i++)
    if (t->ofd[i].kind != FDK_FREE && t->ofd[i].owned == OWN_REQUEST) ofd_release(vm, &t->ofd[i]);
}

static void on_reset(struct vm *vm, int full) {
  (void)full;
  struct fdt_state *s = state(vm);
  if (!s || s->cur.generation == s->base.generation) return;
  close_request_fds(vm, &s->cur);
  table_copy(&s->cur, &s->base);
  /* directories re-read from their baseline position */
  for (int i = 0; i < s->cur.hi_ofd; i++) {
    struct fd_ofd *o = &s->cur.ofd[i];
    if (o->kind == FDK_DIR && o->owned == OWN_LIFETIME) lseek(o->host_fd, (off_t)o->pos, SEEK_SET);
  }
}

static void on_destroy(struct vm *vm) {
  struct fdt_state *s = state(vm);
  if (!s) return;
  close_request_fds(vm, &s->cur);
  /* the baseline's own host fds: the master's (owned 1) or a worker's private re-openings */
  struct fd_table *b = vm->is_worker ? &s->base : &s->cur;
  for (int i = 0; i < b->hi_ofd; i++) {
    struct fd_ofd *o = &b->ofd[i];
    if (o->kind == FDK_FREE || o->host_fd < 0) continue;
    if ((vm->is_worker && o->owned == OWN_LIFETIME) || (!vm->is_worker && o->owned == OWN_REQUEST)) close(o->host_fd);
  }
  free(s);
  vm->ext[g_slot] = NULL;
}

static const struct sys_family_hooks g_hooks = {
    .name = "fdtable", .on_create = on_create, .on_fork = on_fork, .on_reset = on_reset, .on_destroy = on_destroy};

/* registered before the syscall families (priority 150) so every family can use the table */
SYS_FAMILY_PRIO(fdtable, 150) { g_slot = sys_family_hooks_register(&g_hooks); }
