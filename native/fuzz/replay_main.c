/* Replays inputs through a fuzz target without libFuzzer (built with the regular compiler and
 * ASan+UBSan by `make fuzz-replay`, part of `make test`): every file named, or every file in a
 * directory named, runs once. Exit 0 when all ran; a crash aborts with the sanitizer's report. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); return -1; }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  size_t k;
  while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf) return -1;
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

static int replay(const char *path, int *count) {
  struct stat st;
  if (stat(path, &st) < 0) { perror(path); return -1; }
  if (!S_ISDIR(st.st_mode)) { (*count)++; return replay_file(path); }
  struct dirent **names;
  int n = scandir(path, &names, NULL, alphasort), rc = 0;
  if (n < 0) { perror(path); return -1; }
  for (int i = 0; i < n; i++) {
    if (names[i]->d_name[0] != '.') {
      char full[4096];
      snprintf(full, sizeof(full), "%s/%s", path, names[i]->d_name);
      if (replay(full, count) < 0) rc = -1;
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  int count = 0, rc = 0;
  for (int i = 1; i < argc; i++) if (replay(argv[i], &count) < 0) rc = 1;
  printf("%s: replayed %d inputs\n", argv[0], count);
  return rc;
}
