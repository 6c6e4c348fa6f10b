/* Files family, fd operations: read/write (and vectored, positional), lseek, close, dup*, fcntl,
 * ioctl (FIONBIO/FIONREAD/FIOCLEX only), fstat, pipe2, getdents64, ftruncate/fsync. Every guest
 * fd goes through the fd table (fdtable.h); paths are in sys_fs_path.c. Replaces the core's
 * stdio-only read/write/close/ioctl (SYS_FAMILY_LATE). */
#include "fdtable.h"
#include "pipes.h"
#include "policy.h"
#include "sys_io.h"
#include "syscall.h"
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define IO_MAX (1ULL << 30) /* one call moves at most this much, like Linux's MAX_RW_COUNT */
#define LX_O_LARGEFILE 0100000

static int readable(const struct fd_ofd *o) { return !(o->status & O_PATH) && (o->status & O_ACCMODE) != O_WRONLY; }
static int writable(const struct fd_ofd *o) { return !(o->status & O_PATH) && (o->status & O_ACCMODE) != O_RDONLY; }

/* a blocking read/write on an empty/full pipe can never complete: one guest thread */
static long pipe_would_block(struct vm *vm, int gfd, const char *what) {
  policy_log_once(vm, "deadlock", what);
  vm_stop(vm, STOP_KILLED, "guest blocked forever in %s on pipe fd %d (single guest thread)", what, gfd);
  return -EAGAIN;
}

static long fd_read(struct vm *vm, int gfd, uint64_t buf, uint64_t len, int64_t at) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) return -EBADF;
  if (!readable(o)) return -EBADF;
  if (len > IO_MAX) len = IO_MAX;
  switch (o->kind) {
  case FDK_STDIO: return 0; /* stdin is empty; 1/2 are write-only */
  case FDK_DIR: return -EISDIR;
  default: break;
  }
  if (at >= 0 && o->kind != FDK_FILE) return -ESPIPE;
  const struct fd_kind_ops *ops = fdt_kind_ops(o->kind);
  if (ops && ops->read) return ops->read(vm, gfd, o, buf, len);
  void *p = gm_write_ptr(vm, buf, len);
  if (!p && len) return -EFAULT;
  if (o->kind == FDK_FILE) {
    ssize_t n = pread(o->host_fd, p, len, at >= 0 ? at : (off_t)o->pos);
    if (n < 0) return -errno;
    if (at < 0 && n > 0) { o->pos += (uint64_t)n; fdt_touch(vm); }
    return n;
  }
  ssize_t n = read(o->host_fd, p, len);
  if (n < 0 && errno == EAGAIN && o->kind == FDK_PIPE && !(o->status & O_NONBLOCK)) return pipe_would_block(vm, gfd, "read");
  return n < 0 ? -errno : n;
}

static long fd_write(struct vm *vm, int gfd, uint64_t buf, uint64_t len, int64_t at) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) return -EBADF;
  if (!writable(o)) return -EBADF;
  if (len > IO_MAX) len = IO_MAX;
  if (o->kind == FDK_STDIO) return at >= 0 ? -ESPIPE : sys_io_capture(vm, gfd, buf, len);
  if (o->kind == FDK_DIR) return -EISDIR;
  if (at >= 0 && o->kind != FDK_FILE) return -ESPIPE;
  const struct fd_kind_ops *ops = fdt_kind_ops(o->kind);
  if (ops && ops->write) return ops->write(vm, gfd, o, buf, len);
  const void *p = gm_read_ptr(vm, buf, len);
  if (!p && len) return -EFAULT;
  if (o->kind == FDK_FILE) {
    off_t off = at >= 0 ? at : (off_t)o->pos;
    struct stat st;
    if (at < 0 && (o->status & O_APPEND) && fstat(o->host_fd, &st) == 0) off = st.st_size;
    ssize_t n = pwrite(o->host_fd, p, len, off);
    if (n < 0) return -errno;
    if (at < 0) { o->pos = (uint64_t)off + (uint64_t)n; fdt_touch(vm); }
    return n;
  }
  ssize_t n = write(o->host_fd, p, len);
  if (n < 0 && errno == EAGAIN && o->kind == FDK_PIPE && !(o->status & O_NONBLOCK)) return pipe_would_block(vm, gfd, "write");
  return n < 0 ? -errno : n;
}

