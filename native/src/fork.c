/* Fork and reset. Guest memory is one memfd: the master maps it MAP_SHARED while it boots and
 * never runs after the freeze; each worker maps it MAP_PRIVATE as its KVM memslot, so host
 * copy-on-write isolates workers from the master and from each other whatever the guest's page
 * tables say. Dirty pages come from KVM's dirty log (manual-protect mode) plus a host bitmap of
 * the host's own writes into the guest. */
#include "fork.h"
#include "gmem.h"
#include "dirty_track.h"
#include "syscall.h"
#include "sys_mem.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
/* a `full` reset re-populates the dropped private set only up to this size (16 MiB), so the
 * memory a worker holds between requests stays bounded (see worker_reset) */
#define FULL_REPOPULATE_MAX_PAGES 4096
/* a `pages` reset of a private set larger than this (64 MiB) drops it instead (a full reset without
 * re-populating): one large request does not leave the worker holding that memory for good, and
 * copying that much back costs more than dropping it */
#define PRIVATE_SET_SHRINK_PAGES 16384

#define DEFAULT_MEM (256ULL << 20)
#define DEFAULT_BOOT_US 10000000ULL
#define DEFAULT_REQ_US 1000000ULL
#define DEFAULT_HYBRID (1ULL << 20)

static const char *mode_name(int mode) {
  static const char *const n[] = {"persist", "pages", "full", "hybrid"};
  return mode >= 0 && mode <= 3 ? n[mode] : "?";
}

static int vm_alloc_bitmaps(struct vm *vm) {
  vm->npages = vm->mem_size / GPAGE;
  vm->bitmap_words = (vm->npages + 63) / 64;
  if (!vm->is_worker) return 0;
  vm->host_dirty = calloc(vm->bitmap_words, 8);
  return vm->host_dirty ? 0 : -1;
}

static void vm_free(struct vm *vm) {
  sys_hooks_destroy(vm);
  if (vm->timer_armed_tid) timer_delete(vm->timer);
  dt_free(vm);
  vm_destroy_kvm(vm);
  if (vm->mem) munmap(vm->mem, vm->mem_size);
  if (vm->memfd >= 0) close(vm->memfd);
  free(vm->host_dirty);
  for (int i = 0; i < 3; i++) free(vm->out[i].buf);
}

ib_master *master_create(const char *path, const char *const *argv, const char *const *envp, const ib_limits *lim) {
  if (sys_registry_check() < 0 || kvm_open() < 0) return NULL;
  ib_master *m = calloc(1, sizeof(*m));
  struct vm *vm = &m->vm;
  vm->vm_fd = vm->vcpu_fd = vm->memfd = -1;
  if (lim) vm->limits = *lim;
  if (!vm->limits.mem_bytes) vm->limits.mem_bytes = DEFAULT_MEM;
  if (!vm->limits.boot_time_us) vm->limits.boot_time_us = DEFAULT_BOOT_US;
  if (!vm->limits.request_time_us) vm->limits.request_time_us = DEFAULT_REQ_US;
  if (!vm->limits.hybrid_threshold_bytes) vm->limits.hybrid_threshold_bytes = DEFAULT_HYBRID;
  vm->mem_size = (vm->limits.mem_bytes + HUGE2M - 1) & ~(HUGE2M - 1);
  vm->limits.mem_bytes = vm->mem_size;
  vm->master = m;
  if (vm->mem_size > ((uint64_t)L_PD_MAX << 30) || vm->mem_size < 4 * HUGE2M) {
    ib_set_error("memory limit %llu bytes: must be between 8 MiB and %d GiB", (unsigned long long)vm->mem_size, L_PD_MAX);
    goto fail;
  }
  vm->memfd = memfd_create("isobench-guest", MFD_CLOEXEC);
  if (vm->memfd < 0 || ftruncate(vm->memfd, (off_t)vm->mem_size) < 0) {
    ib_set_error("guest memory memfd: %s", strerror(errno));
    goto fail;
  }
  vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
  if (vm->mem == MAP_FAILED) { vm->mem = NULL; ib_set_error("mmap guest memory: %s", strerror(errno)); goto fail; }
  if (vm_alloc_bitmaps(vm) < 0 || vm_write_low_layout(vm) < 0 || vm_create_kvm(vm) < 0 || vm_set_user_sregs(vm) < 0)
    goto fail;
  int ring0;
  if (vm_probe_exit_path(vm, &ring0) < 0 || vm_set_user_sregs(vm) < 0) goto fail;
  uint64_t entry, sp;
  if (elf_load_program(vm, path, argv, envp, &entry, &sp) < 0) goto fail;
  mem_hide_unmapped(vm);
  struct kvm_regs r;
  memset(&r, 0, sizeof(r));
  r.rip = entry;
  r.rsp = sp;
  r.rflags = 0x2; /* IOPL 0: ring 3 reaches only the ports the TSS I/O bitmap opens */
  if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0) { ib_set_error("KVM_SET_REGS: %s", strerror(errno)); goto fail; }
  sys_hooks_create(vm);
  return m;
