#define _GNU_SOURCE
/* Threaded leak probes (static glibc, pthreads; test/test_leaks.c): the same boot-time pipe and
 * clock questions as guests/leaks.c, asked from a second guest thread.
 * Boot: a pipe holding "boot-pipe", then ready. Requests:
 *   pipe    a new thread reads what the boot pipe holds, then writes "left" into it
 *   clocks  a new thread reads its own CPU clock (pthread_getcpuclockid), the main thread's,
 *           and the id of a guest tid that does not exist: "self=R main=R none=R" (0 or -errno) */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pipe_fd[2];
static pthread_t main_thread;
static char answer[256];

static int clock_result(clockid_t id) {
  struct timespec ts;
  return clock_gettime(id, &ts) == 0 ? 0 : -errno;
}

static void *pipe_thread(void *arg) {
  (void)arg;
  char buf[128];
  ssize_t n = read(pipe_fd[0], buf, sizeof(buf) - 1);
  snprintf(answer, sizeof(answer), "%.*s", n > 0 ? (int)n : 0, n > 0 ? buf : "");
  if (n < 0) snprintf(answer, sizeof(answer), "errno %d", errno);
  if (write(pipe_fd[1], "left", 4) != 4) strcat(answer, " (write failed)");
  return NULL;
}

static void *clock_thread(void *arg) {
  (void)arg;
  clockid_t self, main_id;
  pthread_getcpuclockid(pthread_self(), &self);
  pthread_getcpuclockid(main_thread, &main_id);
  /* Linux's encoding of a thread's / process's CPU clock (MAKE_THREAD_CPUCLOCK ...) */
  clockid_t none = (clockid_t)((~(unsigned)4242 << 3) | 6u);
  snprintf(answer, sizeof(answer), "self=%d main=%d none=%d", clock_result(self), clock_result(main_id), clock_result(none));
  return NULL;
}

int main(void) {
  main_thread = pthread_self();
  if (pipe2(pipe_fd, O_NONBLOCK) < 0 || write(pipe_fd[1], "boot-pipe", 9) != 9) return 1;
  syscall(0x1000); /* ready */
  char in[256];
  for (;;) {
    long n = syscall(0x1001, in, sizeof(in) - 1);
    if (n < 0) return 2;
    in[n] = 0;
    pthread_t t;
    answer[0] = 0;
    if (pthread_create(&t, NULL, !strcmp(in, "clocks") ? clock_thread : pipe_thread, NULL) == 0) pthread_join(t, NULL);
    else snprintf(answer, sizeof(answer), "pthread_create failed");
    syscall(0x1002, answer, strlen(answer));
  }
}
