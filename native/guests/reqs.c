/* Test guest: boots, prints, signals ready, then serves requests "<cmd> [arg]". */
#include "guest.h"
GUEST_START

static char secret[4096];
static volatile char big[16 << 20] __attribute__((aligned(4096)));
static char in[8192], out[8192];
static volatile u64 sink;
static volatile u64 bad_low = 8, bad_high = 0x7f0000000000UL;
static char prot_page[4096] __attribute__((aligned(4096)));

static int prot_of(char c) { return c == 'r' ? 1 : c == 'w' ? 3 : c == 'x' ? 5 : 0; } /* PROT_READ|WRITE|EXEC */

/* "prot P A": a fresh page holding `ret`, mprotect(P) (r = R, w = RW, x = RX, n = NONE), then access A
 * (r read, w write, x call). Prints the mprotect result and "done" if the access did not fault. */
static u64 prot_cmd(const char *arg, char *o) {
  i64 pg = sc6(9, 0, 4096, 3, 0x22, -1, 0);
  if (pg < 0) { u64 k = g_copy(o, "mmap ", 5); return k + g_put_i(o + k, pg); }
  *(volatile unsigned char *)pg = 0xc3;
  i64 r = sc3(10, pg, 4096, prot_of(arg[0]));
  u64 k = g_copy(o, "mprotect ", 9);
  k += g_put_i(o + k, r);
  if (arg[1] == ' ' && arg[2] == 'r') sink = *(volatile unsigned char *)pg;
  else if (arg[1] == ' ' && arg[2] == 'w') *(volatile unsigned char *)pg = 0xc3;
  else if (arg[1] == ' ' && arg[2] == 'x') ((void (*)(void))pg)();
  return k + g_copy(o + k, " done", 5);
}

void gmain(u64 *sp) {
  (void)sp;
  g_puts("booted\n");
  sc0(HC_READY);
  for (;;) {
    i64 n = sc2(HC_NEXT_REQUEST, in, sizeof(in) - 1);
    if (n < 0) g_exit(9);
    in[n] = 0;
    u64 k = 0;
    if (g_starts(in, "echo ")) k = g_copy(out, in + 5, (u64)n - 5);
    else if (g_starts(in, "secret-write ")) { u64 i = 0; for (; in[13 + i]; i++) secret[i] = in[13 + i]; secret[i] = 0; k = g_copy(out, "ok", 2); }
    else if (g_starts(in, "secret-read")) k = g_copy(out, secret, g_strlen(secret));
    else if (g_starts(in, "addr")) k = g_put_hex(out, (u64)secret);
    else if (g_starts(in, "dirty ")) { u64 p = g_parse_u(in + 6); for (u64 i = 0; i < p && i < sizeof(big) / 4096; i++) big[i * 4096] = 1; k = g_copy(out, "ok", 2); }
    else if (g_starts(in, "loop")) for (;;) sink++;
    else if (g_starts(in, "fault-ptr")) { *(volatile u64 *)bad_low = 1; }
    else if (g_starts(in, "fault-high")) { sink = *(volatile u64 *)bad_high; }
    else if (g_starts(in, "ud2")) __asm__ volatile("ud2");
    else if (g_starts(in, "alloc ")) {
      u64 bytes = g_parse_u(in + 6) << 20;
      i64 a = sc6(9, 0, (i64)bytes, 3, 0x22, -1, 0);
      if (a < 0) { k = g_copy(out, "mmap ", 5); k += g_put_i(out + k, a); }
      else { for (u64 i = 0; i < bytes; i += 4096) ((volatile char *)a)[i] = 1; k = g_copy(out, "touched", 7); }
    }
    else if (g_starts(in, "prot ")) k = prot_cmd(in + 5, out);
    else if (g_starts(in, "mprotect ")) { /* N read-only/read-write round trips of one static page */
      u64 c = g_parse_u(in + 9); i64 r = 0;
      for (u64 i = 0; i < c && !r; i++) r = sc3(10, prot_page, 4096, 1) | sc3(10, prot_page, 4096, 3);
      prot_page[0]++;
      k = g_put_i(out, r);
    }
    else if (g_starts(in, "static-ro")) k = g_put_i(out, sc3(10, prot_page, 4096, 1)); /* left read-only */
    else if (g_starts(in, "static-write")) { prot_page[1]++; k = g_copy(out, "ok", 2); }
    else if (g_starts(in, "guard")) { /* 3 pages, the middle one PROT_NONE: a write into it must fault */
      i64 a = sc6(9, 0, 3 * 4096, 3, 0x22, -1, 0);
      i64 r = sc3(10, a + 4096, 4096, 0);
      ((volatile char *)a)[0] = 1; ((volatile char *)a)[2 * 4096] = 1;
      k = g_copy(out, "mprotect ", 9); k += g_put_i(out + k, r);
      if (in[5] == ' ') ((volatile char *)a)[4096] = 1;
      k += g_copy(out + k, " done", 5);
    }
    else if (g_starts(in, "readmem ")) { /* map N MiB and only read it */
      u64 bytes = g_parse_u(in + 8) << 20;
      i64 a = sc6(9, 0, (i64)bytes, 3, 0x22, -1, 0);
      if (a < 0) { k = g_copy(out, "mmap ", 5); k += g_put_i(out + k, a); }
      else { u64 s = 0; for (u64 i = 0; i < bytes; i += 4096) s += ((volatile char *)a)[i]; k = g_copy(out, s ? "nonzero" : "zeros", s ? 7 : 5); }
    }
    else if (g_starts(in, "rand ")) { /* N host writes of 256 bytes (getrandom) */
      u64 c = g_parse_u(in + 5); i64 r = 0;
      for (u64 i = 0; i < c && r >= 0; i++) r = sc3(318, secret, 256, 0);
      k = g_put_i(out, r);
    }
    else if (g_starts(in, "mremap ")) { /* map N MiB, then move it (the host copies it) */
      u64 bytes = g_parse_u(in + 7) << 20;
      i64 a = sc6(9, 0, (i64)bytes, 3, 0x22, -1, 0);
      i64 r = a < 0 ? a : sc6(25, a, (i64)bytes, (i64)bytes + 4096, 1, 0, 0);
      k = g_put_i(out, r < 0 ? r : 0);
    }
    else if (g_starts(in, "enosys")) k = g_put_i(out, sc0(400));
    else if (g_starts(in, "random")) { i64 r = sc3(318, secret, 32, 0); k = g_put_i(out, r); }
    else if (g_starts(in, "nop ")) { u64 c = g_parse_u(in + 4); for (u64 i = 0; i < c; i++) sc1(HC_NOP, i); k = g_copy(out, "ok", 2); }
    else if (g_starts(in, "sys ")) { u64 c = g_parse_u(in + 4); for (u64 i = 0; i < c; i++) sc0(110); k = g_copy(out, "ok", 2); }
    else if (g_starts(in, "clock ")) {
      u64 c = g_parse_u(in + 6); i64 ts[2] = {0, 0};
      for (u64 i = 0; i < c; i++) sc2(228, 1, ts);
      k = g_put_i(out, ts[0]); out[k++] = ' '; k += g_put_i(out + k, ts[1]);
    }
    else if (g_starts(in, "exit")) g_exit(3);
    else if (g_starts(in, "print ")) { sc3(1, 1, in + 6, (u64)n - 6); k = g_copy(out, "ok", 2); }
    else k = g_copy(out, "?", 1);
    sc2(HC_REQUEST_DONE, out, k);
  }
}