fail:
  vm_free(vm);
  free(m);
  return NULL;
}

/* Reading a hole of a tmpfs file through a mapping allocates a page in the file (shmem has no
 * zero page), so a worker that merely READ fresh guest memory would grow the shared memfd for
 * good, invisible to the dirty log and the memory cap (measured: 256 MiB read = 256 MiB of shmem).
 * At the freeze the memfd's holes are listed; each worker maps the holes from HOLE_OVERLAY_MIN up
 * as anonymous private memory over its file mapping (reads map the zero page, writes allocate
 * private pages as before, MADV_DONTNEED reads zeros = the master's content). */
#define HOLE_OVERLAY_MIN (16 * GPAGE)
#define HOLE_OVERLAY_MAX 8192 /* VMAs per worker stay far below vm.max_map_count */
static int list_memfd_holes(ib_master *m) {
  struct vm *vm = &m->vm;
  uint64_t words = (vm->npages + 63) / 64, cap = 0;
  m->data_map = calloc(words, 8);
  if (!m->data_map) return -1;
  off_t pos = 0, size = (off_t)vm->mem_size;
  while (pos < size) {
    off_t data = lseek(vm->memfd, pos, SEEK_DATA);
    if (data < 0) data = size; /* ENXIO: only a hole is left */
    if (data > pos) { /* hole [pos, data) */
      uint64_t len = (uint64_t)(data - pos);
      if (len >= HOLE_OVERLAY_MIN && m->nholes < HOLE_OVERLAY_MAX) {
        if (m->nholes == cap) {
          cap = cap ? cap * 2 : 256;
          struct alloc_ext *n = realloc(m->holes, cap * sizeof(*n));
          if (!n) return -1;
          m->holes = n;
        }
        m->holes[m->nholes++] = (struct alloc_ext){.start = (uint64_t)pos, .len = len};
      } else {
        m->holes_uncovered_bytes += len;
      }
    }
    if (data >= size) break;
    off_t hole = lseek(vm->memfd, data, SEEK_HOLE);
    if (hole < 0) hole = size;
    for (uint64_t p = (uint64_t)data / GPAGE; p < ((uint64_t)hole + GPAGE - 1) / GPAGE && p < vm->npages; p++)
      m->data_map[p / 64] |= 1ULL << (p % 64);
    pos = hole;
  }
  return 0;
}

static int map_holes_anonymous(ib_worker *w) {
  for (uint32_t i = 0; i < w->m->nholes; i++) {
    const struct alloc_ext *h = &w->m->holes[i];
    void *p = mmap(w->vm.mem + h->start, h->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) { ib_set_error("fork: anonymous hole mapping: %s", strerror(errno)); return -1; }
    /* as the private copies of file pages were: 4 KiB pages, so the host holds what KVM logs */
    madvise(p, h->len, MADV_NOHUGEPAGE);
  }
  return 0;
}

