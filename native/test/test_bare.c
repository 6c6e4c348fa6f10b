/* Syscall handlers without KVM, through the bare guest context (src/vm_bare.h) the fuzz targets
 * use: a master confined to a temp directory, workers forked from it and reset. */
#include "test.h"
#include "elf_load.h"
#include "fdtable.h"
#include "net.h"
#include "vm_bare.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEM (8ULL << 20)
#define AT_FDCWD_G ((uint64_t)(int64_t)-100)

static long call(struct vm *vm, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  const uint64_t a[6] = {a0, a1, a2, a3, 0, 0};
  return vm_syscall_exit(vm, nr, a);
}

static long call6(struct vm *vm, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
  const uint64_t a[6] = {a0, a1, a2, a3, a4, 0};
  return vm_syscall_exit(vm, nr, a);
}

/* puts a string in the guest's program region; returns its guest address */
static uint64_t put_str(struct vm *vm, uint64_t off, const char *s) {
  memcpy(vm->mem + L_USER + off, s, strlen(s) + 1);
  return L_USER + off;
}

static int host_fds_open(void) {
  int n = 0;
  for (int fd = 0; fd < 1024; fd++) n += fcntl(fd, F_GETFD) >= 0;
  return n;
}

static char *make_root(void) {
  static char dir[64];
  snprintf(dir, sizeof(dir), "/tmp/isobench-bare-XXXXXX");
  return mkdtemp(dir);
}

