#include "test.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "isobench.h"

struct t { const char *name; test_fn fn; int kvm; };
static struct t tests[256];
static int ntests;
int test_failed_now;
const char *guest_dir = "build/guests";

void test_register(const char *name, test_fn fn, int kvm) { tests[ntests++] = (struct t){name, fn, kvm}; }

void test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stdout, "  %s:%d: ", file, line);
  vfprintf(stdout, fmt, ap);
  fprintf(stdout, "\n");
  va_end(ap);
  test_failed_now = 1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc > 1) guest_dir = argv[1];
  const char *only = argc > 2 ? argv[2] : NULL;
  setvbuf(stdout, NULL, _IONBF, 0);
  int kvm = ib_kvm_available();
  static char why[256];
  if (!kvm) snprintf(why, sizeof(why), "%s", ib_last_error());
  /* the test bed sets it: there a KVM test that cannot run is a failure, not a skip */
  const char *require = getenv("ISOBENCH_REQUIRE_KVM");
  int require_kvm = require && strcmp(require, "1") == 0;
  int passed = 0, failed = 0, skipped = 0;
  for (int i = 0; i < ntests; i++) {
    if (only && !strstr(tests[i].name, only)) continue;
    if (tests[i].kvm && !kvm) {
      if (require_kvm) {
        printf("FAIL %s: /dev/kvm unusable (%s) and ISOBENCH_REQUIRE_KVM=1\n", tests[i].name, why);
        failed++;
      } else {
        printf("skip %s: /dev/kvm unusable (%s)\n", tests[i].name, why);
        skipped++;
      }
      continue;
    }
    test_failed_now = 0;
    double t0 = now_ms();
    tests[i].fn();
    printf("%s %s (%.1f ms)\n", test_failed_now ? "FAIL" : "ok  ", tests[i].name, now_ms() - t0);
    if (test_failed_now) failed++;
    else passed++;
  }
  if (skipped) printf("%d skipped: no usable /dev/kvm here; run them on the hardware path with: npm run test:vm\n", skipped);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
