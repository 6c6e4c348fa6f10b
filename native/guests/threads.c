/* Thread-heavy test guest (static glibc, pthreads): worker threads share a mutex-protected
 * counter, hand work through a condition-variable queue, use a barrier, a timed wait that must
 * time out, a detached thread, yield and sleep, and are joined. Every result is deterministic.
 *
 * Without a request loop (argv[1] = "once") it prints the result and exits. Otherwise it runs
 * one round at boot, signals ready, and runs a round per request (answer: the round's result,
 * plus the tids it saw, so tests can check tids restart after a reset). */
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NWORKERS 6
#define NITEMS 60
#define ADDS 1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_items = PTHREAD_COND_INITIALIZER, cv_space = PTHREAD_COND_INITIALIZER;
static long counter;
static int queue[8], q_head, q_len, produced_all;
static long consumed_sum[NWORKERS];
static pthread_barrier_t barrier;
static volatile int detached_ran;
static double fp_check[NWORKERS];
static pid_t seen_tid[NWORKERS];

static void *worker(void *arg) {
  long id = (long)arg;
  seen_tid[id] = (pid_t)syscall(SYS_gettid);
  /* FPU/SSE state must survive switches: keep a value in flight across blocking calls */
  double acc = 1.0 + (double)id / 8.0;
  for (int i = 0; i < ADDS; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
    if (i % 250 == 0) sched_yield();
    acc *= 1.0001;
  }
  pthread_barrier_wait(&barrier);
  for (;;) {
    pthread_mutex_lock(&mu);
    while (q_len == 0 && !produced_all) pthread_cond_wait(&cv_items, &mu);
    if (q_len == 0 && produced_all) { pthread_mutex_unlock(&mu); break; }
    int v = queue[q_head];
    q_head = (q_head + 1) % 8;
    q_len--;
    pthread_cond_signal(&cv_space);
    pthread_mutex_unlock(&mu);
    consumed_sum[id] += v;
    acc += 0.5;
  }
  fp_check[id] = acc;
  return (void *)(id * 10);
}

static void *detached(void *arg) {
  (void)arg;
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
  detached_ran = 1;
  return NULL;
}

static int round_once(char *out, size_t cap) {
  counter = 0;
  q_head = q_len = produced_all = 0;
  detached_ran = 0;
  memset(consumed_sum, 0, sizeof(consumed_sum));
  pthread_barrier_init(&barrier, NULL, NWORKERS + 1);
  pthread_t th[NWORKERS];
  for (long i = 0; i < NWORKERS; i++)
    if (pthread_create(&th[i], NULL, worker, (void *)i)) return snprintf(out, cap, "pthread_create failed");
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_t d;
  pthread_create(&d, &at, detached, NULL);
  pthread_barrier_wait(&barrier);
  for (int i = 1; i <= NITEMS; i++) {
    pthread_mutex_lock(&mu);
    while (q_len == 8) pthread_cond_wait(&cv_space, &mu);
    queue[(q_head + q_len) % 8] = i;
    q_len++;
    pthread_cond_signal(&cv_items);
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_lock(&mu);
  produced_all = 1;
  pthread_cond_broadcast(&cv_items);
  pthread_mutex_unlock(&mu);
  long joined = 0, total = 0;
  for (int i = 0; i < NWORKERS; i++) {
    void *r;
    pthread_join(th[i], &r);
    joined += (long)r;
    total += consumed_sum[i];
  }
  pthread_barrier_destroy(&barrier);
  /* a timed wait nobody signals must time out */
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_nsec += 2000000;
  if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
  pthread_mutex_lock(&mu);
  int tw = pthread_cond_timedwait(&cv_space, &mu, &dl);
  pthread_mutex_unlock(&mu);
  while (!detached_ran) sched_yield();
  int fp_ok = 1;
  for (int i = 0; i < NWORKERS; i++) {
    double want = 1.0 + (double)i / 8.0;
    for (int k = 0; k < ADDS; k++) want *= 1.0001;
    if (fp_check[i] < want) fp_ok = 0;
  }
  int n = snprintf(out, cap, "counter=%ld sum=%ld joined=%ld timedwait=%s detached=%d fp=%s tids=", counter, total, joined,
                   tw == ETIMEDOUT ? "ETIMEDOUT" : "other", detached_ran, fp_ok ? "ok" : "bad");
  for (int i = 0; i < NWORKERS && n < (int)cap; i++) n += snprintf(out + n, cap - n, "%s%d", i ? "," : "", (int)seen_tid[i]);
  return n;
}

/* a helper thread started at boot stays blocked across the freeze and serves every request */
static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cv = PTHREAD_COND_INITIALIZER, done_cv = PTHREAD_COND_INITIALIZER;
static int job_seq, done_seq;
static long job_n, job_result, helper_tid;
static void *helper(void *arg) {
  (void)arg;
  helper_tid = syscall(SYS_gettid);
  pthread_mutex_lock(&job_mu);
  for (int seen = 0;; seen++) {
    while (job_seq == seen) pthread_cond_wait(&job_cv, &job_mu);
    long r = 0;
    for (long i = 1; i <= job_n; i++) r += i;
    job_result = r;
    done_seq = job_seq;
    pthread_cond_signal(&done_cv);
  }
  return NULL;
}
static long ask_helper(long n) {
  pthread_mutex_lock(&job_mu);
  job_n = n;
  int want = ++job_seq;
  pthread_cond_signal(&job_cv);
  while (done_seq != want) pthread_cond_wait(&done_cv, &job_mu);
  long r = job_result;
  pthread_mutex_unlock(&job_mu);
  return r;
}

/* eventfd: a blocking read that another thread satisfies, then semaphore/nonblocking reads */
static int ev_fd;
static void *ev_writer(void *arg) {
  (void)arg;
  sched_yield(); /* let the main thread reach its read first: it must block and be re-issued */
  uint64_t v = 3;
  if (write(ev_fd, &v, 8) != 8) return (void *)1;
  return NULL;
}
static int eventfd_case(char *out, size_t cap) {
  ev_fd = eventfd(0, 0);
  pthread_t th;
  pthread_create(&th, NULL, ev_writer, NULL);
  uint64_t got = 0;
  long r = read(ev_fd, &got, 8);
  pthread_join(th, NULL);
  int s = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE);
  uint64_t two = 2, a = 0, b = 0, c = 0;
  long w = write(s, &two, 8);
  long ra = read(s, &a, 8), rb = read(s, &b, 8), rc = read(s, &c, 8);
  int again = rc < 0 && errno == EAGAIN;
  close(s);
  close(ev_fd);
  return snprintf(out, cap, "blocking=%ld/%llu sem=%ld,%llu,%llu,%s", r, (unsigned long long)got, w,
                  (unsigned long long)(ra == 8 ? a : 0), (unsigned long long)(rb == 8 ? b : 0), again ? "EAGAIN" : "other");
}

