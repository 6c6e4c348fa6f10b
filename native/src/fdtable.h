/* The guest's file-descriptor table: virtual guest fd numbers -> open file descriptions (OFDs)
 * -> host fds, as Linux does it (dup'd fds share one OFD, hence one offset and status flags).
 *
 * Plain data in fixed arrays, so a whole table rolls back by assignment:
 * - master: the table at the freeze is the baseline of every worker;
 * - worker: on fork it copies the master's table (shared kinds keep the master's host fd,
 *   regular files and directories are re-opened privately so no offset is shared between
 *   workers, pipes and socketpairs are the worker's own: pipes.h), and that copy is its baseline; every reset closes the host fds opened since
 *   (`owned`) and restores the baseline.
 * Guest fds 0/1/2 are virtual stdio (stdin at EOF, stdout/stderr captured). */
#ifndef IB_FDTABLE_H
#define IB_FDTABLE_H
#include "engine.h"

#define FDT_MAX_FD 1024  /* guest fds 0..FDT_MAX_FD-1 (RLIMIT_NOFILE reports this) */
#define FDT_MAX_OFD 1024

enum fd_kind {
  FDK_FREE = 0,
  FDK_STDIO,   /* host_fd -1: 0 = empty stdin, 1/2 = captured output */
  FDK_FILE,    /* regular file (reads use pread at ofd->pos) */
  FDK_DIR,     /* directory (getdents64) */
  FDK_PIPE,    /* host pipe end or socketpair end (per worker: pipes.h) */
  /* kinds owned by the sockets/readiness families (5b): they register ops for them */
  FDK_SOCKET,
  FDK_LISTEN,
  FDK_EPOLL,
  FDK_EVENTFD,
  FDK_TIMERFD,
  FDK_OTHER,
  FDK_N
};

/* what a worker does with an OFD it inherits from the frozen master */
enum fd_fork_policy {
  FDT_FORK_REOPEN = 0, /* re-open the host file privately (files, directories): default */
  FDT_FORK_SHARE,      /* use the master's host fd as it is (a listening socket) */
};

struct fd_ofd {
  int32_t host_fd;   /* -1 for virtual kinds */
  uint8_t kind;      /* enum fd_kind; FDK_FREE = slot unused */
  uint8_t owned;     /* 1: this VM opened host_fd since its baseline and closes it */
  uint16_t refs;     /* guest fds pointing here */
  uint32_t status;   /* guest O_ACCMODE | O_APPEND | O_NONBLOCK ... (Linux values) */
  uint64_t pos;      /* file offset (FDK_FILE; FDK_DIR: host directory position cookie) */
  uint64_t data;     /* kind-specific, free for the family that owns the kind */
};

struct fd_table {
  int16_t fd[FDT_MAX_FD];     /* guest fd -> OFD index, -1 = closed */
  uint8_t cloexec[FDT_MAX_FD];
  struct fd_ofd ofd[FDT_MAX_OFD];
  int32_t hi_fd, hi_ofd;      /* 1 + highest index ever used (bounds the reset copy) */
  uint64_t generation;        /* bumped on every change: an untouched table skips the copy */
};

/* Per-kind behaviour. Every member is optional. */
struct fd_kind_ops {
  const char *name;
  enum fd_fork_policy fork_policy;
  /* read/write on this kind; NULL = host read()/write() on host_fd */
  long (*read)(struct vm *vm, int gfd, struct fd_ofd *o, uint64_t buf, uint64_t len);
  long (*write)(struct vm *vm, int gfd, struct fd_ofd *o, uint64_t buf, uint64_t len);
  /* last guest fd of the OFD closed (host fd is closed by the table afterwards if owned) */
  void (*on_close)(struct vm *vm, struct fd_ofd *o);
};
void fdt_register_kind(enum fd_kind kind, const struct fd_kind_ops *ops);
const struct fd_kind_ops *fdt_kind_ops(enum fd_kind kind);

struct fd_table *fdt_get(struct vm *vm);

/* Installs a new OFD for host_fd (ownership passes to the table: it is closed on close/reset,
 * and also right away when the table is full) at the lowest free guest fd >= min_fd.
 * status: guest O_* status flags; cloexec: FD_CLOEXEC. Returns the guest fd or -EMFILE. */
int fdt_install(struct vm *vm, int host_fd, enum fd_kind kind, uint32_t status, int cloexec, int min_fd);
/* OFD of an open guest fd, NULL if not open */
struct fd_ofd *fdt_lookup(struct vm *vm, int gfd);
/* host fd of an open guest fd of the given kind (kind FDK_FREE = any kind); -EBADF, or
 * -ENOTSOCK when open but of another kind and want is a socket kind */
int fdt_host_fd(struct vm *vm, int gfd, enum fd_kind want);
/* close(2): 0 or -EBADF */
int fdt_close(struct vm *vm, int gfd);
/* dup/dup2/dup3/F_DUPFD: newfd < 0 = lowest free >= min_fd; returns the new guest fd or -errno */
int fdt_dup(struct vm *vm, int oldfd, int newfd, int min_fd, int cloexec);
/* marks the table changed (call after editing an OFD's fields in place) */
void fdt_touch(struct vm *vm);
/* count of guest fds open (tests) */
int fdt_open_count(struct vm *vm);

#endif