static void remove_root(const char *dir) {
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

TEST(bare_files_confined_to_the_root_directory) {
  char *root = make_root();
  CHECK(root, "mkdtemp failed");
  ib_master *m = bare_master_create(MEM, root);
  CHECK(m, "bare master: %s", ib_last_error());
  struct vm *vm = &m->vm;
  CHECK_EQ(call(vm, 257, AT_FDCWD_G, put_str(vm, 0, "../../etc/passwd"), O_RDONLY, 0), -EACCES);
  CHECK_EQ(call(vm, 2, put_str(vm, 0, "/etc/passwd"), O_RDONLY, 0, 0), -EACCES);
  CHECK_EQ(call(vm, 4, put_str(vm, 0, "/etc/passwd"), L_USER + 0x1000, 0, 0), -ENOENT); /* not even its existence */
  CHECK_EQ(call(vm, 88, put_str(vm, 0, "/etc/passwd"), put_str(vm, 0x100, "link"), 0, 0), -EPERM);
  long fd = call(vm, 257, AT_FDCWD_G, put_str(vm, 0, "out.txt"), O_CREAT | O_RDWR, 0644);
  CHECK(fd >= 3, "create in the root: %ld", fd);
  memcpy(vm->mem + L_USER + 0x200, "written", 7);
  CHECK_EQ(call(vm, 1, (uint64_t)fd, L_USER + 0x200, 7, 0), 7);
  char host_path[128];
  snprintf(host_path, sizeof(host_path), "%s/out.txt", root);
  struct stat st;
  CHECK(stat(host_path, &st) == 0 && st.st_size == 7, "file not written under the root");
  bare_master_destroy(m);
  remove_root(root);
}

TEST(bare_bad_guest_pointers_are_efault) {
  ib_master *m = bare_master_create(MEM, NULL);
  CHECK(m, "bare master: %s", ib_last_error());
  struct vm *vm = &m->vm;
  CHECK_EQ(call(vm, 1, 1, 0x1000, 8, 0), -EFAULT);               /* supervisor page */
  CHECK_EQ(call(vm, 1, 1, MEM - 4, 8, 0), -EFAULT);              /* runs off the end */
  CHECK_EQ(call(vm, 1, 1, ~0ULL - 3, 8, 0), -EFAULT);            /* wraps */
  CHECK_EQ(call(vm, 228, 0, L_STUB, 0, 0), -EFAULT);             /* clock_gettime into the stub */
  CHECK_EQ(call(vm, 0, 0, L_USER, ~0ULL, 0), 0);                 /* stdin is empty, whatever the length */
  CHECK_EQ(call(vm, 2, put_str(vm, 0, "/tmp"), O_RDONLY, 0, 0), -EACCES); /* no root: no file at all */
  bare_master_destroy(m);
}

TEST(bare_worker_reset_closes_the_request_fds_and_keeps_the_frozen_ones) {
  char *root = make_root();
  CHECK(root, "mkdtemp failed");
  int fds_before = host_fds_open();
  ib_master *m = bare_master_create(MEM, root);
  CHECK(m, "bare master: %s", ib_last_error());
  long boot_fd = call(&m->vm, 257, AT_FDCWD_G, put_str(&m->vm, 0, "boot.txt"), O_CREAT | O_RDWR, 0644);
  CHECK_EQ(boot_fd, 3);
  ib_worker *w = bare_worker_fork(m);
  CHECK(w, "fork: %s", ib_last_error());
  struct vm *vm = &w->vm;
  long req_fd = call(vm, 257, AT_FDCWD_G, put_str(vm, 0, "request.txt"), O_CREAT | O_RDWR, 0644);
  CHECK_EQ(req_fd, 4);
  CHECK_EQ(call(vm, 33, 3, 100, 0, 0), 100); /* dup2 of the boot fd */
  CHECK_EQ(call(vm, 3, 3, 0, 0, 0), 0);      /* the request closes the frozen one */
  memcpy(vm->mem + L_USER + 0x300, "x", 1);  /* and writes its memory */
  bare_worker_reset(w, 0);
  CHECK(fdt_lookup(vm, 3), "frozen fd 3 not restored");
  CHECK(!fdt_lookup(vm, 4), "request fd 4 survived the reset");
  CHECK(!fdt_lookup(vm, 100), "request fd 100 survived the reset");
  CHECK_EQ(vm->mem[L_USER + 0x300], 0);
  /* the same fd number again: the request's host fds were closed, not leaked */
  CHECK_EQ(call(vm, 257, AT_FDCWD_G, put_str(vm, 0, "request.txt"), O_RDWR, 0), 4);
  bare_master_destroy(m);
  CHECK_EQ(host_fds_open(), fds_before);
  remove_root(root);
}

TEST(bare_network_only_the_granted_address) {
  struct net_policy saved = *net_policy(), np;
  memset(&np, 0, sizeof(np));
  struct sockaddr_in *granted = (struct sockaddr_in *)&np.listen; /* 127.0.0.1, any port */
  granted->sin_family = AF_INET;
  granted->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  np.listen_len = sizeof(*granted);
  np.has_listen = 1;
  net_policy_set(&np);
  ib_master *m = bare_master_create(MEM, NULL);
  CHECK(m, "bare master: %s", ib_last_error());
  struct vm *vm = &m->vm;
  long s = call(vm, 41, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0, 0);
  CHECK_EQ(s, 3);
  uint8_t sin[16] = {2, 0, 0x1f, 0x90, 8, 8, 8, 8}; /* 8.8.8.8:8080 */
  memcpy(vm->mem + L_USER, sin, 16);
  CHECK_EQ(call(vm, 42, 3, L_USER, 16, 0), -EACCES); /* outbound connect */
  CHECK_EQ(call(vm, 49, 3, L_USER, 16, 0), -EACCES); /* bind elsewhere than granted */
  CHECK_EQ(call(vm, 50, 3, 16, 0, 0), -EACCES);      /* listen on an ephemeral port */
  uint8_t lo[16] = {2, 0, 0, 0, 127, 0, 0, 1};
  memcpy(vm->mem + L_USER, lo, 16);
  CHECK_EQ(call(vm, 49, 3, L_USER, 16, 0), 0);
  CHECK_EQ(call(vm, 41, 1 /* AF_UNIX */, 1, 0, 0), -EACCES);
  bare_master_destroy(m);
  net_policy_set(&saved);
}

TEST(elf_load_image_maps_the_interpreter_from_memory) {
  /* a PIE asking for an interpreter, and an ET_DYN interpreter, both one RX page */
  uint8_t prog[0x2000], interp[0x2000];
  for (int k = 0; k < 2; k++) {
    uint8_t *b = k ? interp : prog;
    memset(b, 0, 0x2000);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_type = ET_DYN;
    eh->e_machine = EM_X86_64;
    eh->e_entry = 0x1000;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = k ? 1 : 2;
    Elf64_Phdr *ph = (Elf64_Phdr *)(b + eh->e_phoff);
    ph[0] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000, .p_vaddr = 0x1000,
                         .p_filesz = 0x10, .p_memsz = 0x1000, .p_align = 0x1000};
    if (!k) {
      static const char path[] = "/nonexistent/ld.so"; /* never opened: the bytes are given */
      memcpy(b + 0x200, path, sizeof(path));
      ph[1] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x200, .p_filesz = sizeof(path), .p_memsz = sizeof(path), .p_align = 1};
    }
  }
  ib_master *m = bare_master_create(MEM, NULL);
  CHECK(m, "bare master: %s", ib_last_error());
  struct vm *vm = &m->vm;
  const char *const argv[] = {"prog", NULL};
  uint64_t entry = 0, sp = 0;
  int rc = elf_load_image(vm, "prog", prog, sizeof(prog), interp, sizeof(interp), argv, NULL, &entry, &sp);
  CHECK(rc == 0, "load: %s", ib_last_error());
  CHECK(entry >= vm->proc.mmap_lo && entry < vm->proc.mmap_hi, "entry %#llx is not in the interpreter's mapping", (unsigned long long)entry);
  CHECK(sp >= vm->proc.stack_lo && sp < vm->proc.stack_hi && sp % 16 == 0, "sp %#llx", (unsigned long long)sp);
  /* a broken interpreter is refused with its reason */
  interp[0] = 0;
  rc = elf_load_image(vm, "prog", prog, sizeof(prog), interp, sizeof(interp), argv, NULL, &entry, &sp);
  CHECK(rc < 0 && strstr(ib_last_error(), "bad magic"), "broken interpreter: rc %d, %s", rc, ib_last_error());
  bare_master_destroy(m);
}

