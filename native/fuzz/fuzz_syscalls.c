/* libFuzzer target: the syscall layer without a vCPU (src/vm_bare.h). One input is one guest's
 * life: a master that boots with the input's syscalls until it freezes, then workers forked from
 * it that serve requests (a connection handed over as the server does) and are reset between
 * them. Every call goes through vm_syscall_exit, as the vCPU loop makes it.
 *
 * Input (all little-endian):
 *   u16 blob_len, blob   bytes the guest "wrote" at L_USER before its first call (its data)
 *   records of 28 bytes: u16 op, u16 arg_modes, u32 v[6]
 * op < 0x8000: a syscall; op & 0x7fff < 0x1000 is Linux number (op % 512), else engine
 *   hypercall HC_BASE + (op & 0xff). Argument i is v[i] decoded by bits 2i..2i+1 of arg_modes:
 *   0 zero-extended, 1 sign-extended (AT_FDCWD, -1), 2 a guest pointer L_USER + v % user size,
 *   3 v repeated in both halves (huge lengths and addresses).
 * op >= 0x8000: a step of the guest's life, op & 0xff:
 *   0 freeze the master here (its ready point) and go on in a worker
 *   1 end the worker's request (its reset: full when v[0] & 1)
 *   2 the guest stores v[1] | v[2] << 32 on its scratch page at 8 * (v[0] % 512) (the stub's
 *     fast-path fields live there, and the guest may write that page)
 *   3 the guest stores v[1] | v[2] << 32 at guest pointer mode 2 of v[0]
 *   4 the guest's registers at the exit: rcx (return rip), rip, rsp := v[1] decoded as pointer
 *   5 start a request: a connection carrying blob[v[0] % blob_len ..][: v[1] % 4096] bytes
 *
 * Host safety: the file policy allows one empty directory the fuzzer creates (and empties after
 * every input) and nothing else; the network policy grants listening on 127.0.0.1 port 0 only
 * (outbound connect is always refused by the engine), and connections are AF_UNIX socketpairs,
 * so no packet leaves the process. No family is excluded: every handler is emulated or confined
 * (see native/fuzz/README.md). Every input must release every host fd it opened: a leak aborts. */
#include "vm_bare.h"
#include "net.h"
#include "syscall.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GUEST_MEM (8ULL << 20)
#define CALL_BUDGET_NS (5ULL * 1000 * 1000) /* each call's run deadline: bounds host waits (poll, sleeps) */
#define REC_SIZE 28

static char g_root[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  if (ftw->level > 0) remove(path);
  return 0;
}