static int freeze(ib_master *m) {
  struct vm *vm = &m->vm;
  struct kvm_xsave xs;
  if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &m->snap_regs) < 0 || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &m->snap_sregs) < 0 ||
      ioctl(vm->vcpu_fd, KVM_GET_XSAVE, &xs) < 0) {
    ib_set_error("freeze: reading vCPU state: %s", strerror(errno));
    return -1;
  }
  /* KVM reports a port exit with rip at the `out` (fast path, skipped on re-entry) or already
   * past it (instruction emulator): accept both */
  uint64_t rip = m->snap_regs.rip;
  if (rip >= L_STUB && rip + 2 <= L_STUB + GPAGE && vm->mem[rip] == 0xE6 && vm->mem[rip + 1] == PORT_SYSCALL)
    m->resume_rip = rip + 2;
  else if (rip >= L_STUB + 2 && rip <= L_STUB + GPAGE && vm->mem[rip - 2] == 0xE6 && vm->mem[rip - 1] == PORT_SYSCALL)
    m->resume_rip = rip;
  else {
    ib_set_error("freeze: vCPU is not stopped at the stub's port exit (rip 0x%llx)", (unsigned long long)rip);
    return -1;
  }
  /* KVM's image is in standard form; keep only the components XCR0 enables (xrstor raises #GP
   * on an XSTATE_BV bit outside XCR0) */
  uint64_t xstate_bv, xcomp_bv = 0;
  memcpy(&xstate_bv, (uint8_t *)xs.region + 512, 8);
  xstate_bv &= guest_xcr0();
  memcpy((uint8_t *)xs.region + 512, &xstate_bv, 8);
  memcpy((uint8_t *)xs.region + 520, &xcomp_bv, 8);
  memcpy(vm->mem + L_XSAVE, xs.region, sizeof(xs.region));
  uint8_t *d = vm->mem + L_DATA;
  uint64_t rax = 0; /* the ready hypercall returns 0 */
  /* ring-0 path: the trampoline ends in the stub's one sysretq, never at a rip kept in data */
  uint64_t resume_at = exit_path_ring0() ? L_STUB + S_RET_R0 : m->resume_rip;
  uint16_t sel[4] = {m->snap_sregs.ds.selector, m->snap_sregs.es.selector, m->snap_sregs.fs.selector,
                     m->snap_sregs.gs.selector};
  memcpy(d + D_RESUME_RIP, &resume_at, 8);
  memcpy(d + D_RESUME_SEL, sel, sizeof(sel));
  memcpy(d + D_RESUME_RAX, &rax, 8);
  memcpy(d + D_RESUME_RDX, &m->snap_regs.rdx, 8);
  memcpy(d + D_RESUME_FS, &m->snap_sregs.fs.base, 8);
  memcpy(d + D_RESUME_GS, &m->snap_sregs.gs.base, 8);
  m->snap_regs.rax = 0;
  if (!exit_path_ring0()) m->snap_regs.rflags = (m->snap_regs.r11 & RFLAGS_USER) | RFLAGS_FIXED; /* as the return would */
  m->frozen_proc = vm->proc;
  if (list_memfd_holes(m) < 0) { ib_set_error("freeze: listing the memory's holes: out of memory"); return -1; }
  m->frozen = 1;
  m->freeze_mono_ns = now_ns();
  return 0;
}

int master_run_to_ready(ib_master *m) {
  struct vm *vm = &m->vm;
  if (m->frozen) { ib_set_error("master is already frozen"); return IB_ERROR; }
  uint64_t t0 = now_ns();
  int stop = vm_run(vm, vm->limits.boot_time_us);
  vm->ctr.boot_ns = now_ns() - t0;
  switch (stop) {
  case STOP_READY:
    return freeze(m) < 0 ? IB_ERROR : IB_OK;
  case STOP_EXIT: ib_set_error("guest exited before ready (code %d)", vm->exit_code); return IB_EXITED;
  case STOP_FAULT: ib_set_error("guest faulted before ready: %s", vm->stop_msg); return IB_FAULTED;
  case STOP_LIMIT_TIME: ib_set_error("boot %s", vm->stop_msg); return IB_LIMIT_TIME;
  case STOP_BLOCKED: ib_set_error("guest waited for a request before signalling ready"); return IB_KILLED;
  default: ib_set_error("guest killed before ready: %s", vm->stop_msg); return IB_KILLED;
  }
}

