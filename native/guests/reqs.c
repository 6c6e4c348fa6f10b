/* Test guest: boots, prints, signals ready, then serves requests "<cmd> [arg]". */
#include "guest.h"
GUEST_START

static char secret[4096];
static volatile char big[16 << 20] __attribute__((aligned(4096)));
static char in[8192], out[8192];
static volatile u64 sink;
static volatile u64 bad_low = 8, bad_high = 0x7f0000000000UL;

static int starts(const char *s, const char *p) { while (*p) if (*s++ != *p++) return 0; return 1; }
static u64 parse_u(const char *s) { u64 v = 0; while (*s >= '0' && *s <= '9') v = v * 10 + (u64)(*s++ - '0'); return v; }
static u64 put_i(char *o, i64 v) {
  char t[24]; u64 n = 0, k = 0;
  if (v < 0) { o[k++] = '-'; v = -v; }
  do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) o[k++] = t[--n];
  return k;
}
static u64 put_hex(char *o, u64 v) {
  static const char h[] = "0123456789abcdef"; u64 k = 0;
  for (int i = 60; i >= 0; i -= 4) o[k++] = h[(v >> i) & 15];
  return k;
}
static u64 copy(char *o, const char *s, u64 n) { for (u64 i = 0; i < n; i++) o[i] = s[i]; return n; }

void gmain(u64 *sp) {
  (void)sp;
  g_puts("booted\n");
  sc0(HC_READY);
  for (;;) {
    i64 n = sc2(HC_NEXT_REQUEST, in, sizeof(in) - 1);
    if (n < 0) g_exit(9);
    in[n] = 0;
    u64 k = 0;
    if (starts(in, "echo ")) k = copy(out, in + 5, (u64)n - 5);
    else if (starts(in, "secret-write ")) { u64 i = 0; for (; in[13 + i]; i++) secret[i] = in[13 + i]; secret[i] = 0; k = copy(out, "ok", 2); }
    else if (starts(in, "secret-read")) k = copy(out, secret, g_strlen(secret));
    else if (starts(in, "addr")) k = put_hex(out, (u64)secret);
    else if (starts(in, "dirty ")) { u64 p = parse_u(in + 6); for (u64 i = 0; i < p && i < sizeof(big) / 4096; i++) big[i * 4096] = 1; k = copy(out, "ok", 2); }
    else if (starts(in, "loop")) for (;;) sink++;
    else if (starts(in, "fault-ptr")) { *(volatile u64 *)bad_low = 1; }
    else if (starts(in, "fault-high")) { sink = *(volatile u64 *)bad_high; }
    else if (starts(in, "ud2")) __asm__ volatile("ud2");
    else if (starts(in, "alloc ")) {
      u64 bytes = parse_u(in + 6) << 20;
      i64 a = sc6(9, 0, (i64)bytes, 3, 0x22, -1, 0);
      if (a < 0) { k = copy(out, "mmap ", 5); k += put_i(out + k, a); }
      else { for (u64 i = 0; i < bytes; i += 4096) ((volatile char *)a)[i] = 1; k = copy(out, "touched", 7); }
    }
    else if (starts(in, "enosys")) k = put_i(out, sc0(400));
    else if (starts(in, "random")) { i64 r = sc3(318, secret, 32, 0); k = put_i(out, r); }
    else if (starts(in, "nop ")) { u64 c = parse_u(in + 4); for (u64 i = 0; i < c; i++) sc1(HC_NOP, i); k = copy(out, "ok", 2); }
    else if (starts(in, "sys ")) { u64 c = parse_u(in + 4); for (u64 i = 0; i < c; i++) sc0(110); k = copy(out, "ok", 2); }
    else if (starts(in, "clock ")) {
      u64 c = parse_u(in + 6); i64 ts[2] = {0, 0};
      for (u64 i = 0; i < c; i++) sc2(228, 1, ts);
      k = put_i(out, ts[0]); out[k++] = ' '; k += put_i(out + k, ts[1]);
    }
    else if (starts(in, "exit")) g_exit(3);
    else if (starts(in, "print ")) { sc3(1, 1, in + 6, (u64)n - 6); k = copy(out, "ok", 2); }
    else k = copy(out, "?", 1);
    sc2(HC_REQUEST_DONE, out, k);
  }
}