static void cleanup_root(void) { nftw(g_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void at_exit_cleanup(void) {
  cleanup_root();
  rmdir(g_root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *tmp = getenv("TMPDIR");
  snprintf(g_root, sizeof(g_root), "%s/isobench-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (!mkdtemp(g_root)) { perror("isobench fuzz: mkdtemp"); exit(1); }
  atexit(at_exit_cleanup);
  struct net_policy np;
  memset(&np, 0, sizeof(np));
  struct sockaddr_in *sin = (struct sockaddr_in *)&np.listen;
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin->sin_port = 0;
  np.has_listen = 1;
  np.listen_len = sizeof(*sin);
  np.end_at_close = 1;
  net_policy_set(&np);
  return 0;
}

static int lowest_free_fd(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
  return fd;
}

struct life {
  ib_master *m;
  ib_worker *w;
  struct vm *vm;   /* the VM the next call runs in */
  int frozen;      /* the master froze: calls run in a worker */
  int in_request;  /* the worker is serving a request */
  int client_fd;   /* the client's end of the request's connection, -1 */
  const uint8_t *blob;
  size_t blob_len;
};

static uint64_t arg_of(const struct life *l, uint32_t v, unsigned mode) {
  switch (mode & 3) {
  case 0: return v;
  case 1: return (uint64_t)(int64_t)(int32_t)v;
  case 2: return L_USER + v % (l->vm->mem_size - L_USER);
  default: return (uint64_t)v << 32 | v;
  }
}

static void end_request(struct life *l, int failed) {
  if (!l->in_request) return;
  net_end_request(&l->w->vm, failed, "502 Bad Gateway");
  bare_worker_reset(l->w, failed);
  if (l->client_fd >= 0) {
    char sink[4096];
    while (read(l->client_fd, sink, sizeof(sink)) > 0) {}
    close(l->client_fd);
    l->client_fd = -1;
  }
  l->in_request = 0;
}

/* as the server's serve_one: hand over a connection carrying `bytes`, complete the frozen wait */
static void start_request(struct life *l, const uint8_t *bytes, size_t n) {
  end_request(l, 0);
  struct vm *vm = &l->w->vm;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) return;
  if (n && write(sv[1], bytes, n) < 0) { /* the guest then sees fewer bytes */ }
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  net_give_conn(vm, sv[0], (struct sockaddr *)&peer, sizeof(peer), 0);
  net_arm_frozen(vm);
  l->client_fd = sv[1];
  l->in_request = 1;
  vm->stop = STOP_NONE;
  vm->deadline_ns = now_ns() + CALL_BUDGET_NS;
  if (vm->resume) { /* worker_run_request: the call the guest is blocked in completes first */
    long (*fn)(struct vm *) = vm->resume;
    vm->resume = NULL;
    vm->run->s.regs.regs.rax = (uint64_t)fn(vm);
  }
}

/* the master froze: the rest of the input runs in a worker forked from it */
static int freeze(struct life *l) {
  if (l->frozen) return 0;
  l->m->vm.stop = STOP_NONE;
  l->w = bare_worker_fork(l->m);
  if (!l->w) return -1;
  l->frozen = 1;
  l->vm = &l->w->vm;
  return 0;
}

/* after a call stopped the run: the master's ends at its freeze point (or dies), a worker's
 * request ends (blocked waiting for the next one = served) */
static int after_stop(struct life *l) {
  enum stop_reason why = l->vm->stop;
  if (!l->frozen) return why == STOP_READY ? freeze(l) : -1;
  end_request(l, why != STOP_BLOCKED);
  return 0;
}

static void run_input(struct life *l, const uint8_t *p, size_t n) {
  for (; n >= REC_SIZE; p += REC_SIZE, n -= REC_SIZE) {
    uint16_t op, modes;
    uint32_t v[6];
    memcpy(&op, p, 2);
    memcpy(&modes, p + 2, 2);
    memcpy(v, p + 4, sizeof(v));
    if (op & 0x8000) {
      switch (op & 0xff) {
      case 0:
        if (freeze(l) < 0) return;
        break;
      case 1:
        end_request(l, v[0] & 1);
        break;
      case 2: {
        uint64_t val = v[1] | (uint64_t)v[2] << 32;
        memcpy(l->vm->mem + L_SCRATCH + 8 * (v[0] % (GPAGE / 8)), &val, 8);
        break;
      }
      case 3: {
        uint64_t val = v[1] | (uint64_t)v[2] << 32;
        gm_write(l->vm, arg_of(l, v[0], 2), &val, 8);
        break;
      }
      case 4: {
        struct kvm_regs *r = &l->vm->run->s.regs.regs;
        uint64_t x = arg_of(l, v[1], 2);
        if (v[0] % 3 == 0) r->rcx = x;
        else if (v[0] % 3 == 1) r->rip = x;
        else r->rsp = x;
        break;
      }
      case 5:
        if (!l->frozen && freeze(l) < 0) return;
        if (l->blob_len) {
          size_t off = v[0] % l->blob_len, len = v[1] % 4096;
          if (len > l->blob_len - off) len = l->blob_len - off;
          start_request(l, l->blob + off, len);
        } else {
          start_request(l, NULL, 0);
        }
        break;
      default:
        break;
      }
      continue;
    }
    uint64_t nr = (op & 0x7fff) < 0x1000 ? (op & 0x7fff) % SYS_TABLE_MAX : HC_BASE + (op & 0xff);
    uint64_t a[6];
    for (int i = 0; i < 6; i++) a[i] = arg_of(l, v[i], modes >> (2 * i));
    if (l->frozen && !l->in_request) start_request(l, NULL, 0); /* a worker only runs in a request */
    l->vm->deadline_ns = now_ns() + CALL_BUDGET_NS;
    vm_syscall_exit(l->vm, nr, a);
    if (l->vm->stop != STOP_NONE && after_stop(l) < 0) return;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint16_t blob_len;
  memcpy(&blob_len, data, 2);
  data += 2, size -= 2;
  if (blob_len > size) blob_len = (uint16_t)size;
  int fd_mark = lowest_free_fd();
  struct life l = {.client_fd = -1, .blob = data, .blob_len = blob_len};
  l.m = bare_master_create(GUEST_MEM, g_root);
  if (!l.m) { fprintf(stderr, "isobench fuzz: %s\n", ib_last_error()); abort(); }
  l.vm = &l.m->vm;
  memcpy(l.vm->mem + L_USER, data, blob_len); /* the guest's program region holds its data */
  run_input(&l, data + blob_len, size - blob_len);
  end_request(&l, 0);
  bare_master_destroy(l.m);
  cleanup_root();
  int now = lowest_free_fd();
  if (now != fd_mark) {
    fprintf(stderr, "isobench fuzz: host fd leak: lowest free fd was %d before the input, %d after\n", fd_mark, now);
    abort();
  }
  return 0;
}