void master_destroy(ib_master *m) {
  if (!m) return;
  if (m->nworkers) { ib_set_error("master still has %d workers", m->nworkers); return; }
  vm_free(&m->vm);
  free(m->json);
  free(m->data_map);
  free(m->holes);
  free(m);
}

/* Rewrites what makes this worker differ from the master after the memory was put back. */
static void apply_worker_fixups(ib_worker *w) {
  struct vm *vm = &w->vm;
  if (vm->proc.at_random && gm_valid(vm, vm->proc.at_random, 16)) memcpy(vm->mem + vm->proc.at_random, w->at_random, 16);
}

/* The worker is about to run from the frozen state: its monotonic clock goes on from the freeze
 * instant (the in-guest clock's base on the data page, and the host's view, mono_offset_ns), as
 * its memory does. Without it every timer the frozen guest had pending (deno: a start-up timer that
 * installs signal handlers and starts a thread; V8's memory reducer) expires once the server has
 * run that long, and then runs again in every request. Wall-clock time (REALTIME) stays real. */
static void rebase_clock(ib_worker *w) {
  struct vm *vm = &w->vm;
  uint64_t base;
  vm->mono_offset_ns = (int64_t)(w->m->freeze_mono_ns - now_ns());
  memcpy(&base, w->m->vm.mem + L_DATA + D_MONO_NS, 8);
  base += (uint64_t)vm->mono_offset_ns;
  memcpy(vm->mem + L_DATA + D_MONO_NS, &base, 8);
  vm->at_frozen_state = 0;
}

/* registers to resume from the frozen state: through the stub's resume trampoline */
static void load_resume_regs(ib_worker *w) {
  w->vm.at_frozen_state = 1;
  struct kvm_run *run = w->vm.run;
  run->s.regs.regs = w->m->snap_regs;
  run->s.regs.regs.rip = L_STUB + S_RESUME;
  run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

ib_worker *worker_fork(ib_master *m, int mode) {
  if (!m->frozen) { ib_set_error("fork: master is not frozen (run it to ready first)"); return NULL; }
  if (mode < 0 || mode > 3) { ib_set_error("fork: unknown reset mode %d", mode); return NULL; }
  uint64_t t0 = now_ns();
  ib_worker *w = calloc(1, sizeof(*w));
  struct vm *vm = &w->vm;
  vm->vm_fd = vm->vcpu_fd = vm->memfd = -1;
  vm->is_worker = 1;
  vm->master = m;
  vm->limits = m->vm.limits;
  vm->mem_size = m->vm.mem_size;
  vm->baseline = &m->frozen_proc;
  w->m = m;
  w->mode = mode;
  w->hybrid_threshold = vm->limits.hybrid_threshold_bytes;
  vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, m->vm.memfd, 0);
  if (vm->mem == MAP_FAILED) { vm->mem = NULL; ib_set_error("fork: mmap: %s", strerror(errno)); goto fail; }
  if (map_holes_anonymous(w) < 0 || vm_alloc_bitmaps(vm) < 0) goto fail;
  w->since_reset = calloc(vm->bitmap_words, 8);
  w->scratch = calloc(vm->bitmap_words, 8);
  vm->private_set = w->since_reset;
  if (vm_create_kvm(vm) < 0) goto fail;
  if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &m->snap_sregs) < 0) { ib_set_error("fork: KVM_SET_SREGS: %s", strerror(errno)); goto fail; }
  vm->proc = m->frozen_proc;
  if (getrandom(w->at_random, 16, 0) != 16) { ib_set_error("fork: getrandom failed"); goto fail; }
  apply_worker_fixups(w);
  memset(vm->host_dirty, 0, vm->bitmap_words * 8); /* the fixups are this worker's baseline */
  load_resume_regs(w);
  sys_hooks_fork(vm, &m->vm);
  vm->ctr.forks++;
  vm->ctr.fork_ns_sum += now_ns() - t0;
  w->next = m->workers;
  m->workers = w;
  m->nworkers++;
  return w;
