/* Test guest for state that must not cross requests or workers (test/test_leaks.c): boot-time
 * pipes and socketpairs, clock ids, randomness. No threads, no libc.
 * Boot: a pipe, a stream and a datagram socketpair, each holding "boot-..." bytes, and a pipe
 * whose write end is closed after "boot-eof" was written into it; then ready.
 * Requests: "read <ch>" (all bytes the channel's receiving end has now, '|' between messages,
 * then "EAGAIN" or "EOF"), "write <ch> <text>", "rw <ch> <text>" (read, then write), ch one of
 * pipe/stream/dgram/eof; "clock <id>" / "clockres <id>" / "sleep <id>" (the result: 0 or -errno,
 * id a signed decimal), "atrandom" / "getrandom" (16 bytes in hex). */
#include "guest.h"
GUEST_START

static char in[4096], out[8192];
static int pipe_fd[2], stream_fd[2], dgram_fd[2], eof_fd[2];
static const unsigned char *at_random;

static i64 parse_i(const char *s) {
  i64 v = 0, neg = *s == '-';
  if (neg) s++;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}
static u64 put_hex16(char *o, const unsigned char *b) {
  static const char h[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) { o[2 * i] = h[b[i] >> 4]; o[2 * i + 1] = h[b[i] & 15]; }
  return 32;
}

/* the channel's receiving and sending guest fds (send -1: the write end is closed) */
static int channel(const char *name, int *rx, int *tx, int *dgram) {
  *dgram = 0;
  if (g_starts(name, "pipe")) { *rx = pipe_fd[0]; *tx = pipe_fd[1]; return 4; }
  if (g_starts(name, "stream")) { *rx = stream_fd[0]; *tx = stream_fd[1]; return 6; }
  if (g_starts(name, "dgram")) { *rx = dgram_fd[0]; *tx = dgram_fd[1]; *dgram = 1; return 5; }
  if (g_starts(name, "eof")) { *rx = eof_fd[0]; *tx = -1; return 3; }
  return 0;
}

static u64 read_all(int fd, int dgram, char *o) {
  u64 k = 0;
  for (int m = 0; m < 64; m++) {
    i64 n = sc3(0, fd, o + k, 1024);
    if (n == -11) return k + g_copy(o + k, "EAGAIN", 6);
    if (n == 0) return k + g_copy(o + k, "EOF", 3);
    if (n < 0) { k += g_copy(o + k, "ERR", 3); return k + g_put_i(o + k, n); }
    k += (u64)n;
    if (dgram) o[k++] = '|';
  }
  return k;
}

void gmain(u64 *sp) {
  u64 argc = sp[0];
  u64 *p = sp + 1 + argc + 1;
  while (*p) p++; /* envp */
  for (p++; p[0]; p += 2)
    if (p[0] == 25) at_random = (const unsigned char *)p[1]; /* AT_RANDOM */
  if (sc2(293, pipe_fd, 04000) < 0 || sc6(53, 1, 1 | 04000, 0, (i64)stream_fd, 0, 0) < 0 ||
      sc6(53, 1, 2 | 04000, 0, (i64)dgram_fd, 0, 0) < 0 || sc2(293, eof_fd, 04000) < 0)
    g_exit(5);
  sc3(1, pipe_fd[1], "boot-pipe", 9);
  sc3(1, stream_fd[1], "boot-stream", 11);
  sc3(1, dgram_fd[1], "boot-dgram1", 11);
  sc3(1, dgram_fd[1], "boot-dgram2", 11);
  sc3(1, eof_fd[1], "boot-eof", 8);
  sc1(3, eof_fd[1]);
  sc0(HC_READY);
  for (;;) {
    i64 n = sc2(HC_NEXT_REQUEST, in, sizeof(in) - 1);
    if (n < 0) g_exit(9);
    in[n] = 0;
    u64 k = 0;
    int rx, tx, dg;
    if (g_starts(in, "read ") && channel(in + 5, &rx, &tx, &dg)) k = read_all(rx, dg, out);
    else if ((g_starts(in, "write ") || g_starts(in, "rw ")) && channel(in + (in[0] == 'w' ? 6 : 3), &rx, &tx, &dg)) {
      const char *name = in + (in[0] == 'w' ? 6 : 3);
      const char *text = name + channel(name, &rx, &tx, &dg) + 1;
      if (in[0] == 'r') k = read_all(rx, dg, out);
      i64 w = tx < 0 ? -9 : sc3(1, tx, text, g_strlen(text));
      if (in[0] == 'w') k = g_put_i(out, w);
    }
    else if (g_starts(in, "clock ")) { i64 ts[2]; k = g_put_i(out, sc2(228, parse_i(in + 6), ts)); }
    else if (g_starts(in, "clockres ")) { i64 ts[2]; k = g_put_i(out, sc2(229, parse_i(in + 9), ts)); }
    else if (g_starts(in, "sleep ")) { i64 ts[2] = {0, 1000}; k = g_put_i(out, sc6(230, parse_i(in + 6), 0, (i64)ts, 0, 0, 0)); }
    else if (g_starts(in, "atrandom")) k = at_random ? put_hex16(out, at_random) : g_copy(out, "none", 4);
    else if (g_starts(in, "getrandom")) {
      unsigned char b[16];
      i64 r = sc3(318, b, 16, 0);
      k = r == 16 ? put_hex16(out, b) : g_put_i(out, r);
    }
    else k = g_copy(out, "?", 1);
    sc2(HC_REQUEST_DONE, out, k);
  }
}
