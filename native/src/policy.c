/* Sandbox file policy (see policy.h) and its public configuration (include/isobench_fs.h). */
#include "policy.h"
#include "fdtable.h"
#include "fork.h"
#include "syscall.h"
#include "../include/isobench_fs.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct policy {
  int n;
  struct policy_root r[POLICY_MAX_ROOTS];
  char program[PATH_MAX];
  char cwd[PATH_MAX]; /* initial working directory */
  int verbose;
};

struct fs_vm {
  struct policy *pol;
  int owns_pol;
  char cwd[PATH_MAX];
  uint64_t logged[16]; /* first-occurrence log: hashed keys already printed */
  struct fs_stats st;
};

static int g_slot = -1;
static __thread char tl_prog[PATH_MAX], tl_interp[PATH_MAX];

void elf_note_loaded(const char *path, const char *interp) {
  snprintf(tl_prog, sizeof(tl_prog), "%s", path ? path : "");
  snprintf(tl_interp, sizeof(tl_interp), "%s", interp ? interp : "");
}

static struct fs_vm *fsv(struct vm *vm) { return g_slot >= 0 ? vm->ext[g_slot] : NULL; }

/* normalises an absolute path lexically into out (no ".", "..", "//", trailing "/"); -ENAMETOOLONG */
static int normalise(const char *in, char *out, size_t cap) {
  size_t o = 0;
  const char *p = in;
  if (cap < 2) return -ENAMETOOLONG;
  out[o++] = '/';
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *s = p;
    while (*p && *p != '/') p++;
    size_t n = (size_t)(p - s);
    if (n == 1 && s[0] == '.') continue;
    if (n == 2 && s[0] == '.' && s[1] == '.') {
      while (o > 1 && out[o - 1] != '/') o--;
      if (o > 1) o--;
      continue;
    }
    if (o > 1) {
      if (o + 1 >= cap) return -ENAMETOOLONG;
      out[o++] = '/';
    }
    if (o + n >= cap) return -ENAMETOOLONG;
    memcpy(out + o, s, n);
    o += n;
  }
  out[o] = 0;
  return 0;
}

static int absolutise(const char *base, const char *path, char *out, size_t cap) {
  char tmp[2 * PATH_MAX + 2];
  if (path[0] == '/') snprintf(tmp, sizeof(tmp), "%s", path);
  else snprintf(tmp, sizeof(tmp), "%s/%s", base, path);
  return normalise(tmp, out, cap);
}

static uint64_t hash_str(const char *a, const char *b) {
  uint64_t h = 1469598103934665603ULL;
  for (; *a; a++) h = (h ^ (uint8_t)*a) * 1099511628211ULL;
  for (; *b; b++) h = (h ^ (uint8_t)*b) * 1099511628211ULL;
  return h;
}

void policy_log_once(struct vm *vm, const char *kind, const char *detail) {
  struct fs_vm *f = fsv(vm);
  if (!f || !f->pol || !f->pol->verbose) return;
  uint64_t h = hash_str(kind, detail) % 1024;
  if (f->logged[h / 64] & (1ULL << (h % 64))) return;
  f->logged[h / 64] |= 1ULL << (h % 64);
  fprintf(stderr, "isobench: %s: %s\n", kind, detail);
}

static int refuse(struct vm *vm, enum policy_refusal why, int err, const char *path) {
  static const char *const names[REF_N] = {"refused read", "refused write", "refused stat", "refused escape", "refused file kind"};
  struct fs_vm *f = fsv(vm);
  if (f) f->st.refused[why]++;
  policy_log_once(vm, names[why], path);
  return err;
}

int policy_fd_path(struct vm *vm, int host_fd, char *out, size_t cap) {
  (void)vm;
  char p[64];
  snprintf(p, sizeof(p), "/proc/self/fd/%d", host_fd);
  ssize_t n = readlink(p, out, cap - 1);
  if (n < 0 || (size_t)n >= cap - 1) return -ENAMETOOLONG;
  out[n] = 0;
  return 0;
}

/* is the normalised guest path a strict ancestor of an allowed entry's name? ("/" is, of any) */
static int leads_to_a_root(const struct policy *pol, const char *guest) {
  size_t n = strlen(guest);
  for (int i = 0; i < pol->n; i++) {
    const struct policy_root *r = &pol->r[i];
    if (r->len <= n) continue;
    if (n == 1 || (strncmp(r->prefix, guest, n) == 0 && r->prefix[n] == '/')) return 1;
  }
  return 0;
}

void policy_ancestor_stat(const char *guest_path, struct stat *st) {
  memset(st, 0, sizeof(*st));
  st->st_dev = 0x1b0; /* one made-up device for every such directory */
  st->st_ino = hash_str("ancestor:", guest_path) | 1;
  st->st_mode = S_IFDIR | 0111;
  st->st_nlink = 2;
  st->st_blksize = 4096;
}