fail:
  vm_free(vm);
  free(w->since_reset);
  free(w->scratch);
  free(w->since_pages);
  free(w);
  return NULL;
}

/* Folds this request's dirty pages (KVM log ∪ host writes) into the private set and returns how
 * many pages were new to it. Nothing is re-protected here: a page already in the set stays
 * writable in KVM's page tables until the next full reset (see worker_reset). */
/* dirty-ring mode: adds a page to the private set; 1 if it was new */
static int ring_set_add(ib_worker *w, uint64_t p) {
  uint64_t bit = 1ULL << (p % 64);
  if (w->since_reset[p / 64] & bit) return 0;
  if (w->since_count == w->since_pages_cap) {
    uint64_t cap = w->since_pages_cap ? w->since_pages_cap * 2 : 4096;
    uint32_t *n = realloc(w->since_pages, cap * sizeof(*n));
    if (!n) { w->vm.dt.overflow = 1; return 0; } /* the next reset drops the whole mapping */
    w->since_pages = n;
    w->since_pages_cap = cap;
  }
  w->since_reset[p / 64] |= bit;
  w->since_pages[w->since_count++] = (uint32_t)p;
  return 1;
}

static uint64_t collect_dirty_ring(ib_worker *w) {
  struct vm *vm = &w->vm;
  uint64_t fresh = 0, n = dt_harvest(vm);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t p = vm->dt.pages[i];
    vm->host_dirty[p / 64] &= ~(1ULL << (p % 64));
    fresh += (uint64_t)ring_set_add(w, p);
  }
  vm->dt.n = 0;
  vm->dt_set_pages = w->since_count;
  if (w->since_count > w->since_peak) w->since_peak = w->since_count;
  w->last_new_dirty = fresh;
  return fresh;
}

static int cmp_page(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void drop_range(struct vm *vm, uint64_t first, uint64_t n, int repopulate);

/* dirty-ring mode full reset: drop the listed set in coalesced ranges, then re-arm (every page
 * harvested since the last re-arm is write-protected again: the set, plus nothing else) */
static int64_t drop_private_set_ring(ib_worker *w, int repopulate) {
  struct vm *vm = &w->vm;
  uint64_t n = w->since_count;
  if (vm->dt.overflow) { /* a page may be missing from the lists: drop everything private */
    madvise(vm->mem, vm->mem_size, MADV_DONTNEED);
    memset(w->since_reset, 0, vm->bitmap_words * 8);
    vm->dt.overflow = 0;
  } else {
    qsort(w->since_pages, n, sizeof(*w->since_pages), cmp_page);
    uint64_t run_start = 0, run_len = 0;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t p = w->since_pages[i];
      w->since_reset[p / 64] &= ~(1ULL << (p % 64));
      if (run_len && run_start + run_len == p) { run_len++; continue; }
      if (run_len) drop_range(vm, run_start, run_len, repopulate);
      run_start = p;
      run_len = 1;
    }
    if (run_len) drop_range(vm, run_start, run_len, repopulate);
  }
  dt_harvest(vm); /* entries still in the ring are pages of this request: re-armed below too */
  vm->dt.n = 0;
  if (dirty_ring_rearm(vm->vm_fd) < 0) return -1;
  w->since_count = 0;
  vm->dt_set_pages = 0;
  return (int64_t)n;
}

