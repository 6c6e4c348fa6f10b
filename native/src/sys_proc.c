/* Process identity and what a static glibc program asks at start-up. */
#include "syscall.h"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>

#define GUEST_PID 1
#define GUEST_UID 1000

static long sys_exit_group(struct vm *vm, const uint64_t a[6]) {
  vm->exit_code = (int)(a[0] & 0xff);
  vm->ctr.exits_guest++;
  vm_stop(vm, STOP_EXIT, "guest exited with code %d", vm->exit_code);
  return 0;
}

static long sys_getpid(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return GUEST_PID; }
static long sys_getppid(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return 0; }
static long sys_getuid(struct vm *vm, const uint64_t a[6]) { (void)vm; (void)a; return GUEST_UID; }

/* capget/capset: the guest is an unprivileged process, so every capability set is empty. Node asks
 * (capget) at start-up whether it runs with capabilities, before it trusts its environment. The
 * kernel's version handshake is kept: an unknown version is answered with v3 in the header and
 * EINVAL (0 when no data pointer is given: the probe glibc/libcap make). */
#define CAP_V1 0x19980330u
#define CAP_V2 0x20071026u
#define CAP_V3 0x20080522u

static long cap_header(struct vm *vm, uint64_t hdr, int *words, int32_t *pid) {
  uint32_t h[2];
  if (gm_read(vm, hdr, h, sizeof(h))) return -EFAULT;
  if (h[0] != CAP_V1 && h[0] != CAP_V2 && h[0] != CAP_V3) {
    uint32_t v3 = CAP_V3;
    return gm_write(vm, hdr, &v3, sizeof(v3)) ? -EFAULT : -EINVAL;
  }
  *words = h[0] == CAP_V1 ? 1 : 2;
  *pid = (int32_t)h[1];
  return 0;
}

static long sys_capget(struct vm *vm, const uint64_t a[6]) {
  int words;
  int32_t pid;
  long rc = cap_header(vm, a[0], &words, &pid);
  if (!a[1]) return rc == -EINVAL ? 0 : rc;
  if (rc < 0) return rc;
  if (pid < 0) return -EINVAL;
  if (pid != 0 && pid != GUEST_PID) return -ESRCH;
  uint32_t data[2][3] = {{0}}; /* effective, permitted, inheritable per 32 capabilities */
  return gm_write(vm, a[1], data, (uint64_t)words * sizeof(data[0])) ? -EFAULT : 0;
}

static long sys_capset(struct vm *vm, const uint64_t a[6]) {
  int words;
  int32_t pid;
  long rc = cap_header(vm, a[0], &words, &pid);
  if (rc < 0) return rc;
  if (pid != 0 && pid != GUEST_PID) return -EPERM;
  uint32_t data[2][3];
  if (gm_read(vm, a[1], data, (uint64_t)words * sizeof(data[0]))) return -EFAULT;
  for (int w = 0; w < words; w++)
    for (int k = 0; k < 3; k++)
      if (data[w][k]) return -EPERM; /* only the empty sets it already has */
  return 0;
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static long sys_arch_prctl(struct vm *vm, const uint64_t a[6]) {
  struct kvm_sregs s;
  int is_fs = a[0] == ARCH_SET_FS || a[0] == ARCH_GET_FS;
  if (a[0] < ARCH_SET_GS || a[0] > ARCH_GET_GS) return -EINVAL;
  if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) return -EIO;
  struct kvm_segment *seg = is_fs ? &s.fs : &s.gs;
  if (a[0] == ARCH_GET_FS || a[0] == ARCH_GET_GS) return gm_write(vm, a[1], &seg->base, 8);
  if (a[1] >= 0x800000000000ULL) return -EPERM;
  seg->base = a[1];
  return ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0 ? -EIO : 0;
}

static long sys_prlimit64(struct vm *vm, const uint64_t a[6]) {
  if (a[0] != 0 && a[0] != GUEST_PID) return -ESRCH;
  if (a[3]) {
    uint64_t lim[2];
    switch (a[1]) {
    case 3: lim[0] = lim[1] = vm->proc.stack_hi - vm->proc.stack_lo; break; /* STACK */
    case 7: lim[0] = lim[1] = 1024; break;                                  /* NOFILE */
    case 9: lim[0] = lim[1] = vm->mem_size; break;                          /* AS */
    default: lim[0] = lim[1] = ~0ULL; break;
    }
    if (gm_write(vm, a[3], lim, sizeof(lim))) return -EFAULT;
  }
  return a[2] ? -EPERM : 0;
}

static long sys_uname(struct vm *vm, const uint64_t a[6]) {
  char u[6][65];
  memset(u, 0, sizeof(u));
  strcpy(u[0], "Linux");
  strcpy(u[1], "isobench");
  strcpy(u[2], "6.1.0-isobench");
  strcpy(u[3], "#1 SMP");
  strcpy(u[4], "x86_64");
  strcpy(u[5], "(none)");
  return gm_write(vm, a[0], u, sizeof(u));
}


static long sys_getrandom(struct vm *vm, const uint64_t a[6]) {
  uint64_t len = a[1] > 1 << 20 ? 1 << 20 : a[1];
  void *p = gm_write_ptr(vm, a[0], len);
  if (!p && len) return -EFAULT;
  uint64_t done = 0;
  while (done < len) {
    ssize_t n = getrandom((char *)p + done, len - done, 0);
    if (n <= 0) return done ? (long)done : -EAGAIN;
    done += n;
  }
  return (long)len;
}

/* signals (fs_proc), thread identity and exit (threads_sys) and readlink (fs_path) are owned by
 * the families that implement them */
SYS_FAMILY(proc) {
  sys_register(39, "getpid", sys_getpid);
  sys_register(63, "uname", sys_uname);
  sys_register(102, "getuid", sys_getuid);
  sys_register(104, "getgid", sys_getuid);
  sys_register(107, "geteuid", sys_getuid);
  sys_register(108, "getegid", sys_getuid);
  sys_register(110, "getppid", sys_getppid);
  sys_register(125, "capget", sys_capget);
  sys_register(126, "capset", sys_capset);
  sys_register(158, "arch_prctl", sys_arch_prctl);
  sys_register(231, "exit_group", sys_exit_group);
  sys_register(302, "prlimit64", sys_prlimit64);
  sys_register(318, "getrandom", sys_getrandom);
}