/* fuzz finding: a timespec whose seconds overflow 64-bit nanoseconds (9463179709813 s wraps to
 * 20992 ns) made the wait return at once; saturated, it waits until the run's deadline */
TEST(bare_huge_timeout_saturates_instead_of_wrapping) {
  ib_master *m = bare_master_create(MEM, NULL);
  CHECK(m, "bare master: %s", ib_last_error());
  struct vm *vm = &m->vm;
  int64_t ts[2] = {9463179709813LL, 0};
  memcpy(vm->mem + L_USER, ts, sizeof(ts));
  vm->deadline_ns = now_ns() + 200000000ULL;
  call(vm, 271 /* ppoll */, 0, 0, L_USER, 0);
  CHECK(vm->stop == STOP_LIMIT_TIME, "ppoll with a huge timeout returned early (stop %d)", vm->stop);
  vm->stop = STOP_NONE;
  memcpy(vm->mem + L_USER, ts, sizeof(ts));
  vm->deadline_ns = now_ns() + 200000000ULL;
  CHECK_EQ(call(vm, 35 /* nanosleep */, L_USER, 0, 0, 0), 0); /* one thread: virtual sleep */
  bare_master_destroy(m);
}

/* Python's socket.socketpair() asks each end for its address; Linux answers an unnamed AF_UNIX
 * socket (family only, length 2). Seen failing with ENOTSOCK by the isolation suite's probe. */
TEST(bare_socketpair_ends_answer_like_unix_sockets) {
  ib_master *m = bare_master_create(MEM, NULL);
  CHECK(m, "bare master: %s", ib_last_error());
  struct vm *vm = &m->vm;
  CHECK_EQ(call(vm, 53, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, L_USER), 0);
  int ends[2];
  memcpy(ends, vm->mem + L_USER, sizeof(ends));
  uint64_t addr = L_USER + 0x100, len = L_USER + 0x200;
  for (int nr = 51; nr <= 52; nr++) { /* getsockname, getpeername */
    memset(vm->mem + addr, 0x55, 16);
    uint32_t cap = 16;
    memcpy(vm->mem + len, &cap, 4);
    CHECK_EQ(call(vm, (uint64_t)nr, (uint64_t)ends[0], addr, len, 0), 0);
    uint16_t family;
    memcpy(&family, vm->mem + addr, 2);
    memcpy(&cap, vm->mem + len, 4);
    CHECK(family == 1 && cap == 2 && vm->mem[addr + 2] == 0x55, "syscall %d: family %u, length %u", nr, family, cap);
    cap = 1; /* a short buffer is truncated, the length says what the address needed */
    memcpy(vm->mem + len, &cap, 4);
    CHECK_EQ(call(vm, (uint64_t)nr, (uint64_t)ends[1], addr, len, 0), 0);
    memcpy(&cap, vm->mem + len, 4);
    CHECK_EQ(cap, 2);
    CHECK_EQ(call(vm, (uint64_t)nr, (uint64_t)ends[1], 0x1000, len, 0), -EFAULT);
  }
  uint64_t val = L_USER + 0x300;
  uint32_t four = 4;
  memcpy(vm->mem + len, &four, 4);
  CHECK_EQ(call6(vm, 55, (uint64_t)ends[0], 1 /* SOL_SOCKET */, 3 /* SO_TYPE */, val, len), 0);
  int type;
  memcpy(&type, vm->mem + val, 4);
  CHECK_EQ(type, 1);
  memcpy(vm->mem + len, &four, 4);
  CHECK_EQ(call6(vm, 55, (uint64_t)ends[0], 1, 39 /* SO_DOMAIN */, val, len), 0);
  memcpy(&type, vm->mem + val, 4);
  CHECK_EQ(type, 1);
  CHECK_EQ(call6(vm, 55, (uint64_t)ends[0], 1, 17 /* SO_PEERCRED: the host's pid and uid */, val, len), -ENOPROTOOPT);
  CHECK_EQ(call6(vm, 55, (uint64_t)ends[0], 6 /* IPPROTO_TCP */, 1, val, len), -EOPNOTSUPP);
  CHECK_EQ(call(vm, 51, 0 /* stdin: not a socket */, addr, len, 0), -ENOTSOCK);
  bare_master_destroy(m);
}

