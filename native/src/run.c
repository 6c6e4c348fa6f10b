/* The vCPU loop: KVM_RUN, exit handling, syscall dispatch through synced registers, and the
 * wall-clock / dirty-memory limits (a POSIX timer signals the vCPU thread; the handler sets
 * kvm_run->immediate_exit so a signal landing outside KVM_RUN is not lost). */
#include "dirty_track.h"
#include "engine.h"
#include "syscall.h"
#include "net.h"
#include "pt_prot.h"
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KICK_SIGNAL (SIGRTMIN + 4)
#define MEM_CHECK_NS 2000000ULL /* dirty-cap check period while a cap is set */

static __thread struct kvm_run *volatile tls_run;
static __thread int tls_sig_ready;
static __thread volatile sig_atomic_t tls_kicked; /* the timer's signal came since the last exit */
static pthread_once_t g_sig_once = PTHREAD_ONCE_INIT;

static void kick_handler(int sig) {
  (void)sig;
  struct kvm_run *r = tls_run;
  tls_kicked = 1;
  if (r) r->immediate_exit = 1;
}

static void install_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(KICK_SIGNAL, &sa, NULL);
}

/* an interrupt exit the engine's timer caused (its number follows wall time, not the guest); an
 * immediate_exit set by anything else (a test's injected exit) counts as the engine's own */
static void count_timer_exit(struct vm *vm) {
  if (!tls_kicked) return;
  tls_kicked = 0;
  vm->req_host_intr++;
}

uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

void vm_stop(struct vm *vm, enum stop_reason why, const char *fmt, ...) {
  vm->stop = why;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(vm->stop_msg, sizeof(vm->stop_msg), fmt, ap);
  va_end(ap);
}

long vm_syscall_exit(struct vm *vm, uint64_t nr, const uint64_t a[6]) {
  if (net_guest_pending(vm)) net_guest_sync(vm); /* before the call: keeps byte order */
  long ret = sys_dispatch(vm, nr, a);
  if (net_guest_published(vm)) net_guest_recheck(vm);
  return ret;
}

static int arm_timer(struct vm *vm, uint64_t first_ns, uint64_t period_ns) {
  pid_t tid = (pid_t)syscall(SYS_gettid);
  if (vm->timer_armed_tid != tid) {
    if (vm->timer_armed_tid) timer_delete(vm->timer);
    vm->timer_armed_tid = 0;
    struct sigevent sev;
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = KICK_SIGNAL;
    sev._sigev_un._tid = tid;
    if (timer_create(CLOCK_MONOTONIC, &sev, &vm->timer) < 0) {
      ib_set_error("timer_create: %s", strerror(errno));
      return -1;
    }
    vm->timer_armed_tid = tid;
  }
  struct itimerspec its = {
      .it_value = {(time_t)(first_ns / 1000000000ULL), (long)(first_ns % 1000000000ULL)},
      .it_interval = {(time_t)(period_ns / 1000000000ULL), (long)(period_ns % 1000000000ULL)}};
  return timer_settime(vm->timer, 0, &its, NULL);
}

static void disarm_timer(struct vm *vm) {
  if (!vm->timer_armed_tid) return;
  struct itimerspec its;
  memset(&its, 0, sizeof(its));
  timer_settime(vm->timer, 0, &its, NULL);
}

/* KVM's dirty log (not cleared) OR the host's writes: bitmap into out (may be NULL), count */
void vm_count_dirty(struct vm *vm, uint64_t *out, uint64_t *pages) {
  if (vm->dt.ring.gfns) { /* ring: the private set + what was listed since (an upper bound) */
    *pages = vm->dt_set_pages + dt_harvest(vm);
    return;
  }
  uint64_t n = 0;
  uint64_t tmp_small[64];
  uint64_t *bm = out ? out : (vm->bitmap_words <= 64 ? tmp_small : NULL);
  if (vm->is_worker && bm) {
    struct kvm_dirty_log log = {.slot = 0};
    log.dirty_bitmap = bm;
    if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) memset(bm, 0, vm->bitmap_words * 8);
    for (uint64_t i = 0; i < vm->bitmap_words; i++) n += __builtin_popcountll(bm[i] | vm->host_dirty[i]);
  } else if (vm->is_worker) {
    uint64_t *tmp = __builtin_alloca(vm->bitmap_words * 8);
    return vm_count_dirty(vm, tmp, pages);
  }
  *pages = n;
}