static uint64_t collect_dirty(ib_worker *w) {
  struct vm *vm = &w->vm;
  if (vm->dt.ring.gfns) return collect_dirty_ring(w);
  uint64_t unused;
  vm_count_dirty(vm, w->scratch, &unused);
  uint64_t fresh = 0, total = 0;
  for (uint64_t i = 0; i < vm->bitmap_words; i++) {
    uint64_t now = w->scratch[i] | vm->host_dirty[i];
    fresh += __builtin_popcountll(now & ~w->since_reset[i]);
    w->since_reset[i] |= now;
    total += __builtin_popcountll(w->since_reset[i]);
    vm->host_dirty[i] = 0;
  }
  w->since_count = total;
  if (total > w->since_peak) w->since_peak = total;
  w->last_new_dirty = fresh;
  return fresh;
}

/* full reset of the memory: drops the private set (coalesced into ranges) so those pages read the
 * master's memfd again, then clears their KVM dirty bits, which write-protects them again. Clean
 * pages are the master's already and keep their KVM mappings. With `repopulate`, each dropped range
 * is faulted back in at once as fresh private copies of the master's pages (MADV_POPULATE_WRITE):
 * the next request then takes one KVM fault per page instead of a host COW fault plus, for a page
 * read before it is written, a second KVM fault (measured in DESIGN.md, "full reset"). Returns
 * pages dropped, -1 if the dirty bits could not be cleared (then the set is kept, so a later
 * `pages` reset still covers every page KVM lets the guest write without logging). */
static void drop_range(struct vm *vm, uint64_t first, uint64_t n, int repopulate) {
  madvise(vm->mem + first * GPAGE, n * GPAGE, MADV_DONTNEED);
  if (repopulate) madvise(vm->mem + first * GPAGE, n * GPAGE, MADV_POPULATE_WRITE); /* failure: faults later, same content */
}

static int64_t drop_private_set(ib_worker *w, int repopulate) {
  struct vm *vm = &w->vm;
  if (vm->dt.ring.gfns) return drop_private_set_ring(w, repopulate);
  uint64_t lo = vm->bitmap_words, hi = 0, dropped = 0;
  uint64_t run_start = 0, run_len = 0;
  for (uint64_t i = 0; i < vm->bitmap_words; i++) {
    uint64_t bits = w->since_reset[i];
    if (!bits) continue;
    if (i < lo) lo = i;
    hi = i + 1;
    while (bits) {
      uint64_t p = i * 64 + __builtin_ctzll(bits);
      bits &= bits - 1;
      dropped++;
      if (run_len && run_start + run_len == p) { run_len++; continue; }
      if (run_len) drop_range(vm, run_start, run_len, repopulate);
      run_start = p;
      run_len = 1;
    }
  }
  if (run_len) drop_range(vm, run_start, run_len, repopulate);
  if (lo < hi) {
    uint64_t first = lo * 64, count = (hi - lo) * 64;
    if (first + count > vm->npages) count = vm->npages - first;
    struct kvm_clear_dirty_log clr = {.slot = 0, .num_pages = (uint32_t)count, .first_page = first};
    clr.dirty_bitmap = w->since_reset + lo;
    if (ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clr) < 0) return -1;
  }
  memset(w->since_reset, 0, vm->bitmap_words * 8);
  w->since_count = 0;
  return (int64_t)dropped;
}