/* Node's realpath of its main module lstat()s every component of the path (/work, /work/app, ...):
 * the directories leading to an allowed entry stat as directories the guest may search but not
 * list (mode 0111, owned by root; nothing of the host's directory is shown), as the parents of a
 * bind mount do in a mount-namespace sandbox. Before, "/tmp" was ENOENT and node exited at start. */
TEST(bare_directories_leading_to_an_allowed_path_stat_as_search_only_directories) {
  char *root = make_root(); /* /tmp/isobench-bare-XXXXXX */
  CHECK(root, "mkdtemp failed");
  ib_master *m = bare_master_create(MEM, root);
  CHECK(m, "bare master: %s", ib_last_error());
  struct vm *vm = &m->vm;
  const uint64_t out = L_USER + 0x1000;
  static const char *const ancestors[] = {"/tmp", "/", "/tmp/", "//tmp/../tmp"};
  for (size_t i = 0; i < sizeof(ancestors) / sizeof(ancestors[0]); i++) {
    memset(vm->mem + out, 0xa5, sizeof(struct stat));
    long rc = call(vm, 6 /* lstat */, put_str(vm, 0, ancestors[i]), out, 0, 0);
    CHECK(rc == 0, "lstat %s: %ld", ancestors[i], rc);
    struct stat st;
    memcpy(&st, vm->mem + out, sizeof(st));
    CHECK(st.st_mode == (S_IFDIR | 0111), "lstat %s: mode %o", ancestors[i], st.st_mode);
    CHECK(st.st_uid == 0 && st.st_gid == 0 && st.st_nlink == 2 && st.st_size == 0 && st.st_mtime == 0 && st.st_ino != 0,
          "lstat %s shows more than a synthesized directory", ancestors[i]);
  }
  CHECK_EQ(call(vm, 4 /* stat */, put_str(vm, 0, "/tmp"), out, 0, 0), 0);
  CHECK_EQ(call(vm, 262 /* newfstatat */, AT_FDCWD_G, put_str(vm, 0, "/tmp"), out, AT_SYMLINK_NOFOLLOW), 0);
  memset(vm->mem + out, 0xa5, sizeof(struct statx));
  CHECK_EQ(call6(vm, 332 /* statx */, AT_FDCWD_G, put_str(vm, 0, "/tmp"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out), 0);
  struct statx stx;
  memcpy(&stx, vm->mem + out, sizeof(stx));
  CHECK(stx.stx_mode == (S_IFDIR | 0111) && stx.stx_uid == 0 && stx.stx_size == 0 && stx.stx_mtime.tv_sec == 0 &&
            (stx.stx_mask & STATX_TYPE) && stx.stx_attributes == 0,
        "statx /tmp: mode %o uid %u", stx.stx_mode, stx.stx_uid);
  /* not a link; searchable, not readable or writable; not openable (no listing of the host's folder) */
  CHECK_EQ(call(vm, 89 /* readlink */, put_str(vm, 0, "/tmp"), out, 64, 0), -EINVAL);
  CHECK_EQ(call(vm, 21 /* access */, put_str(vm, 0, "/tmp"), F_OK, 0, 0), 0);
  CHECK_EQ(call(vm, 21, put_str(vm, 0, "/tmp"), X_OK, 0, 0), 0);
  CHECK_EQ(call(vm, 21, put_str(vm, 0, "/tmp"), R_OK, 0, 0), -EACCES);
  CHECK_EQ(call(vm, 21, put_str(vm, 0, "/tmp"), W_OK, 0, 0), -EACCES);
  CHECK_EQ(call(vm, 257, AT_FDCWD_G, put_str(vm, 0, "/tmp"), O_RDONLY | O_DIRECTORY, 0), -EACCES);
  /* anything else outside the allowed folder stays invisible */
  static const char *const hidden[] = {"/etc", "/tm", "/tmpx", "/tmp/isobench-bare-none", "/tmp/x/.."};
  for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
    long rc = call(vm, 6, put_str(vm, 0, hidden[i]), out, 0, 0);
    if (strcmp(hidden[i], "/tmp/x/..") == 0) CHECK(rc == 0, "/tmp/x/.. is /tmp lexically: %ld", rc);
    else CHECK(rc == -ENOENT, "lstat %s: %ld, expected ENOENT", hidden[i], rc);
  }
  /* a search-only directory can be the working directory; the allowed folder is reached from it */
  CHECK_EQ(call(vm, 80 /* chdir */, put_str(vm, 0, "/tmp"), 0, 0, 0), 0);
  const char *base = strrchr(root, '/') + 1;
  char rel[128];
  snprintf(rel, sizeof(rel), "%s/made.txt", base);
  long fd = call(vm, 257, AT_FDCWD_G, put_str(vm, 0, rel), O_CREAT | O_RDWR, 0644);
  CHECK(fd >= 3, "create through the ancestor cwd: %ld", fd);
  bare_master_destroy(m);
  remove_root(root);
}

