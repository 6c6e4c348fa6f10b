/* Files family, path calls: open/openat, stat family, access, readlink, getcwd/chdir, and the
 * calls that change the file system (allowed only beneath a writable root). Every path goes
 * through the policy (policy.h): nothing outside the allow-list is looked up on the host. */
#include "fdtable.h"
#include "policy.h"
#include "syscall.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

long files_fstat(struct vm *vm, int gfd, uint64_t out); /* sys_files.c */

#define LX_AT_FDCWD (-100)
#define LX_O_TMPFILE_BIT 020000000 /* O_TMPFILE without its O_DIRECTORY part */

/* bounded copy (names longer than cap are cut; callers pass names from paths already checked) */
static void scopy(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = 0;
}

static int guest_dirfd(uint64_t v) { return (int)v == LX_AT_FDCWD ? AT_FDCWD : (int)v; }

static long read_path(struct vm *vm, uint64_t gva, char *buf) {
  long n = gm_read_str(vm, gva, buf, PATH_MAX);
  return n < 0 ? n : 0;
}

/* opens (dirfd, path) through the policy for a stat-like look-up; host O_PATH fd or -errno.
 * *ancestor = 1 (and -1 returned) when the path is a directory leading to an allowed entry: the
 * caller answers from policy_ancestor_stat, nothing is opened. */
static int open_for_stat(struct vm *vm, int dirfd, const char *path, int nofollow, int write, struct policy_target *t,
                         int *ancestor) {
  int rc = policy_resolve(vm, dirfd, path, write, 1, t);
  *ancestor = rc == POLICY_ANCESTOR;
  if (*ancestor) return -1;
  if (rc < 0) return rc;
  rc = policy_openat2(vm, t, O_PATH | (nofollow ? O_NOFOLLOW : 0), 0);
  return rc == -EACCES && !write ? -ENOENT : rc;
}

static long do_open(struct vm *vm, int dirfd, uint64_t gpath, uint64_t flags, uint64_t mode) {
  char path[PATH_MAX];
  struct policy_target t;
  long rc = read_path(vm, gpath, path);
  if (rc < 0) return rc;
  int acc = (int)(flags & O_ACCMODE);
  if (acc == 3) return -EINVAL;
  int write = acc != O_RDONLY || (flags & (O_CREAT | O_TRUNC | LX_O_TMPFILE_BIT));
  if ((flags & O_PATH)) write = 0;
  rc = policy_resolve(vm, dirfd, path, write, 0, &t);
  if (rc < 0) return rc;
  int keep = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY | O_NOFOLLOW | LX_O_TMPFILE_BIT | O_PATH;
  int hfd = policy_openat2(vm, &t, ((int)flags & keep) | O_NONBLOCK | O_NOCTTY, (int)(mode & 07777));
  if (hfd < 0) return hfd;
  struct stat st;
  if (fstat(hfd, &st) < 0) { close(hfd); return -EIO; }
  enum fd_kind kind;
  if (S_ISDIR(st.st_mode)) kind = FDK_DIR;
  else if (S_ISREG(st.st_mode) || (flags & O_PATH)) kind = FDK_FILE;
  else { /* devices, FIFOs, sockets in an allowed folder: could block or reach the host */
    close(hfd);
    struct fs_stats *s = policy_stats(vm);
    if (s) s->refused[REF_KIND]++;
    policy_log_once(vm, "refused file kind", t.guest);
    return -EACCES;
  }
  uint32_t status = (uint32_t)flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH);
  return fdt_install(vm, hfd, kind, status, (flags & O_CLOEXEC) != 0, 0);
}

static long sys_open(struct vm *vm, const uint64_t a[6]) { return do_open(vm, AT_FDCWD, a[0], a[1], a[2]); }
static long sys_openat(struct vm *vm, const uint64_t a[6]) { return do_open(vm, guest_dirfd(a[0]), a[1], a[2], a[3]); }
static long sys_creat(struct vm *vm, const uint64_t a[6]) { return do_open(vm, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1]); }

static long do_stat(struct vm *vm, int dirfd, uint64_t gpath, uint64_t out, uint64_t flags) {
  char path[PATH_MAX];
  long rc = read_path(vm, gpath, path);
  if (rc < 0) return rc;
  if (!path[0] && (flags & AT_EMPTY_PATH)) {
    if (dirfd != AT_FDCWD) return files_fstat(vm, dirfd, out);
    snprintf(path, sizeof(path), ".");
  }
  struct policy_target t;
  int ancestor;
  int fd = open_for_stat(vm, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) != 0, 0, &t, &ancestor);
  struct stat st;
  if (ancestor) {
    policy_ancestor_stat(t.guest, &st);
    return gm_write(vm, out, &st, sizeof(st));
  }
  if (fd < 0) return fd;
  rc = fstat(fd, &st) < 0 ? -errno : 0;
  close(fd);
  return rc ? rc : gm_write(vm, out, &st, sizeof(st));
}

