/* Hostile test guest (test/test_attacks.c): each request attacks the sandbox from ring 3.
 *   probe                      a static counter, incremented and returned (1 on every request
 *                              when resets isolate)
 *   out P V / in P             raw port I/O: `out %al,%dx` / `in %dx,%al`, with every other
 *                              general register set to V (crafted registers)
 *   outs P A                   string port output (`rep outsb`) from address A, rcx = 4096
 *   priv N                     privileged/odd instruction N (cli, hlt, rdmsr, wrmsr, mov cr3,
 *                              lgdt, invlpg, int 0x80, int3, swapgs, sysretq, iretq, ltr)
 *   write A / read A           a store to / load from address A (hex)
 *   jump A                     jump to A (hex) with every general register crafted
 *   sys N M                    syscalls N..M-1, each with every argument pattern below
 * All numbers are hex. Nothing here returns control in a way the host trusts. */
#include "guest.h"
GUEST_START

static char in[512], out[512];
static volatile u64 counter;
static char scratch[8192] __attribute__((aligned(4096)));

static const char *hex(const char *s, u64 *v) {
  *v = 0;
  while (*s == ' ') s++;
  for (;; s++) {
    int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
    if (d < 0) return s;
    *v = *v << 4 | (u64)d;
  }
}

/* syscalls that end or block the run by design, or replace the guest's own code/stack: not
 * fuzzed (each has its own test elsewhere) */