int policy_resolve(struct vm *vm, int gdirfd, const char *path, int write, int for_stat, struct policy_target *t) {
  struct fs_vm *f = fsv(vm);
  if (!f || !f->pol) return -EACCES;
  if (!path[0]) return -ENOENT;
  char base[PATH_MAX];
  if (path[0] == '/') base[0] = 0;
  else if (gdirfd == AT_FDCWD) snprintf(base, sizeof(base), "%s", f->cwd);
  else {
    struct fd_ofd *o = fdt_lookup(vm, gdirfd);
    if (!o) return -EBADF;
    if (o->kind != FDK_DIR) return -ENOTDIR;
    int rc = policy_fd_path(vm, o->host_fd, base, sizeof(base));
    if (rc < 0) return rc;
  }
  int rc = absolutise(base, path, t->guest, sizeof(t->guest));
  if (rc < 0) return rc;
  const struct policy *pol = f->pol;
  const struct policy_root *best = NULL;
  for (int i = 0; i < pol->n; i++) {
    const struct policy_root *r = &pol->r[i];
    int match;
    if (r->file[0]) match = strcmp(t->guest, r->prefix) == 0;
    else match = r->len == 1 || (strncmp(t->guest, r->prefix, r->len) == 0 && (t->guest[r->len] == 0 || t->guest[r->len] == '/'));
    if (match && (!best || r->len > best->len)) best = r;
  }
  if (!best && for_stat && leads_to_a_root(pol, t->guest)) {
    t->root = NULL;
    t->rest[0] = 0;
    return POLICY_ANCESTOR;
  }
  if (!best) return refuse(vm, for_stat ? REF_STAT : write ? REF_WRITE : REF_READ, for_stat ? -ENOENT : -EACCES, t->guest);
  if (write && !best->writable) return refuse(vm, REF_WRITE, -EACCES, t->guest);
  t->root = best;
  if (best->file[0]) snprintf(t->rest, sizeof(t->rest), "%s", best->file);
  else if (t->guest[best->len] == 0 || best->len == 1) snprintf(t->rest, sizeof(t->rest), "%s", best->len == 1 && t->guest[1] ? t->guest + 1 : ".");
  else snprintf(t->rest, sizeof(t->rest), "%s", t->guest + best->len + 1);
  return 0;
}