static long sys_stat(struct vm *vm, const uint64_t a[6]) { return do_stat(vm, AT_FDCWD, a[0], a[1], 0); }
static long sys_lstat(struct vm *vm, const uint64_t a[6]) { return do_stat(vm, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW); }
static long sys_newfstatat(struct vm *vm, const uint64_t a[6]) { return do_stat(vm, guest_dirfd(a[0]), a[1], a[2], a[3]); }

static long sys_statx(struct vm *vm, const uint64_t a[6]) {
  int dirfd = guest_dirfd(a[0]);
  char path[PATH_MAX];
  long rc = read_path(vm, a[1], path);
  if (rc < 0) return rc;
  int flags = (int)a[2];
  struct statx stx;
  int fd;
  if (!path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
    struct fd_ofd *o = fdt_lookup(vm, dirfd);
    if (!o) return -EBADF;
    if (o->kind == FDK_STDIO) {
      memset(&stx, 0, sizeof(stx));
      stx.stx_mask = STATX_TYPE | STATX_MODE;
      stx.stx_mode = S_IFIFO | 0600;
      stx.stx_blksize = 4096;
      stx.stx_nlink = 1;
      return gm_write(vm, a[4], &stx, sizeof(stx));
    }
    if (statx(o->host_fd, "", AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE), (unsigned)a[3], &stx) < 0) return -errno;
    return gm_write(vm, a[4], &stx, sizeof(stx));
  }
  if (!path[0] && !(flags & AT_EMPTY_PATH)) return -ENOENT;
  struct policy_target t;
  int ancestor;
  fd = open_for_stat(vm, dirfd, path[0] ? path : ".", (flags & AT_SYMLINK_NOFOLLOW) != 0, 0, &t, &ancestor);
  if (ancestor) {
    struct stat st;
    policy_ancestor_stat(t.guest, &st);
    memset(&stx, 0, sizeof(stx));
    stx.stx_mask = STATX_BASIC_STATS & ~STATX_BLOCKS;
    stx.stx_blksize = (uint32_t)st.st_blksize;
    stx.stx_nlink = (uint32_t)st.st_nlink;
    stx.stx_mode = (uint16_t)st.st_mode;
    stx.stx_ino = st.st_ino;
    stx.stx_dev_minor = (uint32_t)st.st_dev;
    return gm_write(vm, a[4], &stx, sizeof(stx));
  }
  if (fd < 0) return fd;
  rc = statx(fd, "", AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE), (unsigned)a[3], &stx) < 0 ? -errno : 0;
  close(fd);
  return rc ? rc : gm_write(vm, a[4], &stx, sizeof(stx));
}

static long do_access(struct vm *vm, int dirfd, uint64_t gpath, uint64_t mode, uint64_t flags) {
  char path[PATH_MAX];
  long rc = read_path(vm, gpath, path);
  if (rc < 0) return rc;
  if (mode & ~(uint64_t)(R_OK | W_OK | X_OK)) return -EINVAL;
  struct policy_target t;
  int ancestor;
  int fd = open_for_stat(vm, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) != 0, (mode & W_OK) != 0, &t, &ancestor);
  if (ancestor) return mode & (R_OK | W_OK) ? -EACCES : 0; /* mode 0111 */
  if (fd < 0) return fd;
  rc = faccessat(fd, "", (int)mode, AT_EMPTY_PATH | (int)(flags & AT_EACCESS)) < 0 ? -errno : 0;
  close(fd);
  return rc;
}
static long sys_access(struct vm *vm, const uint64_t a[6]) { return do_access(vm, AT_FDCWD, a[0], a[1], 0); }
static long sys_faccessat(struct vm *vm, const uint64_t a[6]) { return do_access(vm, guest_dirfd(a[0]), a[1], a[2], 0); }
static long sys_faccessat2(struct vm *vm, const uint64_t a[6]) { return do_access(vm, guest_dirfd(a[0]), a[1], a[2], a[3]); }

