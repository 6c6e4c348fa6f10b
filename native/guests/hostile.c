/* Hostile test guest (native/test/test_hostile.c): each request tries to get the guest's own code
 * run at CPL 0 or to change what the engine set up, and reports what it saw if it survives.
 *   cpl                 "3" when CS's RPL is 3
 *   cpuid L S           "eax ebx ecx edx" of CPUID leaf L sub-leaf S (hex)
 *   xcr0                XCR0 (xgetbv 0)
 *   forged-out          `out` to the syscall port from guest code, R11 = IOPL 3|TF|NT|IF: "rflags <hex>"
 *   stub-jump N         jump into the stub page at offset N (decimal), rcx = landing, r11 = IOPL 3
 *   iret-ring0          iretq to a frame naming the kernel code segment
 *   far-compat          far jump to the 32-bit user code segment, then SYSCALL from compatibility mode
 *   park-ring0          a thread parks in poll(); the main thread rewrites its `syscall` into a jump
 *                       to code that records CS and writes LSTAR, then blocks so the parked one resumes
 *   segs                loads null DS/ES/FS/GS and ends the request normally
 *   nop                 "ok" */
#include "guest.h"
GUEST_START

#define L_STUB 0x10000UL

static char in[256], out[256];
static char tstack[16384] __attribute__((aligned(16)));
static volatile int never;
volatile u64 seen_cs = 0xff;

static u64 copy(char *o, const char *s) { u64 n = 0; while (s[n]) { o[n] = s[n]; n++; } return n; }

/* the parked thread: poll(NULL, 0, -1) with two threads parks it at b_site for a re-issue */
void b_thread(void);
extern char b_site[], payload[];
__asm__(".globl b_thread\nb_thread:\n"
        " mov $7, %eax\n xor %edi, %edi\n xor %esi, %esi\n mov $-1, %edx\n"
        ".globl b_site\nb_site:\n syscall\n ud2\n .skip 16, 0x90\n"
        ".globl payload\npayload:\n"
        " mov %cs, %eax\n mov %rax, seen_cs(%rip)\n"
        " mov $0xC0000082, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n" /* LSTAR := 0 */
        " mov $39, %eax\n syscall\n ud2\n");

static void park_ring0(void) {
  /* clone(CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM, stack): the child runs first and parks */
  i64 tid;
  register i64 r10 __asm__("r10") = 0;
  register i64 r8 __asm__("r8") = 0;
  __asm__ volatile("syscall\n test %%rax, %%rax\n jnz 1f\n call b_thread\n ud2\n1:"
                   : "=a"(tid)
                   : "a"(56), "D"(0x50f00L), "S"(tstack + sizeof(tstack)), "d"(0), "r"(r10), "r"(r8)
                   : "rcx", "r11", "memory");
  if (tid <= 0) return;
  sc3(10, (u64)b_site & ~0xfffUL, 8192, 7); /* mprotect RWX, as a JIT would */
  i64 rel = (i64)payload - ((i64)b_site + 5);
  volatile unsigned char *p = (volatile unsigned char *)b_site;
  p[1] = (unsigned char)rel; p[2] = (unsigned char)(rel >> 8); p[3] = (unsigned char)(rel >> 16);
  p[4] = (unsigned char)(rel >> 24); p[0] = 0xe9;
  sc6(202, (i64)&never, 0, 0, 0, 0, 0); /* FUTEX_WAIT forever: the parked thread resumes */
}

void gmain(u64 *sp) {
  (void)sp;
  sc0(HC_READY);
  for (;;) {
    i64 n = sc2(HC_NEXT_REQUEST, in, sizeof(in) - 1);
    if (n < 0) g_exit(9);
    in[n] = 0;
    u64 k = 0;
    if (g_starts(in, "cpl")) {
      u64 cs;
      __asm__ volatile("mov %%cs, %0" : "=r"(cs));
      out[0] = (char)('0' + (cs & 3));
      k = 1;
    } else if (g_starts(in, "cpuid ")) {
      const char *s = in + 6;
      u64 leaf = g_parse_u(s);
      while (*s && *s != ' ') s++;
      u64 sub = g_parse_u(*s ? s + 1 : s);
      unsigned a, b, c, d;
      __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
      k = g_put_hex(out, a); out[k++] = ' ';
      k += g_put_hex(out + k, b); out[k++] = ' ';
      k += g_put_hex(out + k, c); out[k++] = ' ';
      k += g_put_hex(out + k, d);
    } else if (g_starts(in, "xcr0")) {
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      k = g_put_hex(out, (u64)hi << 32 | lo);
    } else if (g_starts(in, "forged-out")) {
      u64 fl;
      register u64 r11 __asm__("r11") = 0x7302;
      __asm__ volatile("out %%al, $0xE0\n pushfq\n pop %0" : "=r"(fl), "+r"(r11) : "a"(39L) : "rcx", "memory");
      k = copy(out, "rflags ");
      k += g_put_hex(out + k, fl);
    } else if (g_starts(in, "stub-jump ")) {
      u64 at = L_STUB + g_parse_u(in + 10);
      __asm__ volatile("lea 1f(%%rip), %%rcx\n mov $0x3202, %%r11d\n jmp *%0\n1:" : : "r"(at) : "rcx", "r11", "memory");
      k = copy(out, "returned");
    } else if (g_starts(in, "iret-ring0")) {
      __asm__ volatile("mov %%rsp, %%rax\n push $0x10\n push %%rax\n push $0x2\n push $0x08\n"
                       " lea payload(%%rip), %%rax\n push %%rax\n iretq" : : : "rax", "memory");
      k = copy(out, "returned");
    } else if (g_starts(in, "far-compat")) {
      static struct { unsigned off; unsigned short sel; } __attribute__((packed)) far;
      extern char compat_at[];
      far.off = (unsigned)(u64)compat_at;
      far.sel = 0x1b;
      __asm__ volatile("ljmpl *%0\n"
                       ".code32\n.globl compat_at\ncompat_at:\n syscall\n ud2\n.code64\n" : : "m"(far) : "memory");
      k = copy(out, "returned");
    } else if (g_starts(in, "park-ring0")) {
      park_ring0();
      k = copy(out, "cs ");
      k += g_put_hex(out + k, seen_cs);
    } else if (g_starts(in, "segs")) {
      __asm__ volatile("xor %%eax, %%eax\n mov %%eax, %%ds\n mov %%eax, %%es\n mov %%eax, %%fs\n mov %%eax, %%gs" : : : "rax");
      k = copy(out, "ok");
    } else {
      k = copy(out, "ok");
    }
    sc2(HC_REQUEST_DONE, out, k);
  }
}