static long sys_read(struct vm *vm, const uint64_t a[6]) { return fd_read(vm, (int)a[0], a[1], a[2], -1); }
static long sys_write(struct vm *vm, const uint64_t a[6]) { return fd_write(vm, (int)a[0], a[1], a[2], -1); }
static long sys_pread64(struct vm *vm, const uint64_t a[6]) {
  if ((int64_t)a[3] < 0) return -EINVAL;
  return fd_read(vm, (int)a[0], a[1], a[2], (int64_t)a[3]);
}
static long sys_pwrite64(struct vm *vm, const uint64_t a[6]) {
  if ((int64_t)a[3] < 0) return -EINVAL;
  return fd_write(vm, (int)a[0], a[1], a[2], (int64_t)a[3]);
}

/* readv/writev/preadv/pwritev: one segment at a time, stopping at a short transfer */
static long vectored(struct vm *vm, const uint64_t a[6], int write, int64_t at) {
  if (a[2] > 1024) return -EINVAL;
  if (!fdt_lookup(vm, (int)a[0])) return -EBADF;
  long total = 0;
  for (uint64_t i = 0; i < a[2]; i++) {
    struct iovec iov;
    if (gm_read(vm, a[1] + i * sizeof(iov), &iov, sizeof(iov))) return total ? total : -EFAULT;
    if (!iov.iov_len) continue;
    long n = write ? fd_write(vm, (int)a[0], (uint64_t)(uintptr_t)iov.iov_base, iov.iov_len, at >= 0 ? at + total : -1)
                   : fd_read(vm, (int)a[0], (uint64_t)(uintptr_t)iov.iov_base, iov.iov_len, at >= 0 ? at + total : -1);
    if (n < 0) return total ? total : n;
    total += n;
    if ((uint64_t)n < iov.iov_len || vm->stop != STOP_NONE) break;
  }
  return total;
}
static long sys_readv(struct vm *vm, const uint64_t a[6]) { return vectored(vm, a, 0, -1); }
static long sys_writev(struct vm *vm, const uint64_t a[6]) { return vectored(vm, a, 1, -1); }
static long sys_preadv(struct vm *vm, const uint64_t a[6]) { return (int64_t)a[3] < 0 ? -EINVAL : vectored(vm, a, 0, (int64_t)a[3]); }
static long sys_pwritev(struct vm *vm, const uint64_t a[6]) { return (int64_t)a[3] < 0 ? -EINVAL : vectored(vm, a, 1, (int64_t)a[3]); }

static long sys_lseek(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = fdt_lookup(vm, (int)a[0]);
  if (!o) return -EBADF;
  int64_t off = (int64_t)a[1];
  int whence = (int)a[2];
  if (o->kind == FDK_DIR) {
    off_t r = lseek(o->host_fd, off, whence);
    if (r < 0) return -errno;
    o->pos = (uint64_t)r;
    fdt_touch(vm);
    return r;
  }
  if (o->kind != FDK_FILE) return -ESPIPE;
  int64_t np;
  struct stat st;
  switch (whence) {
  case SEEK_SET: np = off; break;
  case SEEK_CUR: np = (int64_t)o->pos + off; break;
  case SEEK_END:
    if (fstat(o->host_fd, &st) < 0) return -errno;
    np = st.st_size + off;
    break;
  case SEEK_DATA:
  case SEEK_HOLE: {
    off_t r = lseek(o->host_fd, off, whence);
    if (r < 0) return -errno;
    np = r;
    break;
  }
  default: return -EINVAL;
  }
  if (np < 0) return -EINVAL;
  if ((uint64_t)np != o->pos) { o->pos = (uint64_t)np; fdt_touch(vm); }
  return np;
}

static long sys_close(struct vm *vm, const uint64_t a[6]) { return fdt_close(vm, (int)a[0]); }
static long sys_dup(struct vm *vm, const uint64_t a[6]) { return fdt_dup(vm, (int)a[0], -1, 0, 0); }
static long sys_dup2(struct vm *vm, const uint64_t a[6]) {
  if ((int64_t)a[1] < 0 || a[1] >= FDT_MAX_FD) return fdt_lookup(vm, (int)a[0]) ? -EBADF : -EBADF;
  return fdt_dup(vm, (int)a[0], (int)a[1], 0, 0);
}
static long sys_dup3(struct vm *vm, const uint64_t a[6]) {
  if (a[0] == a[1] || (a[2] & ~(uint64_t)O_CLOEXEC)) return -EINVAL;
  if ((int64_t)a[1] < 0 || a[1] >= FDT_MAX_FD) return -EBADF;
  return fdt_dup(vm, (int)a[0], (int)a[1], 0, (a[2] & O_CLOEXEC) != 0);
}

