/* src/dirty_ring.c on a minimal real-mode VM (as bench/dirty_tracking_probe.c): a run that
 * writes N pages yields exactly those pages, and after the harvest re-arms tracking the same
 * writes are seen again on the next run. */
#include "test.h"
#include "dirty_ring.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 5
#define FIRST_PAGE 0x10 /* the guest writes one byte at 0x10000 + i * 4096 */

struct seen { uint64_t pages[64]; int n, other_slot; };
static void mark(void *ctx, uint32_t slot, uint64_t page) {
  struct seen *s = ctx;
  if (slot != 0) s->other_slot++;
  else if (s->n < 64) s->pages[s->n++] = page;
}
static int has(const struct seen *s, uint64_t page) {
  for (int i = 0; i < s->n; i++) if (s->pages[i] == page) return 1;
  return 0;
}

KVM_TEST(dirty_ring_reports_each_written_page_and_rearms) {
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  CHECK(kvm >= 0, "open /dev/kvm");
  if (!dirty_ring_available(kvm)) { close(kvm); printf("  skipped: KVM offers no dirty ring\n"); return; }
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  CHECK(vm >= 0, "KVM_CREATE_VM");
  CHECK_EQ(dirty_ring_enable(vm, 4096), 0);
  size_t size = 4 << 20;
  uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(mem != MAP_FAILED, "mmap");
  /* mov cx,PAGES; mov ax,0x1000; mov es,ax; l: mov byte es:[0],1; add ax,0x100; mov es,ax; loop l; out 0x10,al; jmp start */
  uint8_t code[] = {0xb9, PAGES, 0, 0xb8, 0x00, 0x10, 0x8e, 0xc0, 0x26, 0xc6, 0x06, 0, 0, 1,
                    0x05, 0x00, 0x01, 0x8e, 0xc0, 0xe2, 0xf3, 0xe6, 0x10, 0xe9, 0, 0};
  int16_t rel = (int16_t)-(int16_t)sizeof(code);
  memcpy(code + sizeof(code) - 2, &rel, 2);
  memcpy(mem + 0x1000, code, sizeof(code));
  struct kvm_userspace_memory_region r = {.slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES, .memory_size = size, .userspace_addr = (uint64_t)(uintptr_t)mem};
  CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) == 0, "memslot");
  int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  CHECK(cpu >= 0, "KVM_CREATE_VCPU");
  int rs = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  struct kvm_run *run = mmap(NULL, rs, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
  struct dirty_ring ring;
  CHECK_EQ(dirty_ring_map(&ring, cpu, 4096), 0);
  struct kvm_sregs s;
  ioctl(cpu, KVM_GET_SREGS, &s);
  s.cs.base = 0;
  s.cs.selector = 0;
  ioctl(cpu, KVM_SET_SREGS, &s);
  struct kvm_regs g;
  memset(&g, 0, sizeof(g));
  g.rip = 0x1000;
  g.rflags = 2;
  ioctl(cpu, KVM_SET_REGS, &g);
  /* warm-up run, not counted: on a TDP host (EPT/NPT) KVM maps a page writable on its first
   * read or fetch fault when the host page is already writable (here: the code page, written by
   * memcpy above) and logs it dirty; kvm_pvm's shadow MMU did not. Seen in the test bed as one
   * extra entry, the code page, on the first run only (DESIGN.md, "Dirty tracking"). */
  struct seen warm = {.n = 0};
  int ok = ioctl(cpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10;
  if (!ok) test_fail(__FILE__, __LINE__, "warm-up run: exit %u", run->exit_reason);
  else dirty_ring_harvest(&ring, vm, mark, &warm);
  for (int round = 0; round < 2 && ok; round++) {
    struct seen seen = {.n = 0};
    ok = ioctl(cpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10;
    if (!ok) { test_fail(__FILE__, __LINE__, "round %d: exit %u", round, run->exit_reason); break; }
    long n = dirty_ring_harvest(&ring, vm, mark, &seen);
    for (int i = 0; i < PAGES; i++)
      if (!has(&seen, FIRST_PAGE + i)) { test_fail(__FILE__, __LINE__, "round %d: page %#x not reported", round, FIRST_PAGE + i); ok = 0; }
    if (n != PAGES || seen.n != PAGES || seen.other_slot) {
      test_fail(__FILE__, __LINE__, "round %d: %ld entries, %d pages (first: %#llx)", round, n, seen.n, (unsigned long long)seen.pages[0]);
      ok = 0;
    }
    struct seen again = {.n = 0};
    if (dirty_ring_harvest(&ring, vm, mark, &again) != 0) { test_fail(__FILE__, __LINE__, "second harvest not empty"); ok = 0; }
  }
  dirty_ring_unmap(&ring);
  munmap(run, rs);
  close(cpu);
  close(vm);
  munmap(mem, size);
  close(kvm);
}
