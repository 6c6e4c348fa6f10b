/* Test guest: boots, prints, signals ready, then serves requests "<cmd> [arg]". */
#include "guest.h"
GUEST_START

static char secret[4096];
static volatile char big[16 << 20] __attribute__((aligned(4096)));
static char in[8192], out[8192];
static volatile u64 sink;
static volatile u64 bad_low = 8, bad_high = 0x7f0000000000UL;


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
