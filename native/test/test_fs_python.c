/* Dynamic ELF + files family + sandbox policy, with Debian's unmodified /usr/bin/python3. */
#include "test.h"
#include "isobench.h"
#include "isobench_fs.h"
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define PY "/usr/bin/python3"

struct pyrun {
  int status;
  char out[4096], err[4096];
  char fs[512];
  char opened[64][200];
  size_t nopened;
};

/* runs python3 with args to its exit; allow: extra readable dir (or NULL) */
static int run_python(const char *const *args, const char *allow, struct pyrun *r) {
  memset(r, 0, sizeof(*r));
  ib_limits lim = {.mem_bytes = 256ULL << 20, .boot_time_us = 60ULL * 1000000};
  const char *env[] = {NULL};
  ib_master *m = ib_master_create(PY, args, env, &lim);
  if (!m) { printf("  create: %s\n", ib_last_error()); return -1; }
  if (allow && ib_master_allow_read(m, allow) < 0) { printf("  allow: %s\n", ib_last_error()); ib_master_destroy(m); return -1; }
  r->status = ib_master_run_to_ready(m);
  r->out[ib_master_take_output(m, 1, r->out, sizeof(r->out) - 1)] = 0;
  r->err[ib_master_take_output(m, 2, r->err, sizeof(r->err) - 1)] = 0;
  char *fs = ib_master_fs_json(m);
  snprintf(r->fs, sizeof(r->fs), "%s", fs ? fs : "");
  ib_fs_json_free(fs);
  for (size_t i = 0; i < 100000 && r->nopened < 64; i++) { /* the log keeps the most recent 64 */
    char buf[200];
    if (ib_master_fs_opened(m, i, buf, sizeof(buf)) > 0) snprintf(r->opened[r->nopened++], sizeof(r->opened[0]), "%s", buf);
  }
  ib_master_destroy(m);
  return 0;
}

static int have_python(void) {
  if (access(PY, X_OK) == 0) return 1;
  printf("  skipped: %s not present\n", PY);
  return 0;
}

KVM_TEST(python3_dynamic_boots_and_prints) {
  if (!have_python()) return;
  struct pyrun r;
  const char *args[] = {PY, "-c", "print(1+1)", NULL};
  CHECK(run_python(args, NULL, &r) == 0, "run failed");
  CHECK(r.status == IB_EXITED, "status %d: %s / stderr %s", r.status, ib_last_error(), r.err);
  CHECK(strcmp(r.out, "2\n") == 0, "stdout '%s' stderr '%s'", r.out, r.err);
}

static char tmpdir[256];
static void write_file(const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
  FILE *f = fopen(p, "w");
  if (f) { fputs(text, f); fclose(f); }
}

KVM_TEST(python3_sandbox_reads_allowed_refuses_rest) {
  if (!have_python()) return;
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/isobench-fs-XXXXXX");
  CHECK(mkdtemp(tmpdir), "mkdtemp");
  write_file("data.txt", "hello-data\n");
  char link[512];
  snprintf(link, sizeof(link), "%s/link_out", tmpdir);
  CHECK(symlink("/etc/hostname", link) == 0, "symlink");
  write_file("t.py",
             "import os\n"
             "d = os.path.dirname(__file__)\n"
             "print(open(d + '/data.txt').read().strip())\n"
             "for p in ['/etc/shadow', d + '/../../etc/hostname', d + '/link_out']:\n"
             "    try:\n"
             "        open(p).read(); print('READ', p)\n"
             "    except OSError as e:\n"
             "        print('denied', e.errno)\n"
             "try:\n"
             "    open(d + '/new.txt', 'w'); print('WROTE')\n"
             "except OSError as e:\n"
             "    print('write-denied', e.errno)\n"
             "print(os.path.exists('/etc/passwd'))\n");
  char script[512];
  snprintf(script, sizeof(script), "%s/t.py", tmpdir);
  const char *args[] = {PY, script, NULL};
  struct pyrun r;
  CHECK(run_python(args, tmpdir, &r) == 0, "run failed");
  CHECK(r.status == IB_EXITED, "status %d: stderr %s", r.status, r.err);
  CHECK(strcmp(r.out, "hello-data\ndenied 13\ndenied 13\ndenied 13\nwrite-denied 13\nFalse\n") == 0, "stdout '%s' stderr '%s'", r.out, r.err);
  char newf[512];
  snprintf(newf, sizeof(newf), "%s/new.txt", tmpdir);
  CHECK(access(newf, F_OK) != 0, "new.txt was created on the host");
  CHECK(strstr(r.fs, "\"escape\":0") == NULL, "the symlink escape was not counted: %s", r.fs);
  /* what reached the host: only paths beneath allowed roots (the escape attempt names the
   * symlink inside the allowed folder; openat2 refused to follow it) */
  CHECK(r.nopened > 0, "no host opens recorded");
  for (size_t i = 0; i < r.nopened; i++) {
    const char *p = r.opened[i];
    CHECK(strstr(p, "shadow") == NULL && strstr(p, "hostname") == NULL && strstr(p, "passwd") == NULL,
          "host open outside the allow-list: %s", p);
    CHECK(strncmp(p, tmpdir, strlen(tmpdir)) == 0 || strncmp(p, "/usr/lib/", 9) == 0 || strncmp(p, "/lib/", 5) == 0 ||
              strcmp(p, "/etc/ld.so.cache") == 0 || strncmp(p, "/usr/bin/python3", 16) == 0,
          "unexpected host open %s", p);
  }
  unlink(link);
  snprintf(link, sizeof(link), "%s/data.txt", tmpdir);
  unlink(link);
  unlink(script);
  rmdir(tmpdir);
}

KVM_TEST(elf_garbage_and_missing_interpreter_are_clear_errors) {
  char p[] = "/tmp/isobench-elf-XXXXXX";
  int fd = mkstemp(p);
  CHECK(fd >= 0, "mkstemp");
  CHECK(write(fd, "\x7f" "ELF garbage that is not an ELF header at all..................", 64) == 64, "write");
  close(fd);
  ib_limits lim = {.mem_bytes = 64 << 20};
  ib_master *m = ib_master_create(p, NULL, NULL, &lim);
  CHECK(m == NULL, "garbage ELF was accepted");
  CHECK(strstr(ib_last_error(), "ELF") != NULL, "unclear error: %s", ib_last_error());
  /* a real dynamic program whose PT_INTERP names a file that does not exist */
  FILE *in = fopen("/bin/true", "rb");
  if (!in) { unlink(p); printf("  skipped part: no /bin/true\n"); return; }
  static char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof(buf), in);
  fclose(in);
  char *interp = memmem(buf, n, "/lib64/ld-linux-x86-64.so.2", 27);
  CHECK(interp, "/bin/true has no standard PT_INTERP");
  memcpy(interp, "/nonexistent/ld-missing.so2", 27);
  FILE *out = fopen(p, "wb");
  CHECK(out && fwrite(buf, 1, n, out) == n, "write copy");
  fclose(out);
  m = ib_master_create(p, NULL, NULL, &lim);
  unlink(p);
  CHECK(m == NULL, "missing interpreter was accepted");
  CHECK(strstr(ib_last_error(), "cannot open program interpreter /nonexistent/ld-missing.so2") != NULL, "unclear error: %s",
        ib_last_error());
}
