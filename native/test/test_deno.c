/* socketpair + EPOLLET (guests/unix_pair.c) and the unmodified `deno` binary of the npm package
 * under the engine: --version, eval, run of a script file. The deno tests skip with a reason
 * when the binary is absent (no `npm ci`). Deno needs a guest memory larger than 48 GiB: V8's
 * Oilpan reserves a 48 GiB PROT_NONE range (sparse memfd: costs address space, not memory). */
#include "test.h"
#include "isobench.h"
#include "isobench_fs.h"
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define DENO_MEM (80ULL << 30)

static char upath[512];
static const char *unix_pair_guest(void) {
  snprintf(upath, sizeof(upath), "%s/unix_pair", guest_dir);
  return upath;
}

/* runs a program to its exit; stdout into out */
static int run_to_exit(const char *prog, const char *const *argv, const char *const *envp, uint64_t mem,
                       const char *cwd, const char *rw_dir, char *out, size_t cap, char *err, size_t ecap) {
  ib_limits lim = {.mem_bytes = mem, .boot_time_us = 60ULL * 1000000};
  ib_master *m = ib_master_create(prog, argv, envp, &lim);
  if (!m) { snprintf(err, ecap, "create: %s", ib_last_error()); return IB_ERROR; }
  if ((cwd && (ib_master_set_cwd(m, cwd) < 0 || ib_master_allow_read(m, cwd) < 0)) ||
      (rw_dir && ib_master_allow_write(m, rw_dir) < 0)) {
    snprintf(err, ecap, "policy: %s", ib_last_error());
    ib_master_destroy(m);
    return IB_ERROR;
  }
  int st = ib_master_run_to_ready(m);
  if (st == IB_ERROR || st == IB_KILLED) snprintf(err, ecap, "%s | ", ib_last_error());
  else err[0] = 0;
  out[ib_master_take_output(m, 1, out, cap - 1)] = 0;
  size_t el = strlen(err);
  err[el + ib_master_take_output(m, 2, err + el, ecap - el - 1)] = 0;
  ib_master_destroy(m);
  return st;
}

KVM_TEST(unix_pair_and_epollet_match_linux) {
  const char *argv[] = {unix_pair_guest(), NULL};
  char out[1024], err[1024];
  int st = run_to_exit(unix_pair_guest(), argv, NULL, 64ULL << 20, NULL, NULL, out, sizeof(out), err, sizeof(err));
  CHECK_EQ(st, IB_EXITED);
  /* Linux gives the same except scm_rights (accepted there; refused here: no fd passing) */
  const char *want = "send=4 recv=4 'ping' write=5 read=5 'pong!'\n"
                     "empty=-1 errno=EAGAIN\n"
                     "sendmsg=5 recvmsg=5 'abcde' scm_rights=-1 errno=EOPNOTSUPP\n"
                     "epollet idle=0 new=1 same=0 after-drain=1 data=7\n"
                     "blocked receiver got 'wake'\n";
  CHECK(strcmp(out, want) == 0, "output '%s' (stderr '%s')", out, err);
}

KVM_TEST(unix_pair_receive_nobody_can_write_is_a_deadlock) {
  const char *argv[] = {unix_pair_guest(), "deadlock", NULL};
  char out[256], err[1024];
  int st = run_to_exit(unix_pair_guest(), argv, NULL, 64ULL << 20, NULL, NULL, out, sizeof(out), err, sizeof(err));
  CHECK_EQ(st, IB_KILLED);
  CHECK(strstr(err, "deadlock") != NULL, "error '%s'", err);
  CHECK(out[0] == 0, "output '%s'", out);
}

static char deno_path[PATH_MAX];
static const char *deno_binary(void) {
  const char *env = getenv("DENO_BINARY");
  char p[PATH_MAX];
  if (env) snprintf(p, sizeof(p), "%s", env);
  else snprintf(p, sizeof(p), "%s/../../../node_modules/deno/deno", guest_dir);
  if (!realpath(p, deno_path) || access(deno_path, X_OK) != 0) {
    printf("  skipped: deno binary not found at %s (npm package `deno`; run npm ci, or set DENO_BINARY)\n", p);
    return NULL;
  }
  return deno_path;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb; (void)flag; (void)ftw;
  return remove(path);
}