static int skipped(u64 nr) {
  static const unsigned short skip[] = {
      15,  /* rt_sigreturn: loads a frame from the stack */
      34,  /* pause */
      56, 57, 58, 435, /* clone/fork/vfork/clone3 (a thread would run the fuzzer's stack) */
      60, 231, /* exit */
      9, 10, 11, 12, 25, 28, /* mmap/mprotect/munmap/brk/mremap/madvise: only on bad pointers below */
      61, 247, 130, 128, /* wait4/waitid/rt_sigsuspend/rt_sigtimedwait: block */
      7, 23, 270, 271, 232, 281, 441, /* poll/select/epoll waits: may park the run */
      202, /* futex */
      43, 288, /* accept */
      0, 17, 19, 295, 327, 45, 47, 299, /* reads: a blocking read of an empty socketpair ends the run */
      35, 230, /* sleeps (virtual, harmless; skipped for speed) */
  };
  for (unsigned i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
    if (skip[i] == nr) return 1;
  return 0;
}

/* pointers and lengths a careful host must refuse or clamp: wrapping, past the end of guest
 * memory, inside the stub/page tables/data page, straddling the start of user memory, huge */
static const u64 bad_ptr[] = {
    0xfffffffffffff000UL, 0x7ffffffff000UL, 0x1000, 0x10000, 0x11000, 0x1ff000, 0xffffffffffffffffUL, 0x8000000000000000UL,
};
static const u64 bad_len[] = {0xffffffffffffffffUL, 0x100000000UL, 0x2000};

static u64 fuzz(u64 from, u64 to) {
  u64 calls = 0;
  for (u64 nr = from; nr < to; nr++) {
    if (skipped(nr)) continue;
    for (unsigned p = 0; p < sizeof(bad_ptr) / sizeof(bad_ptr[0]); p++)
      for (unsigned l = 0; l < sizeof(bad_len) / sizeof(bad_len[0]); l++) {
        u64 P = bad_ptr[p], L = bad_len[l];
        /* fd-first calls (read/write/ioctl...) get a real fd, pointer and length */
        sc6((i64)nr, 1, (i64)P, (i64)L, (i64)P, (i64)L, (i64)P);
        sc6((i64)nr, (i64)P, (i64)L, (i64)P, (i64)L, (i64)P, (i64)L);
        calls += 2;
      }
    /* overlapping in/out structures inside the guest's own memory */
    sc6((i64)nr, 3, (i64)scratch, (i64)scratch + 1, (i64)scratch + 2, 16, (i64)scratch);
    sc6((i64)nr, (i64)scratch, (i64)scratch, (i64)scratch, (i64)scratch, (i64)scratch, (i64)scratch);
    calls += 2;
  }
  /* the memory family only on pointers outside the guest's own code and stack */
  static const unsigned short mem[] = {9, 10, 11, 12, 25, 28};
  for (unsigned i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
    if (mem[i] < from || mem[i] >= to) continue;
    for (unsigned p = 0; p < sizeof(bad_ptr) / sizeof(bad_ptr[0]); p++)
      for (unsigned l = 0; l < sizeof(bad_len) / sizeof(bad_len[0]); l++) {
        sc6(mem[i], (i64)bad_ptr[p], (i64)bad_len[l], 7, 0x32 /* MAP_FIXED|PRIVATE|ANON */, -1, 0);
        calls++;
      }
  }
  return calls;
}

static void priv(u64 n) {
  static volatile u64 gdtr[2];
  switch (n) {
  case 0: __asm__ volatile("cli"); break;
  case 1: __asm__ volatile("hlt"); break;
  case 2: __asm__ volatile("rdmsr" ::"c"(0xc0000082u) : "rax", "rdx"); break;               /* LSTAR */
  case 3: __asm__ volatile("wrmsr" ::"c"(0xc0000082u), "a"(0x400000u), "d"(0u)); break;      /* LSTAR */
  case 4: __asm__ volatile("mov %0, %%cr3" ::"r"(0x1000UL)); break;
  case 5: __asm__ volatile("lgdt %0" ::"m"(gdtr)); break;
  case 6: __asm__ volatile("invlpg (%0)" ::"r"(0x10000UL) : "memory"); break;
  case 7: __asm__ volatile("int $0x80"); break;
  case 8: __asm__ volatile("int3"); break;
  case 9: __asm__ volatile("swapgs"); break;
  case 10: __asm__ volatile("mov $0x10000, %%rcx\n sysretq" ::: "rcx", "r11"); break;
  case 11: __asm__ volatile("push $0x23\n push %%rsp\n pushf\n push $0x8\n push $0x10000\n iretq" ::: "memory"); break;
  case 12: __asm__ volatile("ltr %w0" ::"r"(0x28)); break;
  case 13: __asm__ volatile("mov %%cr0, %%rax" ::: "rax"); break;
  case 14: __asm__ volatile("wbinvd"); break;
  case 15: __asm__ volatile("vmcall"); break;
  case 16: __asm__ volatile("vmmcall"); break;
  default: break;
  }
}

/* every general register = g_val (rdx = g_port), then the instruction */
static volatile u64 g_port __attribute__((used)), g_val __attribute__((used));
#define CRAFTED(insn, port, v)                                                                      \
  do { g_port = (port); g_val = (v);                                                              \
  __asm__ volatile("push %%rbp\n mov g_val(%%rip), %%rax\n mov %%rax, %%rbx\n mov %%rax, %%rcx\n"  \
                   " mov %%rax, %%rsi\n mov %%rax, %%rdi\n mov %%rax, %%r8\n mov %%rax, %%r9\n"        \
                   " mov %%rax, %%r10\n mov %%rax, %%r11\n mov %%rax, %%r12\n mov %%rax, %%r13\n"      \
                   " mov %%rax, %%r14\n mov %%rax, %%r15\n mov %%rax, %%rbp\n"                         \
                   " mov g_port(%%rip), %%rdx\n" insn "\n pop %%rbp" ::                                \
                   : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory"); } while (0)

static void jump(u64 a) {
  __asm__ volatile("mov %0, %%rax\n mov %0, %%rbx\n mov %0, %%rcx\n mov %0, %%rdx\n mov %0, %%rsi\n"
                   " mov %0, %%rdi\n mov %0, %%r8\n mov %0, %%r9\n mov %0, %%r10\n mov %0, %%r11\n"
                   " jmp *%%rax" ::"r"(a)
                   : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
}

void gmain(u64 *sp) {
  (void)sp;
  sc0(HC_READY);
  for (;;) {
    i64 n = sc2(HC_NEXT_REQUEST, in, sizeof(in) - 1);
    if (n < 0) g_exit(9);
    in[n] = 0;
    u64 k = 0, a, b;
    if (g_starts(in, "probe")) k = g_put_i(out, (i64)++counter);
    else if (g_starts(in, "out ")) { hex(hex(in + 4, &a), &b); CRAFTED("out %%al, %%dx", a, b); k = g_copy(out, "returned", 8); }
    else if (g_starts(in, "in ")) { hex(in + 3, &a); CRAFTED("in %%dx, %%al", a, a); k = g_copy(out, "returned", 8); }
    else if (g_starts(in, "outs ")) {
      hex(hex(in + 5, &a), &b);
      __asm__ volatile("rep outsb" : "+S"(b) : "d"(a), "c"(4096UL) : "memory");
      k = g_copy(out, "returned", 8);
    }
    else if (g_starts(in, "priv ")) { hex(in + 5, &a); priv(a); k = g_copy(out, "returned", 8); }
    else if (g_starts(in, "write ")) { hex(in + 6, &a); *(volatile u64 *)a = 0x4141414141414141UL; k = g_copy(out, "returned", 8); }
    else if (g_starts(in, "read ")) { hex(in + 5, &a); k = g_put_hex(out, *(volatile u64 *)a); }
    else if (g_starts(in, "jump ")) { hex(in + 5, &a); jump(a); k = g_copy(out, "returned", 8); }
    else if (g_starts(in, "sys ")) { hex(hex(in + 4, &a), &b); k = g_put_i(out, (i64)fuzz(a, b)); }
    else k = g_copy(out, "?", 1);
    sc2(HC_REQUEST_DONE, out, k);
  }
}