/* two threads hand a token back and forth through futexes: every hand-over is a thread switch */
static volatile int token;
static int pp_rounds;
static void futex_wait_ne(volatile int *a, int v) {
  while (*a == v) syscall(SYS_futex, a, 128 /* WAIT_PRIVATE */, v, NULL, NULL, 0);
}
static void *pong(void *arg) {
  (void)arg;
  for (int i = 0; i < pp_rounds; i++) {
    futex_wait_ne(&token, 0);
    token = 0;
    syscall(SYS_futex, &token, 129 /* WAKE_PRIVATE */, 1, NULL, NULL, 0);
  }
  return NULL;
}
static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
static int pingpong(int rounds) {
  pp_rounds = rounds;
  double t0 = now_us();
  for (int i = 0; i < rounds; i++) syscall(SYS_getppid);
  double t_sys = (now_us() - t0) / rounds;
  pthread_t th;
  pthread_create(&th, NULL, pong, NULL);
  t0 = now_us();
  for (int i = 0; i < rounds; i++) {
    token = 1;
    syscall(SYS_futex, &token, 129, 1, NULL, NULL, 0);
    futex_wait_ne(&token, 1);
  }
  double t_round = (now_us() - t0) / rounds;
  pthread_join(th, NULL);
  /* a round trip is two switches and about four host syscalls (wake, wait on each side) */
  printf("rounds=%d syscall_us=%.2f round_trip_us=%.2f\n", rounds, t_sys, t_round);
  return 0;
}

int main(int argc, char **argv) {
  char out[512];
  if (argc > 2 && strcmp(argv[1], "pingpong") == 0) return pingpong(atoi(argv[2]));
  round_once(out, sizeof(out));
  printf("%s\n", out);
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "once") == 0) return 0;
  pthread_t h;
  pthread_create(&h, NULL, helper, NULL);
  long boot_help = ask_helper(10);
  printf("helper=%ld\n", boot_help);
  fflush(stdout);
  syscall(0x1000); /* ready */
  char in[256];
  for (;;) {
    long n = syscall(0x1001, in, sizeof(in) - 1);
    if (n < 0) return 2;
    in[n] = 0;
    if (strncmp(in, "deadlock", 8) == 0) { /* a default mutex locked twice never returns */
      pthread_mutex_lock(&mu);
      pthread_mutex_lock(&mu);
    }
    if (strncmp(in, "eventfd", 7) == 0) {
      int k = eventfd_case(out, sizeof(out));
      syscall(0x1002, out, k);
      continue;
    }
    if (strncmp(in, "fork", 4) == 0) {
      pid_t p = fork();
      int k = snprintf(out, sizeof(out), "fork=%d errno=%s", (int)p, errno == EPERM ? "EPERM" : "other");
      syscall(0x1002, out, k);
      continue;
    }
    int k = round_once(out, sizeof(out));
    k += snprintf(out + k, sizeof(out) - k, " helper=%ld/%ld", ask_helper(100), helper_tid);
    syscall(0x1002, out, k);
  }
}
