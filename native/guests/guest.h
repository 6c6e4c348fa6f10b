/* Freestanding helpers for test guests: raw syscalls and the engine's hypercalls. */
#ifndef GUEST_H
#define GUEST_H
typedef unsigned long u64;
typedef long i64;

static inline i64 sc6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e, i64 f) {
  register i64 r10 __asm__("r10") = d;
  register i64 r8 __asm__("r8") = e;
  register i64 r9 __asm__("r9") = f;
  i64 ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return ret;
}
#define sc0(n) sc6(n, 0, 0, 0, 0, 0, 0)
#define sc1(n, a) sc6(n, (i64)(a), 0, 0, 0, 0, 0)
#define sc2(n, a, b) sc6(n, (i64)(a), (i64)(b), 0, 0, 0, 0)
#define sc3(n, a, b, c) sc6(n, (i64)(a), (i64)(b), (i64)(c), 0, 0, 0)

#define HC_READY 0x1000
#define HC_NEXT_REQUEST 0x1001
#define HC_REQUEST_DONE 0x1002
#define HC_NOP 0x1003

static inline u64 g_strlen(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static inline void g_puts(const char *s) { sc3(1, 1, s, g_strlen(s)); }
static inline void g_exit(int code) { for (;;) sc1(231, code); }

/* text helpers the request guests share: prefix test, decimal in and out, hex out, byte copy */
static inline int g_starts(const char *s, const char *p) { while (*p) if (*s++ != *p++) return 0; return 1; }
static inline u64 g_parse_u(const char *s) { u64 v = 0; while (*s >= '0' && *s <= '9') v = v * 10 + (u64)(*s++ - '0'); return v; }
static inline u64 g_put_i(char *o, i64 v) {
  char t[24]; u64 n = 0, k = 0;
  if (v < 0) { o[k++] = '-'; v = -v; }
  do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) o[k++] = t[--n];
  return k;
}
static inline u64 g_put_hex(char *o, u64 v) {
  static const char h[] = "0123456789abcdef"; u64 k = 0;
  for (int i = 60; i >= 0; i -= 4) o[k++] = h[(v >> i) & 15];
  return k;
}
static inline u64 g_copy(char *o, const char *s, u64 n) { for (u64 i = 0; i < n; i++) o[i] = s[i]; return n; }

/* _start: rsp points at argc; call gmain(sp) with an aligned stack */
#define GUEST_START                                                          \
  void gmain(u64 *sp);                                                       \
  __asm__(".globl _start\n_start:\n xor %ebp,%ebp\n mov %rsp,%rdi\n"         \
          " and $-16,%rsp\n call gmain\n ud2\n");
#endif