/* Node calls capget at start-up (it was ENOSYS): an unprivileged guest has empty capability sets,
 * with the kernel's version handshake; capset may only keep them empty */
TEST(bare_capget_reports_an_unprivileged_process) {
  ib_master *m = bare_master_create(MEM, NULL);
  CHECK(m, "bare master: %s", ib_last_error());
  struct vm *vm = &m->vm;
  const uint64_t hdr = L_USER, data = L_USER + 0x100;
  uint32_t h[2] = {0x20080522u, 0}; /* v3, this process */
  memcpy(vm->mem + hdr, h, sizeof(h));
  memset(vm->mem + data, 0xff, 32);
  CHECK_EQ(call(vm, 125, hdr, data, 0, 0), 0);
  uint8_t zero[24] = {0}, after[32];
  memcpy(after, vm->mem + data, sizeof(after));
  CHECK(memcmp(after, zero, 24) == 0, "capget v3: sets not empty");
  CHECK(after[24] == 0xff, "capget v3 wrote more than two sets of three words");
  h[1] = 1; /* its own pid (getpid) */
  memcpy(vm->mem + hdr, h, sizeof(h));
  CHECK_EQ(call(vm, 125, hdr, data, 0, 0), 0);
  h[1] = 4242; /* no such process in the sandbox */
  memcpy(vm->mem + hdr, h, sizeof(h));
  CHECK_EQ(call(vm, 125, hdr, data, 0, 0), -ESRCH);
  h[0] = 0x19980330u; h[1] = 0; /* v1: one set of three words */
  memcpy(vm->mem + hdr, h, sizeof(h));
  memset(vm->mem + data, 0xff, 32);
  CHECK_EQ(call(vm, 125, hdr, data, 0, 0), 0);
  CHECK(vm->mem[data + 11] == 0 && vm->mem[data + 12] == 0xff, "capget v1 wrote the wrong size");
  h[0] = 0x1234; /* unknown version: the kernel's answer is v3 in the header */
  memcpy(vm->mem + hdr, h, sizeof(h));
  CHECK_EQ(call(vm, 125, hdr, data, 0, 0), -EINVAL);
  uint32_t v;
  memcpy(&v, vm->mem + hdr, 4);
  CHECK_EQ(v, 0x20080522u);
  memcpy(vm->mem + hdr, h, sizeof(h));
  CHECK_EQ(call(vm, 125, hdr, 0, 0, 0), 0); /* the probe with no data pointer */
  CHECK_EQ(call(vm, 125, 0x10, data, 0, 0), -EFAULT);
  h[0] = 0x20080522u; h[1] = 0;
  memcpy(vm->mem + hdr, h, sizeof(h));
  memset(vm->mem + data, 0, 24);
  CHECK_EQ(call(vm, 126, hdr, data, 0, 0), 0); /* keeping the empty sets */
  vm->mem[data + 4] = 1;                       /* permitted CAP_CHOWN */
  CHECK_EQ(call(vm, 126, hdr, data, 0, 0), -EPERM);
  bare_master_destroy(m);
}