static long sys_fcntl(struct vm *vm, const uint64_t a[6]) {
  int gfd = (int)a[0];
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  struct fd_table *t = fdt_get(vm);
  if (!o) return -EBADF;
  switch ((int)a[1]) {
  case F_DUPFD: return (int64_t)a[2] < 0 || a[2] >= FDT_MAX_FD ? -EINVAL : fdt_dup(vm, gfd, -1, (int)a[2], 0);
  case F_DUPFD_CLOEXEC: return (int64_t)a[2] < 0 || a[2] >= FDT_MAX_FD ? -EINVAL : fdt_dup(vm, gfd, -1, (int)a[2], 1);
  case F_GETFD: return t->cloexec[gfd] ? FD_CLOEXEC : 0;
  case F_SETFD:
    t->cloexec[gfd] = (a[2] & FD_CLOEXEC) ? 1 : 0;
    fdt_touch(vm);
    return 0;
  case F_GETFL: return (long)(o->status | (o->kind == FDK_FILE || o->kind == FDK_DIR ? LX_O_LARGEFILE : 0));
  case F_SETFL: {
    uint32_t settable = O_APPEND | O_NONBLOCK;
    o->status = (o->status & ~settable) | ((uint32_t)a[2] & settable);
    fdt_touch(vm);
    return 0;
  }
  case F_GETLK: {
    struct flock fl;
    if (gm_read(vm, a[2], &fl, sizeof(fl))) return -EFAULT;
    fl.l_type = F_UNLCK; /* one process: nothing else holds a lock */
    return gm_write(vm, a[2], &fl, sizeof(fl));
  }
  case F_SETLK:
  case F_SETLKW:
  case F_OFD_SETLK:
  case F_OFD_SETLKW: return 0;
  default:
    policy_log_once(vm, "fcntl refused", "unsupported command");
    return -EINVAL;
  }
}

#define LX_TCGETS 0x5401
static long sys_ioctl(struct vm *vm, const uint64_t a[6]) {
  int gfd = (int)a[0];
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) return -EBADF;
  switch ((unsigned)a[1]) {
  case FIONBIO: {
    int on;
    if (gm_read(vm, a[2], &on, sizeof(on))) return -EFAULT;
    if (on) o->status |= O_NONBLOCK;
    else o->status &= ~(uint32_t)O_NONBLOCK;
    fdt_touch(vm);
    return 0;
  }
  case FIONREAD: {
    int n = 0;
    if (o->kind == FDK_FILE) {
      struct stat st;
      if (fstat(o->host_fd, &st) < 0) return -errno;
      n = st.st_size > (off_t)o->pos ? (int)(st.st_size - (off_t)o->pos) : 0;
    } else if (o->kind == FDK_DIR) {
      return -ENOTTY;
    } else if (o->host_fd >= 0 && ioctl(o->host_fd, FIONREAD, &n) < 0) {
      return -errno;
    }
    return gm_write(vm, a[2], &n, sizeof(n));
  }
  case FIOCLEX:
  case FIONCLEX:
    fdt_get(vm)->cloexec[gfd] = a[1] == FIOCLEX;
    fdt_touch(vm);
    return 0;
  default:
    if (a[1] != LX_TCGETS) policy_log_once(vm, "ioctl refused", "request other than FIONBIO/FIONREAD/FIOCLEX");
    return -ENOTTY; /* TCGETS: no terminal anywhere in the sandbox */
  }
}

/* the stat of a virtual stdio fd: an anonymous pipe */
static void stdio_stat(int gfd, struct stat *st) {
  memset(st, 0, sizeof(*st));
  st->st_mode = S_IFIFO | 0600;
  st->st_nlink = 1;
  st->st_uid = st->st_gid = 1000;
  st->st_blksize = 4096;
  st->st_ino = 100 + (unsigned)gfd;
  st->st_dev = 12;
}

long files_fstat(struct vm *vm, int gfd, uint64_t out) {
  struct fd_ofd *o = fdt_lookup(vm, gfd);
  if (!o) return -EBADF;
  struct stat st;
  if (o->kind == FDK_STDIO) stdio_stat(gfd, &st);
  else if (fstat(o->host_fd, &st) < 0) return -errno;
  return gm_write(vm, out, &st, sizeof(st));
}
static long sys_fstat(struct vm *vm, const uint64_t a[6]) { return files_fstat(vm, (int)a[0], a[1]); }

