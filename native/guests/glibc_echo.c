/* Test guest linked statically against glibc: printf, malloc, getrandom, then requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("glibc guest up: argc=%d argv0=%s\n", argc, argv[0]);
  fflush(stdout);
  char *state = malloc(64);
  strcpy(state, "fresh");
  syscall(0x1000); /* ready */
  char in[4096];
  for (;;) {
    long n = syscall(0x1001, in, sizeof(in) - 1);
    if (n < 0) return 2;
    in[n] = 0;
    char *out = malloc(8192);
    int k = snprintf(out, 8192, "state=%s in=%s", state, in);
    if (strncmp(in, "set ", 4) == 0) { free(state); state = strdup(in + 4); }
    syscall(0x1002, out, k);
    free(out);
  }
}
