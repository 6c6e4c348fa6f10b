/* isobench-run: runs a program to its end inside the engine (one master VM, no fork) and
 * prints what it wrote plus the engine's counters. For trying programs under the sandbox:
 *   isobench-run [--allow-read PATH]... [--allow-write PATH]... [--cwd DIR] [--env NAME=VALUE]...
 *                [--allow-env NAME]... [--mem-mb N] [--time-ms N] [--verbose] [--counters FILE]
 *                -- PROGRAM [ARGS...]
 * Exit status: the guest's exit code; 124 when it hit the time limit; 125 on any other failure. */
#include "fork.h"
#include "isobench.h"
#include "isobench_fs.h"
#include "syscall.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 256

static void usage(const char *why) {
  fprintf(stderr,
          "isobench-run: %s\n"
          "usage: isobench-run [--allow-read PATH]... [--allow-write PATH]... [--cwd DIR]\n"
          "                    [--env NAME=VALUE]... [--allow-env NAME]... [--mem-mb N] [--time-ms N]\n"
          "                    [--verbose] [--counters FILE] -- PROGRAM [ARGS...]\n",
          why);
  exit(125);
}

static uint64_t parse_u64(const char *flag, const char *v) {
  char *end;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (errno || !*v || *end || v[0] == '-') {
    char msg[256];
    snprintf(msg, sizeof(msg), "%s needs a non-negative integer, got '%s'", flag, v);
    usage(msg);
  }
  return x;
}

static void drain(ib_master *m, int fd, FILE *to) {
  char buf[65536];
  size_t n;
  while ((n = ib_master_take_output(m, fd, buf, sizeof(buf))) > 0) fwrite(buf, 1, n, to);
  fflush(to);
}

int main(int argc, char **argv) {
  const char *reads[MAX_LIST], *writes[MAX_LIST], *env[MAX_LIST + 1];
  int nr = 0, nw = 0, ne = 0, verbose = 0;
  const char *cwd = NULL, *counters = NULL;
  ib_limits lim = {.mem_bytes = 512ULL << 20, .boot_time_us = 60ULL * 1000000};
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) { i++; break; }
    int has_val = i + 1 < argc;
