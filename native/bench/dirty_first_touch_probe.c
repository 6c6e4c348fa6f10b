/* Which pages does KVM report dirty that the guest never wrote? The dirty-ring test's real-mode
 * guest (writes 5 pages), run 3 times per VM, printing every dirty-ring entry / dirty-log bit:
 * code at 0x1000; code at 0x30000; code at 0x30000 plus reads of 0x20000 (written by the host
 * beforehand) and 0x21000 (never touched). Findings in DESIGN.md, "Dirty tracking".
 * Build: make -C native bench-first-touch (needs /dev/kvm; run it in the test bed). */
#include "../src/dirty_ring.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#define PAGES 5
static void mark(void *ctx, uint32_t slot, uint64_t page) { (void)ctx; printf(" [slot %u gfn %#llx]", slot, (unsigned long long)page); }
static int run_vm(int kvm, int use_ring, uint64_t code_at, int reads) {
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  if (use_ring && dirty_ring_enable(vm, 4096)) { printf("ring enable failed\n"); return -1; }
  size_t size = 4 << 20;
  uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  uint8_t code[] = {0xb9, PAGES, 0, 0xb8, 0x00, 0x10, 0x8e, 0xc0, 0x26, 0xc6, 0x06, 0, 0, 1,
                    0x05, 0x00, 0x01, 0x8e, 0xc0, 0xe2, 0xf3, 0xe6, 0x10, 0xe9, 0, 0};
  int16_t rel = (int16_t)-(int16_t)sizeof(code);
  memcpy(code + sizeof(code) - 2, &rel, 2);
  uint8_t rd[] = {0xb8, 0x00, 0x20, 0x8e, 0xd8, 0xa0, 0, 0, 0xb8, 0x00, 0x21, 0x8e, 0xd8, 0xa0, 0, 0}; /* mov ax,0x2000; mov ds,ax; mov al,[0]; mov ax,0x2100; mov ds,ax; mov al,[0] */
  if (reads) { memcpy(mem + code_at, rd, sizeof(rd)); memcpy(mem + code_at + sizeof(rd), code, sizeof(code)); mem[0x20000] = 7; int16_t r2 = (int16_t)-(int16_t)(sizeof(code) + sizeof(rd)); memcpy(mem + code_at + sizeof(rd) + sizeof(code) - 2, &r2, 2); }
  else memcpy(mem + code_at, code, sizeof(code));
  struct kvm_userspace_memory_region r = {.slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES, .memory_size = size, .userspace_addr = (uint64_t)(uintptr_t)mem};
  ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
  int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  int rs = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  struct kvm_run *run = mmap(NULL, rs, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
  struct dirty_ring ring;
  if (use_ring) dirty_ring_map(&ring, cpu, 4096);
  struct kvm_sregs s; ioctl(cpu, KVM_GET_SREGS, &s); s.cs.base = 0; s.cs.selector = 0; ioctl(cpu, KVM_SET_SREGS, &s);
  struct kvm_regs g; memset(&g, 0, sizeof(g)); g.rip = code_at; g.rflags = 2; ioctl(cpu, KVM_SET_REGS, &g);
  uint64_t bm[(4 << 20) / 4096 / 64];
  if (!use_ring) { struct kvm_dirty_log l = {.slot = 0, .dirty_bitmap = bm}; ioctl(vm, KVM_GET_DIRTY_LOG, &l); }
  for (int round = 0; round < 3; round++) {
    int rc = ioctl(cpu, KVM_RUN, 0);
    printf("%s%s code@%#llx round %d: rc %d exit %u port %#x:", use_ring ? "ring" : "log ", reads ? "+reads(0x20 host-written,0x21 untouched)" : "", (unsigned long long)code_at, round, rc, run->exit_reason, run->io.port);
    if (use_ring) { long n = dirty_ring_harvest(&ring, vm, mark, NULL); printf(" => %ld entries\n", n); }
    else {
      memset(bm, 0, sizeof(bm));
      struct kvm_dirty_log l = {.slot = 0, .dirty_bitmap = bm};
      ioctl(vm, KVM_GET_DIRTY_LOG, &l);
      int n = 0;
      for (int i = 0; i < (int)(sizeof(bm) / 8); i++) for (int b = 0; b < 64; b++) if (bm[i] >> b & 1) { printf(" [gfn %#x]", i * 64 + b); n++; }
      printf(" => %d pages\n", n);
    }
  }
  close(cpu); close(vm); munmap(mem, size);
  return 0;
}
int main(void) {
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  setvbuf(stdout, NULL, _IONBF, 0);
  run_vm(kvm, 1, 0x1000, 0);
  run_vm(kvm, 0, 0x1000, 0);
  run_vm(kvm, 1, 0x30000, 0);
  run_vm(kvm, 1, 0x30000, 1);
  run_vm(kvm, 0, 0x30000, 1);
  return 0;
}