int worker_run_request(ib_worker *w, const void *in, size_t in_len, void *out, size_t out_cap, ib_request_result *res) {
  struct vm *vm = &w->vm;
  ib_request_result local;
  if (!res) res = &local;
  memset(res, 0, sizeof(*res));
  if (w->tainted && worker_reset(w, IB_MODE_FULL) < 0) return res->status = IB_ERROR;
  if (vm->at_frozen_state) rebase_clock(w);
  vm->req = (struct request_io){.in = in ? in : (const uint8_t *)"", .in_len = in_len, .out = out, .out_cap = out_cap};
  vm->req_exits = vm->req_syscalls = vm->req_host_intr = 0;
  vm->dirty_cap_pages = vm->limits.request_dirty_bytes / GPAGE;
  vm->private_pages = w->since_count;
  vm->req_host_pages = 0;
  if (vm->resume) {
    long (*fn)(struct vm *) = vm->resume;
    vm->resume = NULL;
    vm_syscall_return(vm, fn(vm));
  }
  int stop = vm_run(vm, vm->limits.request_time_us);
  uint64_t dirty = collect_dirty(w); /* pages new to the private set */
  struct ib_counters *c = &vm->ctr;
  c->requests++;
  c->dirty_sum += dirty;
  if (dirty > c->dirty_max) c->dirty_max = dirty;
  c->req_exits_sum += vm->req_exits;
  if (vm->req_exits > c->req_exits_max) c->req_exits_max = vm->req_exits;
  c->req_syscalls_sum += vm->req_syscalls;
  c->req_host_intr_sum += vm->req_host_intr;
  res->dirty_pages = w->since_count; /* the request's working memory: what hybrid compares */
  res->exits = vm->req_exits;
  res->syscalls = vm->req_syscalls;
  res->out_len = vm->req.out_len;
  switch (stop) {
  case STOP_BLOCKED:
    res->status = vm->req.in_delivered ? IB_OK : IB_KILLED;
    if (!vm->req.in_delivered) ib_set_error("guest did not take the request");
    break;
  case STOP_EXIT: res->status = IB_EXITED; res->exit_code = vm->exit_code; break;
  case STOP_FAULT: res->status = IB_FAULTED; break;
  case STOP_LIMIT_TIME: res->status = IB_LIMIT_TIME; break;
  case STOP_LIMIT_MEM: res->status = IB_LIMIT_MEMORY; break;
  default: res->status = IB_KILLED; break;
  }
  if (res->status != IB_OK) {
    w->tainted = 1;
    vm->resume = NULL;
    if (stop != STOP_BLOCKED) ib_set_error("%s", vm->stop_msg);
  }
  vm->req = (struct request_io){0};
  return res->status;
}

/* one page back to the master's content; a page that was a hole at the freeze is zeroed (reading
 * it through the master's mapping would allocate it in the memfd) */
static void restore_page(ib_worker *w, uint64_t p) {
  uint8_t *dst = w->vm.mem + p * GPAGE;
  if (w->m->data_map[p / 64] >> (p % 64) & 1) memcpy(dst, w->m->vm.mem + p * GPAGE, GPAGE);
  else memset(dst, 0, GPAGE);
}

/* copies the master's contents back over every page of the worker's private set (the list in
 * dirty-ring mode, the bitmap otherwise: both name the same pages) */
static void restore_private_set(ib_worker *w) {
  struct vm *vm = &w->vm;
  if (vm->dt.ring.gfns) {
    for (uint64_t i = 0; i < w->since_count; i++) restore_page(w, w->since_pages[i]);
    return;
  }
  for (uint64_t i = 0; i < vm->bitmap_words; i++) {
    uint64_t bits = w->since_reset[i];
    while (bits) {
      uint64_t p = i * 64 + __builtin_ctzll(bits);
      bits &= bits - 1;
      restore_page(w, p);
    }
  }
}