static long do_pipe(struct vm *vm, uint64_t out, uint64_t flags) {
  if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -EINVAL;
  int hp[2];
  if (pipe2(hp, O_CLOEXEC | O_NONBLOCK) < 0) return -errno;
  uint32_t nb = (flags & O_NONBLOCK) ? O_NONBLOCK : 0;
  int cloexec = (flags & O_CLOEXEC) != 0;
  int r = fdt_install(vm, hp[0], FDK_PIPE, O_RDONLY | nb, cloexec, 0);
  if (r < 0) { close(hp[1]); return r; }
  int w = fdt_install(vm, hp[1], FDK_PIPE, O_WRONLY | nb, cloexec, 0);
  if (w < 0) { fdt_close(vm, r); return w; }
  pipes_mark_pair(fdt_lookup(vm, r), fdt_lookup(vm, w));
  int fds[2] = {r, w};
  if (gm_write(vm, out, fds, sizeof(fds))) { fdt_close(vm, r); fdt_close(vm, w); return -EFAULT; }
  return 0;
}
static long sys_pipe(struct vm *vm, const uint64_t a[6]) { return do_pipe(vm, a[0], 0); }
static long sys_pipe2(struct vm *vm, const uint64_t a[6]) { return do_pipe(vm, a[0], a[1]); }

static long sys_getdents64(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = fdt_lookup(vm, (int)a[0]);
  if (!o) return -EBADF;
  if (o->kind != FDK_DIR || (o->status & O_PATH)) return -ENOTDIR;
  uint64_t len = a[2] > (1 << 20) ? (1 << 20) : a[2];
  void *p = gm_write_ptr(vm, a[1], len);
  if (!p && len) return -EFAULT;
  long n = syscall(SYS_getdents64, o->host_fd, p, len);
  if (n < 0) return -errno;
  off_t pos = lseek(o->host_fd, 0, SEEK_CUR);
  if (pos >= 0 && (uint64_t)pos != o->pos) { o->pos = (uint64_t)pos; fdt_touch(vm); }
  return n;
}

static long sys_ftruncate(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = fdt_lookup(vm, (int)a[0]);
  if (!o) return -EBADF;
  if (o->kind != FDK_FILE || !writable(o)) return -EINVAL;
  return ftruncate(o->host_fd, (off_t)a[1]) < 0 ? -errno : 0;
}

static long sys_fsync(struct vm *vm, const uint64_t a[6]) { return fdt_lookup(vm, (int)a[0]) ? 0 : -EBADF; }
static long sys_fadvise64(struct vm *vm, const uint64_t a[6]) {
  struct fd_ofd *o = fdt_lookup(vm, (int)a[0]);
  if (!o) return -EBADF;
  return o->kind == FDK_PIPE ? -ESPIPE : 0;
}
static long sys_flock(struct vm *vm, const uint64_t a[6]) { return fdt_lookup(vm, (int)a[0]) ? 0 : -EBADF; }

SYS_FAMILY_LATE(files) {
  sys_register(0, "read", sys_read);
  sys_register(1, "write", sys_write);
  sys_register(3, "close", sys_close);
  sys_register(5, "fstat", sys_fstat);
  sys_register(8, "lseek", sys_lseek);
  sys_register(16, "ioctl", sys_ioctl);
  sys_register(17, "pread64", sys_pread64);
  sys_register(18, "pwrite64", sys_pwrite64);
  sys_register(19, "readv", sys_readv);
  sys_register(20, "writev", sys_writev);
  sys_register(22, "pipe", sys_pipe);
  sys_register(32, "dup", sys_dup);
  sys_register(33, "dup2", sys_dup2);
  sys_register(72, "fcntl", sys_fcntl);
  sys_register(73, "flock", sys_flock);
  sys_register(74, "fsync", sys_fsync);
  sys_register(75, "fdatasync", sys_fsync);
  sys_register(77, "ftruncate", sys_ftruncate);
  sys_register(217, "getdents64", sys_getdents64);
  sys_register(221, "fadvise64", sys_fadvise64);
  sys_register(292, "dup3", sys_dup3);
  sys_register(293, "pipe2", sys_pipe2);
  sys_register(295, "preadv", sys_preadv);
  sys_register(296, "pwritev", sys_pwritev);
}