/* a scratch working directory and DENO_DIR, removed by rm_dirs */
struct deno_dirs { char cwd[128], dir[128], dir_env[160]; };
static int make_dirs(struct deno_dirs *d) {
  snprintf(d->cwd, sizeof(d->cwd), "/tmp/isobench-deno-cwd-XXXXXX");
  snprintf(d->dir, sizeof(d->dir), "/tmp/isobench-deno-dir-XXXXXX");
  if (!mkdtemp(d->cwd) || !mkdtemp(d->dir)) return -1;
  snprintf(d->dir_env, sizeof(d->dir_env), "DENO_DIR=%s", d->dir);
  return 0;
}
static void rm_dirs(struct deno_dirs *d) {
  nftw(d->cwd, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

KVM_TEST(deno_version_under_engine) {
  const char *deno = deno_binary();
  if (!deno) return;
  const char *argv[] = {deno, "--version", NULL};
  const char *envp[] = {"DENO_NO_UPDATE_CHECK=1", NULL};
  char out[1024], err[4096];
  int st = run_to_exit(deno, argv, envp, 2ULL << 30, NULL, NULL, out, sizeof(out), err, sizeof(err));
  CHECK_EQ(st, IB_EXITED);
  CHECK(strncmp(out, "deno ", 5) == 0 && strstr(out, "\nv8 ") && strstr(out, "\ntypescript "), "output '%s' stderr '%s'", out, err);
}

KVM_TEST(deno_eval_under_engine) {
  const char *deno = deno_binary();
  if (!deno) return;
  struct deno_dirs d;
  CHECK(make_dirs(&d) == 0, "mkdtemp");
  const char *argv[] = {deno, "eval", "--v8-flags=--single-threaded", "console.log(1 + 1, typeof Deno.serve)", NULL};
  const char *envp[] = {"DENO_NO_UPDATE_CHECK=1", "DENO_NO_PROMPT=1", d.dir_env, NULL};
  char out[1024], err[4096];
  int st = run_to_exit(deno, argv, envp, DENO_MEM, d.cwd, d.dir, out, sizeof(out), err, sizeof(err));
  rm_dirs(&d);
  CHECK_EQ(st, IB_EXITED);
  CHECK(strcmp(out, "2 function\n") == 0, "output '%s' stderr '%s'", out, err);
}

KVM_TEST(deno_runs_a_script_file_under_engine) {
  const char *deno = deno_binary();
  if (!deno) return;
  struct deno_dirs d;
  CHECK(make_dirs(&d) == 0, "mkdtemp");
  char script[256];
  snprintf(script, sizeof(script), "%s/main.ts", d.cwd);
  FILE *f = fopen(script, "w");
  CHECK(f, "write script");
  fputs("const xs: number[] = [];\n"
        "for (let i = 0; i < 100000; i++) xs.push(i * 2);\n"
        "const text = await Deno.readTextFile(new URL('./main.ts', import.meta.url));\n"
        "console.log('sum', xs.reduce((a, b) => a + b, 0), Deno.args.join(','), text.length > 0);\n",
        f);
  fclose(f);
  const char *argv[] = {deno, "run", "--allow-read", "--v8-flags=--single-threaded-gc", script, "a", "b", NULL};
  const char *envp[] = {"DENO_NO_UPDATE_CHECK=1", "DENO_NO_PROMPT=1", d.dir_env, NULL};
  char out[1024], err[4096];
  int st = run_to_exit(deno, argv, envp, DENO_MEM, d.cwd, d.dir, out, sizeof(out), err, sizeof(err));
  rm_dirs(&d);
  CHECK_EQ(st, IB_EXITED);
  CHECK(strcmp(out, "sum 9999900000 a,b true\n") == 0, "output '%s' stderr '%s'", out, err);
}
