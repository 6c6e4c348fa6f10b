/* Guest contexts without KVM (see vm_bare.h). */
#include "vm_bare.h"
#include "policy.h"
#include "syscall.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_UP(x) (((x) + GPAGE - 1) & ~(GPAGE - 1))

/* the address-space layout elf_load_program gives a static program of BARE_PROGRAM_SIZE bytes */
static void bare_layout(struct vm *vm) {
  struct guest_proc *p = &vm->proc;
  uint64_t stack_size = vm->mem_size / 8 < (8ULL << 20) ? vm->mem_size / 8 : (8ULL << 20);
  p->stack_hi = vm->mem_size;
  p->stack_lo = vm->mem_size - stack_size;
  p->brk_start = p->brk_cur = L_USER + BARE_PROGRAM_SIZE;
  p->brk_max = PAGE_UP(p->brk_start + (p->stack_lo - p->brk_start) / 4);
  p->mmap_lo = p->brk_max;
  p->mmap_hi = p->stack_lo;
  alloc_init(&p->amap);
}

static int bare_vm_init(struct vm *vm, ib_master *m) {
  vm->vm_fd = vm->vcpu_fd = vm->memfd = -1;
  vm->master = m;
  vm->npages = vm->mem_size / GPAGE;
  vm->bitmap_words = (vm->npages + 63) / 64;
  vm->run = calloc(1, sizeof(*vm->run));
  if (!vm->run) { ib_set_error("bare vm: out of memory"); return -1; }
  return 0;
}

static void bare_vm_free(struct vm *vm) {
  sys_hooks_destroy(vm);
  if (vm->mem) munmap(vm->mem, vm->mem_size);
  if (vm->memfd >= 0) close(vm->memfd);
  free(vm->run);
  free(vm->host_dirty);
  for (int i = 0; i < 3; i++) free(vm->out[i].buf);
}

ib_master *bare_master_create(uint64_t mem_bytes, const char *root_dir) {
  if (mem_bytes < 4 * HUGE2M || mem_bytes % HUGE2M) { ib_set_error("bare vm: memory must be a 2 MiB multiple >= 8 MiB"); return NULL; }
  ib_master *m = calloc(1, sizeof(*m));
  if (!m) { ib_set_error("bare vm: out of memory"); return NULL; }
  struct vm *vm = &m->vm;
  vm->mem_size = vm->limits.mem_bytes = mem_bytes;
  if (bare_vm_init(vm, m) < 0) goto fail;
  vm->memfd = memfd_create("isobench-bare", MFD_CLOEXEC);
  if (vm->memfd < 0 || ftruncate(vm->memfd, (off_t)vm->mem_size) < 0) { ib_set_error("bare vm: memfd: %s", strerror(errno)); goto fail; }
  vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
  if (vm->mem == MAP_FAILED) { vm->mem = NULL; ib_set_error("bare vm: mmap: %s", strerror(errno)); goto fail; }
  bare_layout(vm);
  elf_note_loaded("", NULL); /* no program: the policy's defaults name none */
  sys_hooks_create(vm);
  if (policy_confine(vm, root_dir) < 0) goto fail;
  return m;
fail:
  bare_vm_free(vm);
  free(m);
  return NULL;
}

ib_worker *bare_worker_fork(ib_master *m) {
  if (!m->frozen) {
    m->frozen_proc = m->vm.proc;
    m->snap_regs = m->vm.run->s.regs.regs;
    m->frozen = 1;
  }
  ib_worker *w = calloc(1, sizeof(*w));
  if (!w) { ib_set_error("bare vm: out of memory"); return NULL; }
  struct vm *vm = &w->vm;
  vm->is_worker = 1;
  vm->mem_size = m->vm.mem_size;
  vm->limits = m->vm.limits;
  vm->baseline = &m->frozen_proc;
  w->m = m;
  w->mode = IB_MODE_FULL;
  if (bare_vm_init(vm, m) < 0) goto fail;
  vm->host_dirty = calloc(vm->bitmap_words, 8);
  vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, m->vm.memfd, 0);
  if (vm->mem == MAP_FAILED || !vm->host_dirty) { vm->mem = NULL; ib_set_error("bare vm: fork: out of memory"); goto fail; }
  vm->proc = m->frozen_proc;
  vm->run->s.regs.regs = m->snap_regs;
  sys_hooks_fork(vm, &m->vm);
  w->next = m->workers;
  m->workers = w;
  m->nworkers++;
  return w;
fail:
  bare_vm_free(vm);
  free(w);
  return NULL;
}

void bare_worker_reset(ib_worker *w, int full) {
  struct vm *vm = &w->vm;
  madvise(vm->mem, vm->mem_size, MADV_DONTNEED); /* a private mapping reads the master's memfd again */
  vm->proc = w->m->frozen_proc;
  sys_hooks_reset(vm, full);
  memset(vm->host_dirty, 0, vm->bitmap_words * 8);
  vm->run->s.regs.regs = w->m->snap_regs;
  vm->resume = NULL;
  vm->stop = STOP_NONE;
}

void bare_worker_destroy(ib_worker *w) {
  if (!w) return;
  ib_master *m = w->m;
  for (ib_worker **pp = &m->workers; *pp; pp = &(*pp)->next)
    if (*pp == w) { *pp = w->next; break; }
  m->nworkers--;
  bare_vm_free(&w->vm);
  free(w);
}

void bare_master_destroy(ib_master *m) {
  if (!m) return;
  while (m->workers) bare_worker_destroy(m->workers);
  bare_vm_free(&m->vm);
  free(m);
}