static void check_dirty_cap(struct vm *vm) {
  if (!vm->dirty_cap_pages || !vm->is_worker) return;
  uint64_t n;
  vm_count_dirty(vm, NULL, &n);
  if (n > vm->dirty_cap_pages) {
    vm->ctr.limit_hits[LIM_REQUEST_MEMORY]++;
    vm_stop(vm, STOP_LIMIT_MEM, "request dirtied %llu pages, over the cap of %llu",
            (unsigned long long)n, (unsigned long long)vm->dirty_cap_pages);
  }
}

static void handle_fault(struct vm *vm) {
  struct kvm_regs *r = &vm->run->s.regs.regs;
  unsigned vec = r->rax & 0xff;
  struct kvm_sregs s;
  uint64_t cr2 = 0;
  if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) == 0) cr2 = s.cr2;
  /* the CPU pushed [error code], rip, cs, rflags, rsp, ss on the IST stack */
  int has_err = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30;
  uint64_t frame = L_IST_TOP - (has_err ? 48 : 40), rip = 0, err = 0;
  memcpy(&rip, vm->mem + frame + (has_err ? 8 : 0), 8);
  if (has_err) memcpy(&err, vm->mem + frame, 8);
  static const char *const names[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
                                        "#TS", "#NP", "#SS", "#GP", "#PF", "15",  "#MF", "#AC", "#MC", "#XM",
                                        "#VE", "#CP", "22",  "23",  "24",  "25",  "26",  "27",  "28",  "29",
                                        "30",  "31"};
  vm->ctr.faults++;
  if (vec == 14)
    vm_stop(vm, STOP_FAULT, "guest fault %s at rip 0x%llx, address 0x%llx, error 0x%llx", names[vec],
            (unsigned long long)rip, (unsigned long long)cr2, (unsigned long long)err);
  else
    vm_stop(vm, STOP_FAULT, "guest fault %s at rip 0x%llx", names[vec & 31], (unsigned long long)rip);
}