int worker_reset(ib_worker *w, int mode) {
  struct vm *vm = &w->vm;
  ib_master *m = w->m;
  if (mode < 0) mode = w->mode;
  if (mode > 3) { ib_set_error("reset: unknown mode %d", mode); return -1; }
  uint64_t t0 = now_ns();
  if (w->tainted) mode = IB_MODE_FULL;
  if (mode == IB_MODE_PERSIST) { vm->ctr.resets_persist++; return IB_MODE_PERSIST; }
  /* a full reset asked for as such (or forced by a fault/limit) re-populates a bounded set; hybrid's
   * threshold path exists to give a large working set back, so it only drops */
  int repopulate = mode == IB_MODE_FULL && w->since_count <= FULL_REPOPULATE_MAX_PAGES;
  if (mode == IB_MODE_HYBRID) mode = w->since_count * GPAGE > w->hybrid_threshold ? IB_MODE_FULL : IB_MODE_PAGES;
  if (mode == IB_MODE_PAGES && vm->dt.overflow) mode = IB_MODE_FULL; /* the lists are incomplete */
  if (mode == IB_MODE_PAGES && w->since_count > PRIVATE_SET_SHRINK_PAGES) {
    mode = IB_MODE_FULL;
    vm->ctr.private_shrinks++;
  }
  if (mode == IB_MODE_PAGES) {
    /* the whole private set: its pages stay writable without logging, so any of them may have
     * been written by this request */
    restore_private_set(w);
    w->restored_pages_sum += w->since_count;
    w->restore_resets++;
    vm->ctr.resets_pages++;
  } else {
    int64_t dropped = drop_private_set(w, repopulate);
    if (dropped < 0) {
      /* cannot re-arm tracking: fall back to restoring the set (still complete, see above) */
      ib_set_error("reset: KVM_CLEAR_DIRTY_LOG: %s", strerror(errno));
      restore_private_set(w);
    } else {
      w->dropped_pages_sum += (uint64_t)dropped;
      w->drop_resets++;
    }
    if (w->tainted) {
      struct kvm_vcpu_events ev;
      struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};
      memset(&ev, 0, sizeof(ev));
      ioctl(vm->vcpu_fd, KVM_SET_VCPU_EVENTS, &ev);
      ioctl(vm->vcpu_fd, KVM_SET_MP_STATE, &mp);
      if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &m->snap_sregs) < 0 || vm_set_lstar(vm, exit_path_ring0()) < 0) {
        ib_set_error("reset: KVM_SET_SREGS/MSRS: %s", strerror(errno));
        return -1;
      }
    }
    vm->ctr.resets_full++;
  }
  if (vm->proc.generation != m->frozen_proc.generation) vm->proc = m->frozen_proc;
  if (vm->pt_changed) { /* the master's page tables are back: the TLB may hold the request's */
    vm->tlb_stale = 1;
    vm->pt_changed = 0;
  }
  sys_hooks_reset(vm, mode == IB_MODE_FULL);
  apply_worker_fixups(w);
  if (vm->dt.ring.gfns && !vm->dt.overflow) { /* the host's writes of the reset are the baseline */
    for (uint64_t i = 0; i < vm->dt.n; i++) vm->host_dirty[vm->dt.pages[i] / 64] = 0;
    vm->dt.n = 0;
  } else {
    memset(vm->host_dirty, 0, vm->bitmap_words * 8);
    vm->dt.n = 0;
  }
  vm->resume = NULL;
  w->tainted = 0;
  load_resume_regs(w);
  counters_reset_sample(&vm->ctr, now_ns() - t0);
  return mode;
}

void worker_destroy(ib_worker *w) {
  if (!w) return;
  ib_master *m = w->m;
  for (ib_worker **pp = &m->workers; *pp; pp = &(*pp)->next)
    if (*pp == w) { *pp = w->next; break; }
  m->nworkers--;
  counters_add(&m->retired, &w->vm.ctr);
  vm_free(&w->vm);
  free(w->since_reset);
  free(w->scratch);
  free(w->since_pages);
  free(w->json);
  free(w);
}

uint64_t worker_private_pages(const ib_worker *w) {
  const struct vm *vm = &w->vm;
  uint64_t n = w->since_peak, r = vm->proc.at_random;
  /* the AT_RANDOM fixup page is private from the fork on, whether or not it is in the set */
  if (r && gm_valid((struct vm *)vm, r, 16) && !(w->since_reset[(r / GPAGE) / 64] >> ((r / GPAGE) % 64) & 1)) n++;
  return n;
}

void worker_clear_page_counters(ib_worker *w) {
  w->restored_pages_sum = w->restore_resets = w->dropped_pages_sum = w->drop_resets = 0;
  w->since_peak = w->since_count;
}

const char *worker_mode_name(const ib_worker *w) { return mode_name(w->mode); }