int policy_openat2(struct vm *vm, const struct policy_target *t, int host_flags, int mode) {
  struct fs_vm *f = fsv(vm);
  struct open_how how = {.flags = (uint64_t)(host_flags | O_CLOEXEC), .mode = (uint64_t)mode,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
  if (how.flags & O_PATH) how.flags &= O_PATH | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY;
  if (!(how.flags & (O_CREAT | 020000000))) how.mode = 0; /* mode only with O_CREAT or O_TMPFILE */
  if (f) {
    f->st.host_opens++;
    char *e = f->st.log[f->st.log_n % POLICY_LOG_MAX];
    const char *a = t->root->file[0] ? t->root->prefix : t->root->prefix, *b = t->root->file[0] ? "" : t->rest;
    const char *sep = t->root->file[0] || t->root->len == 1 ? "" : "/";
    snprintf(e, sizeof(f->st.log[0]), "%.100s%s%.58s", a, sep, b);
    f->st.log_n++;
  }
  long fd = syscall(SYS_openat2, t->root->dirfd, t->rest, &how, sizeof(how));
  if (fd < 0) {
    int e = errno;
    if (e == EXDEV) return refuse(vm, REF_ESCAPE, -EACCES, t->guest); /* ".." or a symlink leaving the root */
    return -e;
  }
  return (int)fd;
}

const char *policy_cwd(struct vm *vm) {
  struct fs_vm *f = fsv(vm);
  return f ? f->cwd : "/";
}

int policy_chdir(struct vm *vm, const char *guest_path) {
  struct fs_vm *f = fsv(vm);
  if (!f) return -ENOENT;
  snprintf(f->cwd, sizeof(f->cwd), "%s", guest_path);
  return 0;
}

const char *policy_program(struct vm *vm) {
  struct fs_vm *f = fsv(vm);
  return f && f->pol ? f->pol->program : "";
}

struct fs_stats *policy_stats(struct vm *vm) {
  struct fs_vm *f = fsv(vm);
  return f ? &f->st : NULL;
}

int policy_verbose(struct vm *vm) {
  struct fs_vm *f = fsv(vm);
  return f && f->pol ? f->pol->verbose : 0;
}

/* ---- configuration ---- */

static int add_root(struct policy *pol, const char *guest_prefix, const char *host_dir, const char *file, int writable) {
  if (pol->n == POLICY_MAX_ROOTS) { ib_set_error("too many allowed paths (max %d)", POLICY_MAX_ROOTS); return -1; }
  for (int i = 0; i < pol->n; i++) /* same entry again: widen to writable if asked */
    if (strcmp(pol->r[i].prefix, guest_prefix) == 0 && strcmp(pol->r[i].file, file) == 0) {
      pol->r[i].writable |= writable;
      return 0;
    }
  int fd = open(host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) { ib_set_error("allowed path %s: %s", host_dir, strerror(errno)); return -1; }
  struct policy_root *r = &pol->r[pol->n++];
  snprintf(r->prefix, sizeof(r->prefix), "%s", guest_prefix);
  r->len = strlen(r->prefix);
  snprintf(r->file, sizeof(r->file), "%s", file);
  r->dirfd = fd;
  r->writable = writable;
  return 0;
}

/* allows path (file or directory) under its given name and under its real name */
static int allow(struct policy *pol, const char *path, int writable, int must_exist) {
  char host_cwd[PATH_MAX], given[PATH_MAX], real[PATH_MAX];
  if (!getcwd(host_cwd, sizeof(host_cwd))) snprintf(host_cwd, sizeof(host_cwd), "/");
  if (!path || !path[0] || absolutise(host_cwd, path, given, sizeof(given)) < 0) { ib_set_error("bad allowed path '%s'", path ? path : ""); return -1; }
  if (!realpath(given, real)) {
    if (!must_exist) return 0;
    ib_set_error("allowed path %s: %s", given, strerror(errno));
    return -1;
  }
  struct stat st;
  if (stat(real, &st) < 0) { ib_set_error("allowed path %s: %s", real, strerror(errno)); return -1; }
  const char *names[2] = {given, real};
  for (int k = 0; k < 2; k++) {
    if (k == 1 && strcmp(given, real) == 0) break;
    if (S_ISDIR(st.st_mode)) {
      if (add_root(pol, names[k], real, "", writable) < 0) return -1;
    } else {
      /* a file: its parent (real) directory, and the name as given (a symlink there resolves
       * beneath that directory or not at all) */
      char parent[PATH_MAX], preal[PATH_MAX];
      snprintf(parent, sizeof(parent), "%s", names[k]);
      char *slash = strrchr(parent, '/');
      const char *name = slash + 1;
      if (slash == parent) parent[1] = 0;
      else *slash = 0;
      name = names[k] + (name - parent);
      if (!realpath(parent, preal)) { ib_set_error("allowed path %s: %s", parent, strerror(errno)); return -1; }
      if (add_root(pol, names[k], preal, name, writable) < 0) return -1;
    }
  }
  return 0;
}

static void policy_defaults(struct policy *pol, const char *prog, const char *interp) {
  if (prog[0]) allow(pol, prog, 0, 0);
  if (interp[0]) allow(pol, interp, 0, 0);
  static const char *const sys[] = {"/etc/ld.so.cache", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", NULL};
  for (int i = 0; sys[i]; i++) allow(pol, sys[i], 0, 0);
  /* a Python interpreter: its standard library */
  char real[PATH_MAX];
  if (prog[0] && realpath(prog, real)) {
    const char *b = strrchr(real, '/');
    b = b ? b + 1 : real;
    int maj, min;
    if (sscanf(b, "python%d.%d", &maj, &min) == 2) {
      char lib[64];
      snprintf(lib, sizeof(lib), "/usr/lib/python%d.%d", maj, min);
      allow(pol, lib, 0, 0);
    }
  }
}

static void on_create(struct vm *vm) {
  struct fs_vm *f = calloc(1, sizeof(*f));
  struct policy *pol = calloc(1, sizeof(*pol));
  if (!f || !pol) { free(f); free(pol); return; }
  char host_cwd[PATH_MAX];
  if (!getcwd(host_cwd, sizeof(host_cwd))) snprintf(host_cwd, sizeof(host_cwd), "/");
  if (!tl_prog[0] || absolutise(host_cwd, tl_prog, pol->program, sizeof(pol->program)) < 0) pol->program[0] = 0;
  snprintf(pol->cwd, sizeof(pol->cwd), "/");
  policy_defaults(pol, tl_prog, tl_interp);
  f->pol = pol;
  f->owns_pol = 1;
  snprintf(f->cwd, sizeof(f->cwd), "%s", pol->cwd);
  vm->ext[g_slot] = f;
}

static void on_fork(struct vm *child, struct vm *master) {
  struct fs_vm *mf = fsv(master);
  struct fs_vm *f = calloc(1, sizeof(*f));
  if (!f || !mf) { free(f); return; }
  f->pol = mf->pol;
  snprintf(f->cwd, sizeof(f->cwd), "%s", mf->cwd);
  child->ext[g_slot] = f;
}

static void on_reset(struct vm *vm, int full) {
  (void)full;
  struct fs_vm *f = fsv(vm);
  struct fs_vm *mf = vm->master ? fsv(&vm->master->vm) : NULL;
  if (f && mf && strcmp(f->cwd, mf->cwd) != 0) snprintf(f->cwd, sizeof(f->cwd), "%s", mf->cwd);
}

static void on_destroy(struct vm *vm) {
  struct fs_vm *f = fsv(vm);
  if (!f) return;
  if (f->owns_pol && f->pol) {
    for (int i = 0; i < f->pol->n; i++) close(f->pol->r[i].dirfd);
    free(f->pol);
  }
  free(f);
  vm->ext[g_slot] = NULL;
}

static const struct sys_family_hooks g_hooks = {
    .name = "policy", .on_create = on_create, .on_fork = on_fork, .on_reset = on_reset, .on_destroy = on_destroy};

SYS_FAMILY_PRIO(policy, 151) { g_slot = sys_family_hooks_register(&g_hooks); }

/* ---- public API ---- */

static struct fs_vm *master_fs(ib_master *m) {
  if (!m) { ib_set_error("null master"); return NULL; }
  struct fs_vm *f = fsv(&m->vm);
  if (!f || !f->pol) { ib_set_error("master has no file policy"); return NULL; }
  if (m->frozen) { ib_set_error("the policy must be set before the master runs"); return NULL; }
  return f;
}

int ib_master_allow_read(ib_master *m, const char *path) {
  struct fs_vm *f = master_fs(m);
  return f ? allow(f->pol, path, 0, 1) : -1;
}

int ib_master_allow_write(ib_master *m, const char *path) {
  struct fs_vm *f = master_fs(m);
  return f ? allow(f->pol, path, 1, 1) : -1;
}

int ib_master_set_cwd(ib_master *m, const char *path) {
  struct fs_vm *f = master_fs(m);
  if (!f) return -1;
  char abs[PATH_MAX];
  if (!path || path[0] != '/' || normalise(path, abs, sizeof(abs)) < 0) { ib_set_error("cwd must be an absolute path"); return -1; }
  snprintf(f->pol->cwd, sizeof(f->pol->cwd), "%s", abs);
  snprintf(f->cwd, sizeof(f->cwd), "%s", abs);
  return 0;
}

int ib_master_set_fs_verbose(ib_master *m, int on) {
  struct fs_vm *f = master_fs(m);
  if (!f) return -1;
  f->pol->verbose = on;
  return 0;
}

int policy_confine(struct vm *vm, const char *dir) {
  struct fs_vm *f = fsv(vm);
  if (!f || !f->owns_pol) { ib_set_error("policy_confine: not a master with a policy"); return -1; }
  char abs[PATH_MAX] = "/";
  if (dir && (dir[0] != '/' || normalise(dir, abs, sizeof(abs)) < 0)) { ib_set_error("policy_confine: %s is not an absolute path", dir); return -1; }
  for (int i = 0; i < f->pol->n; i++) close(f->pol->r[i].dirfd);
  f->pol->n = 0;
  if (dir && allow(f->pol, abs, 1, 1) < 0) return -1;
  snprintf(f->pol->cwd, sizeof(f->pol->cwd), "%s", abs);
  snprintf(f->cwd, sizeof(f->cwd), "%s", abs);
  return 0;
}

static char *stats_json(struct vm *vm) {
  struct fs_vm *f = fsv(vm);
  struct fs_stats z;
  memset(&z, 0, sizeof(z));
  const struct fs_stats *s = f ? &f->st : &z;
  char *out = malloc(512);
  if (!out) return NULL;
  snprintf(out, 512,
           "{\"hostOpens\":%llu,\"refused\":{\"read\":%llu,\"write\":%llu,\"stat\":%llu,\"escape\":%llu,\"kind\":%llu},\"openFds\":%d}",
           (unsigned long long)s->host_opens, (unsigned long long)s->refused[REF_READ], (unsigned long long)s->refused[REF_WRITE],
           (unsigned long long)s->refused[REF_STAT], (unsigned long long)s->refused[REF_ESCAPE],
           (unsigned long long)s->refused[REF_KIND], fdt_open_count(vm));
  return out;
}

char *ib_master_fs_json(ib_master *m) { return m ? stats_json(&m->vm) : NULL; }
char *ib_worker_fs_json(ib_worker *w) { return w ? stats_json(&w->vm) : NULL; }
void ib_fs_json_free(char *s) { free(s); }

size_t ib_master_fs_opened(ib_master *m, size_t i, char *buf, size_t cap) {
  struct fs_vm *f = m ? fsv(&m->vm) : NULL;
  if (!f || i >= f->st.log_n || i + POLICY_LOG_MAX < f->st.log_n || !cap) return 0;
  return (size_t)snprintf(buf, cap, "%s", f->st.log[i % POLICY_LOG_MAX]);
}