#define NEED() do { if (!has_val) { char m_[128]; snprintf(m_, sizeof(m_), "%s needs a value", a); usage(m_); } } while (0)
    if (strcmp(a, "--allow-read") == 0) { NEED(); if (nr == MAX_LIST) usage("too many --allow-read"); reads[nr++] = argv[++i]; }
    else if (strcmp(a, "--allow-write") == 0) { NEED(); if (nw == MAX_LIST) usage("too many --allow-write"); writes[nw++] = argv[++i]; }
    else if (strcmp(a, "--cwd") == 0) { NEED(); cwd = argv[++i]; }
    else if (strcmp(a, "--env") == 0) {
      NEED();
      if (!strchr(argv[i + 1], '=')) usage("--env needs NAME=VALUE");
      if (ne == MAX_LIST) usage("too many variables");
      env[ne++] = argv[++i];
    } else if (strcmp(a, "--allow-env") == 0) {
      NEED();
      const char *name = argv[++i], *v = getenv(name);
      if (v) {
        if (ne == MAX_LIST) usage("too many variables");
        size_t len = strlen(name) + strlen(v) + 2;
        char *kv = malloc(len);
        snprintf(kv, len, "%s=%s", name, v);
        env[ne++] = kv;
      }
    } else if (strcmp(a, "--mem-mb") == 0) { NEED(); lim.mem_bytes = parse_u64(a, argv[++i]) << 20; }
    else if (strcmp(a, "--time-ms") == 0) { NEED(); lim.boot_time_us = parse_u64(a, argv[++i]) * 1000; }
    else if (strcmp(a, "--verbose") == 0) verbose = 1;
    else if (strcmp(a, "--counters") == 0) { NEED(); counters = argv[++i]; }
    else { char m_[300]; snprintf(m_, sizeof(m_), "unknown option '%s'", a); usage(m_); }
  }
  if (i >= argc) usage("no program given (put it after --)");
  env[ne] = NULL;
  if (!ib_kvm_available()) { fprintf(stderr, "isobench-run: /dev/kvm unusable: %s\n", ib_last_error()); return 125; }

  ib_master *m = ib_master_create(argv[i], (const char *const *)&argv[i], env, &lim);
  if (!m) { fprintf(stderr, "isobench-run: %s\n", ib_last_error()); return 125; }
  for (int k = 0; k < nr; k++)
    if (ib_master_allow_read(m, reads[k]) < 0) { fprintf(stderr, "isobench-run: --allow-read: %s\n", ib_last_error()); return 125; }
  for (int k = 0; k < nw; k++)
    if (ib_master_allow_write(m, writes[k]) < 0) { fprintf(stderr, "isobench-run: --allow-write: %s\n", ib_last_error()); return 125; }
  if (cwd && ib_master_set_cwd(m, cwd) < 0) { fprintf(stderr, "isobench-run: --cwd: %s\n", ib_last_error()); return 125; }
  if (verbose) ib_master_set_fs_verbose(m, 1);

  int st = ib_master_run_to_ready(m);
  drain(m, 1, stdout);
  drain(m, 2, stderr);
  int rc;
  switch (st) {
  case IB_EXITED: rc = m->vm.exit_code; break;
  case IB_OK: fprintf(stderr, "isobench-run: the guest reached its ready point (it waits for requests): stopped there\n"); rc = 0; break;
  case IB_LIMIT_TIME: fprintf(stderr, "isobench-run: %s\n", ib_last_error()); rc = 124; break;
  default: fprintf(stderr, "isobench-run: %s\n", ib_last_error()); rc = 125; break;
  }
  const struct ib_counters *c = &m->vm.ctr;
  uint64_t exits = 0, sys = 0;
  for (int k = 0; k < EXK_N; k++) exits += c->exits[k];
  for (int k = 0; k < CTR_SYSNR_MAX; k++) sys += c->syscalls[k];
  char *fs = ib_master_fs_json(m);
  fprintf(stderr, "isobench-run: %s after %.1f ms; %llu VM exits, %llu syscalls at the host; files %s\n",
          st == IB_EXITED ? "exited" : "stopped", c->boot_ns / 1e6, (unsigned long long)exits, (unsigned long long)sys, fs ? fs : "{}");
  int first = 1;
  for (int k = 0; k < CTR_SYSNR_MAX; k++) {
    if (!c->enosys[k]) continue;
    const char *name = sys_name(k);
    fprintf(stderr, "%s%s%d%s x%llu", first ? "isobench-run: unimplemented (ENOSYS): " : ", ", name ? "" : "#",
            k, "", (unsigned long long)c->enosys[k]);
    first = 0;
  }
  if (!first) fprintf(stderr, "\n");
  if (verbose) {
    fprintf(stderr, "isobench-run: syscalls by number:");
    for (int k = 0; k < CTR_SYSNR_MAX; k++)
      if (c->syscalls[k]) fprintf(stderr, " %s=%llu", sys_name(k) ? sys_name(k) : "?", (unsigned long long)c->syscalls[k]);
    fprintf(stderr, "\n");
  }
  if (counters) {
    FILE *f = fopen(counters, "w");
    if (!f) fprintf(stderr, "isobench-run: --counters %s: %s\n", counters, strerror(errno));
    else {
      fprintf(f, "{\"engine\":%s,\"files\":%s,\"status\":%d,\"exitCode\":%d}\n", ib_master_counters_json(m), fs ? fs : "{}", st,
              st == IB_EXITED ? m->vm.exit_code : -1);
      fclose(f);
    }
  }
  ib_fs_json_free(fs);
  ib_master_destroy(m);
  return rc;
}