/* splits the target into its parent directory (opened O_PATH beneath the root) and last name */
static int open_parent(struct vm *vm, struct policy_target *t, char *name, int write) {
  (void)write;
  if (t->root->file[0]) { /* a file entry: its name inside the root's directory */
    scopy(name, NAME_MAX + 1, t->root->file);
    int fd = fcntl(t->root->dirfd, F_DUPFD_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
  }
  char *slash = strrchr(t->rest, '/');
  if (!slash) {
    if (strcmp(t->rest, ".") == 0) return -EINVAL; /* the root itself */
    if (strlen(t->rest) > NAME_MAX) return -ENAMETOOLONG;
    scopy(name, NAME_MAX + 1, t->rest);
    snprintf(t->rest, sizeof(t->rest), ".");
  } else {
    if (strlen(slash + 1) > NAME_MAX) return -ENAMETOOLONG;
    scopy(name, NAME_MAX + 1, slash + 1);
    *slash = 0;
  }
  return policy_openat2(vm, t, O_PATH | O_DIRECTORY, 0);
}

static long do_readlink(struct vm *vm, int dirfd, uint64_t gpath, uint64_t buf, uint64_t cap) {
  char path[PATH_MAX], name[NAME_MAX + 1], out[PATH_MAX];
  long rc = read_path(vm, gpath, path);
  if (rc < 0) return rc;
  if ((int64_t)cap <= 0) return -EINVAL;
  ssize_t n;
  if (strcmp(path, "/proc/self/exe") == 0) {
    n = (ssize_t)strlen(policy_program(vm));
    memcpy(out, policy_program(vm), (size_t)n);
  } else {
    struct policy_target t;
    rc = policy_resolve(vm, dirfd, path, 0, 1, &t);
    if (rc == POLICY_ANCESTOR) return -EINVAL; /* a directory, not a link */
    if (rc < 0) return rc;
    int pfd = open_parent(vm, &t, name, 0);
    if (pfd < 0) return pfd == -EACCES ? -ENOENT : pfd;
    n = readlinkat(pfd, name, out, sizeof(out));
    rc = n < 0 ? -errno : 0;
    close(pfd);
    if (rc < 0) return rc;
  }
  if ((uint64_t)n > cap) n = (ssize_t)cap;
  return gm_write(vm, buf, out, (uint64_t)n) ? -EFAULT : n;
}
static long sys_readlink(struct vm *vm, const uint64_t a[6]) { return do_readlink(vm, AT_FDCWD, a[0], a[1], a[2]); }
static long sys_readlinkat(struct vm *vm, const uint64_t a[6]) { return do_readlink(vm, guest_dirfd(a[0]), a[1], a[2], a[3]); }

static long sys_getcwd(struct vm *vm, const uint64_t a[6]) {
  const char *cwd = policy_cwd(vm);
  size_t n = strlen(cwd) + 1;
  if (a[1] < n) return -ERANGE;
  return gm_write(vm, a[0], cwd, n) ? -EFAULT : (long)n;
}

static long chdir_to(struct vm *vm, int dirfd, const char *path) {
  struct policy_target t;
  int rc = policy_resolve(vm, dirfd, path, 0, 1, &t);
  if (rc == POLICY_ANCESTOR) return policy_chdir(vm, t.guest); /* searchable */
  if (rc < 0) return rc;
  int fd = policy_openat2(vm, &t, O_PATH | O_DIRECTORY, 0);
  if (fd < 0) return fd == -EACCES ? -ENOENT : fd;
  close(fd);
  return policy_chdir(vm, t.guest);
}
static long sys_chdir(struct vm *vm, const uint64_t a[6]) {
  char path[PATH_MAX];
  long rc = read_path(vm, a[0], path);
  return rc < 0 ? rc : chdir_to(vm, AT_FDCWD, path);
}
static long sys_fchdir(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = fdt_lookup(vm, (int)a[0]);
  if (!o) return -EBADF;
  if (o->kind != FDK_DIR) return -ENOTDIR;
  return chdir_to(vm, (int)a[0], ".");
}

/* mkdir/unlink/rmdir/rename: only beneath a writable root, through the parent's fd */
static long path_change(struct vm *vm, int dirfd, uint64_t gpath, int op, uint64_t arg) {
  char path[PATH_MAX], name[NAME_MAX + 1];
  long rc = read_path(vm, gpath, path);
  if (rc < 0) return rc;
  struct policy_target t;
  rc = policy_resolve(vm, dirfd, path, 1, 0, &t);
  if (rc < 0) return rc;
  int pfd = open_parent(vm, &t, name, 1);
  if (pfd < 0) return pfd;
  if (op == 0) rc = mkdirat(pfd, name, (mode_t)(arg & 07777));
  else rc = unlinkat(pfd, name, (int)(arg & AT_REMOVEDIR));
  rc = rc < 0 ? -errno : 0;
  close(pfd);
  return rc;
}
static long sys_mkdir(struct vm *vm, const uint64_t a[6]) { return path_change(vm, AT_FDCWD, a[0], 0, a[1]); }
static long sys_mkdirat(struct vm *vm, const uint64_t a[6]) { return path_change(vm, guest_dirfd(a[0]), a[1], 0, a[2]); }
static long sys_unlink(struct vm *vm, const uint64_t a[6]) { return path_change(vm, AT_FDCWD, a[0], 1, 0); }
static long sys_rmdir(struct vm *vm, const uint64_t a[6]) { return path_change(vm, AT_FDCWD, a[0], 1, AT_REMOVEDIR); }
static long sys_unlinkat(struct vm *vm, const uint64_t a[6]) {
  if (a[2] & ~(uint64_t)AT_REMOVEDIR) return -EINVAL;
  return path_change(vm, guest_dirfd(a[0]), a[1], 1, a[2]);
}

static long do_rename(struct vm *vm, int d1, uint64_t p1, int d2, uint64_t p2, uint64_t flags) {
  char a1[PATH_MAX], a2[PATH_MAX], n1[NAME_MAX + 1], n2[NAME_MAX + 1];
  long rc;
  if ((rc = read_path(vm, p1, a1)) < 0 || (rc = read_path(vm, p2, a2)) < 0) return rc;
  struct policy_target t1, t2;
  if ((rc = policy_resolve(vm, d1, a1, 1, 0, &t1)) < 0 || (rc = policy_resolve(vm, d2, a2, 1, 0, &t2)) < 0) return rc;
  int f1 = open_parent(vm, &t1, n1, 1);
  if (f1 < 0) return f1;
  int f2 = open_parent(vm, &t2, n2, 1);
  if (f2 < 0) { close(f1); return f2; }
  rc = renameat2(f1, n1, f2, n2, (unsigned)flags) < 0 ? -errno : 0;
  close(f1);
  close(f2);
  return rc;
}
static long sys_rename(struct vm *vm, const uint64_t a[6]) { return do_rename(vm, AT_FDCWD, a[0], AT_FDCWD, a[1], 0); }
static long sys_renameat(struct vm *vm, const uint64_t a[6]) { return do_rename(vm, guest_dirfd(a[0]), a[1], guest_dirfd(a[2]), a[3], 0); }
static long sys_renameat2(struct vm *vm, const uint64_t a[6]) { return do_rename(vm, guest_dirfd(a[0]), a[1], guest_dirfd(a[2]), a[3], a[4]); }

/* links, ownership and mode changes: never (a link could name a file outside a root) */
static long sys_refuse_change(struct vm *vm, const uint64_t a[6]) {
  (void)a;
  struct fs_stats *s = policy_stats(vm);
  if (s) s->refused[REF_WRITE]++;
  policy_log_once(vm, "refused write", "link/symlink/chmod/chown/utime/truncate");
  return -EPERM;
}

SYS_FAMILY_LATE(fs_path) {
  sys_register(2, "open", sys_open);
  sys_register(4, "stat", sys_stat);
  sys_register(6, "lstat", sys_lstat);
  sys_register(21, "access", sys_access);
  sys_register(79, "getcwd", sys_getcwd);
  sys_register(80, "chdir", sys_chdir);
  sys_register(81, "fchdir", sys_fchdir);
  sys_register(82, "rename", sys_rename);
  sys_register(83, "mkdir", sys_mkdir);
  sys_register(84, "rmdir", sys_rmdir);
  sys_register(85, "creat", sys_creat);
  sys_register(86, "link", sys_refuse_change);
  sys_register(87, "unlink", sys_unlink);
  sys_register(88, "symlink", sys_refuse_change);
  sys_register(89, "readlink", sys_readlink);
  sys_register(90, "chmod", sys_refuse_change);
  sys_register(91, "fchmod", sys_refuse_change);
  sys_register(92, "chown", sys_refuse_change);
  sys_register(93, "fchown", sys_refuse_change);
  sys_register(94, "lchown", sys_refuse_change);
  sys_register(76, "truncate", sys_refuse_change);
  sys_register(132, "utime", sys_refuse_change);
  sys_register(235, "utimes", sys_refuse_change);
  sys_register(257, "openat", sys_openat);
  sys_register(258, "mkdirat", sys_mkdirat);
  sys_register(260, "fchownat", sys_refuse_change);
  sys_register(262, "newfstatat", sys_newfstatat);
  sys_register(263, "unlinkat", sys_unlinkat);
  sys_register(264, "renameat", sys_renameat);
  sys_register(265, "linkat", sys_refuse_change);
  sys_register(266, "symlinkat", sys_refuse_change);
  sys_register(267, "readlinkat", sys_readlinkat);
  sys_register(268, "fchmodat", sys_refuse_change);
  sys_register(269, "faccessat", sys_faccessat);
  sys_register(280, "utimensat", sys_refuse_change);
  sys_register(316, "renameat2", sys_renameat2);
  sys_register(332, "statx", sys_statx);
  sys_register(439, "faccessat2", sys_faccessat2);
}