int vm_run(struct vm *vm, uint64_t time_limit_us) {
  struct kvm_run *run = vm->run;
  vm->stop = STOP_NONE;
  vm->stop_msg[0] = 0;
  pthread_once(&g_sig_once, install_handler);
  if (!tls_sig_ready) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    tls_sig_ready = 1;
  }
  uint64_t start = now_ns();
  vm->deadline_ns = time_limit_us ? start + time_limit_us * 1000ULL : 0;
  uint64_t first = 0, period = 0;
  if (vm->dirty_cap_pages && vm->is_worker) first = period = MEM_CHECK_NS;
  if (vm->deadline_ns && (!first || time_limit_us * 1000ULL < first)) first = time_limit_us * 1000ULL;
  if (vm->deadline_ns && !period) period = 1000000ULL; /* re-kick if the first one was absorbed */
  if (first && arm_timer(vm, first, period) < 0) return STOP_KILLED;

  tls_run = run;
  while (vm->stop == STOP_NONE) {
    if (vm->tlb_stale && pt_flush_tlb(vm) < 0) { /* never run on translations the host took back */
      vm->ctr.killed++;
      vm_stop(vm, STOP_KILLED, "TLB flush after a page-table change failed: %s", strerror(errno));
      break;
    }
    int rc = ioctl(vm->vcpu_fd, KVM_RUN, 0);
    run->kvm_dirty_regs = 0;
    vm->req_exits++;
    if (rc < 0) {
      if (errno != EINTR && errno != EAGAIN) {
        vm->ctr.exits[EXK_OTHER]++;
        vm->ctr.killed++;
        vm_stop(vm, STOP_KILLED, "KVM_RUN failed: %s", strerror(errno));
        break;
      }
      vm->ctr.exits[EXK_INTR]++;
      count_timer_exit(vm);
      run->immediate_exit = 0;
      if (vm->deadline_ns && now_ns() >= vm->deadline_ns) {
        vm->ctr.limit_hits[LIM_TIME]++;
        vm_stop(vm, STOP_LIMIT_TIME, "time limit of %llu us exceeded", (unsigned long long)time_limit_us);
        break;
      }
      check_dirty_cap(vm);
      continue;
    }
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
      if (run->io.port == PORT_SYSCALL && run->io.direction == KVM_EXIT_IO_OUT) {
        vm->ctr.exits[EXK_SYSCALL]++;
        vm->req_syscalls++;
        struct kvm_regs *r = &run->s.regs.regs;
        if (exit_path_ring0() && (r->rip < L_STUB || r->rip >= L_STUB + GPAGE)) {
          /* cannot happen: ring 3 has no port (TSS bitmap closed) and no stub page (supervisor) */
          vm->ctr.killed++;
          vm_stop(vm, STOP_KILLED, "syscall port used outside the stub (rip 0x%llx)", (unsigned long long)r->rip);
          break;
        }
        const uint64_t a[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
        long ret = vm_syscall_exit(vm, r->rax, a);
        if (vm->stop == STOP_NONE) vm_syscall_return(vm, ret);
      } else if (run->io.port == PORT_FAULT) {
        vm->ctr.exits[EXK_FAULT]++;
        handle_fault(vm);
      } else {
        vm->ctr.exits[EXK_IO_OTHER]++;
        vm->ctr.killed++;
        vm_stop(vm, STOP_KILLED, "guest used I/O port 0x%x", run->io.port);
      }
      break;
    case KVM_EXIT_INTR:
      vm->ctr.exits[EXK_INTR]++;
      count_timer_exit(vm);
      break;
    case KVM_EXIT_DIRTY_RING_FULL: /* collect and re-arm; the run goes on unless over the memory cap */
      dt_ring_full(vm);
      check_dirty_cap(vm);
      break;
    case KVM_EXIT_SHUTDOWN:
      vm->ctr.exits[EXK_SHUTDOWN]++;
      vm->ctr.faults++;
      vm_stop(vm, STOP_FAULT, "guest fault: VM shutdown (triple fault) at rip 0x%llx",
              (unsigned long long)run->s.regs.regs.rip);
      break;
    case KVM_EXIT_INTERNAL_ERROR:
      vm->ctr.exits[EXK_INTERNAL]++;
      vm->ctr.faults++;
      vm_stop(vm, STOP_FAULT, "guest fault: KVM internal error %u at rip 0x%llx (unemulated instruction?)",
              run->internal.suberror, (unsigned long long)run->s.regs.regs.rip);
      break;
    case KVM_EXIT_MMIO:
      vm->ctr.exits[EXK_MMIO]++;
      vm->ctr.faults++;
      vm_stop(vm, STOP_FAULT, "guest fault: access to unbacked address 0x%llx",
              (unsigned long long)run->mmio.phys_addr);
      break;
    case KVM_EXIT_HLT:
      vm->ctr.exits[EXK_HLT]++;
      vm->ctr.killed++;
      vm_stop(vm, STOP_KILLED, "guest executed hlt");
      break;
    case KVM_EXIT_FAIL_ENTRY:
      vm->ctr.exits[EXK_FAIL_ENTRY]++;
      vm->ctr.killed++;
      vm_stop(vm, STOP_KILLED, "VM entry failed (reason 0x%llx)",
              (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
      break;
    default:
      vm->ctr.exits[EXK_OTHER]++;
      vm->ctr.killed++;
      vm_stop(vm, STOP_KILLED, "unexpected VM exit %u", run->exit_reason);
      break;
    }
  }
  tls_run = NULL;
  if (net_guest_pending(vm)) net_guest_sync(vm);
  run->immediate_exit = 0;
  if (first) disarm_timer(vm);
  tls_kicked = 0; /* a tick after the last exit: it caused none, and the next run is not its */
  if (vm->stop == STOP_FAULT || vm->stop == STOP_KILLED) run->kvm_dirty_regs = 0;
  return vm->stop;
}

void capture_append(struct capture *c, const void *p, size_t n) {
  if (c->len + n > IB_CAPTURE_MAX) {
    size_t room = IB_CAPTURE_MAX - c->len;
    c->dropped += n - room;
    n = room;
  }
  if (n == 0) return;
  if (c->len + n > c->cap) {
    size_t nc = c->cap ? c->cap : 4096;
    while (nc < c->len + n) nc *= 2;
    char *nb = realloc(c->buf, nc);
    if (!nb) { c->dropped += n; return; }
    c->buf = nb;
    c->cap = nc;
  }
  memcpy(c->buf + c->len, p, n);
  c->len += n;
}
