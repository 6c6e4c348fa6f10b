/* isobench-server: serves an unmodified Linux program's HTTP connections with per-request
 * isolation. Boots the program in the engine until it waits on its listening socket (after
 * --warmup requests), freezes it, forks --workers workers (a thread each). A worker waits on the
 * shared listening socket on the host, accepts, hands the connection (and the request bytes
 * already received) to its guest, runs it until the guest closed the connection and waits on
 * the listening socket again, then resets by --reset mode. Counters go to --stats-file as JSON
 * on exit and on SIGUSR1; SIGUSR2 clears them (so warm-up can be excluded). */
#include "fork.h"
#include "net.h"
#if __has_include("isobench_fs.h")
#include "isobench_fs.h"
#define HAVE_FS_POLICY 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ALLOW 64
#define MAX_ENV 64

struct options {
  int mode;
  uint64_t threshold;
  int workers, warmup;
  const char *allow_read[MAX_ALLOW];
  int n_allow;
  const char *env[MAX_ENV + 1];
  int n_env;
  const char *listen;
  const char *cwd;
  uint64_t max_request_ms, max_request_mb, memory_mb, max_boot_ms;
  const char *stats_file;
  const char *warmup_path;
  int verbose;
  int test_inject_exit; /* tests only: one extra exit per request (the gate's regression test) */
  char **argv; /* program and its arguments */
};

struct worker {
  pthread_t thread;
  int index;
  ib_worker *w;
  pthread_mutex_t lock; /* held while the guest runs or resets; stats readers take it */
  /* server-level counters (under lock) */
  uint64_t served, failed, parked_exits, exits_served, status[8];
  uint64_t prefetch_answered;
  int kvm_stats_fd;             /* KVM_GET_STATS_FD of the worker's vCPU (-1: not available) */
  uint64_t kvm_base[16];        /* KVM_STAT_NAMES at the last clear */
};

/* KVM's per-vCPU counters reported per request (exits the engine never sees: page faults,
 * host interrupts and signals, preemption) */
static const char *const KVM_STAT_NAMES[] = {"exits", "pf_fixed", "pf_taken", "pf_fast", "pf_spurious", "pf_emulate",
                                             "io_exits", "irq_exits", "signal_exits", "halt_exits", "insn_emulation",
                                             "invlpg", "preemption_reported", "host_state_reload"};
#define KVM_NSTATS (sizeof(KVM_STAT_NAMES) / sizeof(KVM_STAT_NAMES[0]))

static struct options g_opt;
static ib_master *g_master;
static struct worker *g_workers;
static int g_stop_pipe[2] = {-1, -1};
static atomic_int g_stopping;

static void usage(FILE *f) {
  fprintf(f,
          "usage: isobench-server --listen HOST:PORT [options] -- PROGRAM [ARGS...]\n"
          "  --reset persist|pages|full|hybrid   what to do after each request (default pages)\n"
          "  --reset-threshold BYTES             hybrid: full reset above this many dirtied bytes (default 1 MiB)\n"
          "  --workers N                         worker VMs, one thread each (default 1)\n"
          "  --warmup N                          requests the master serves before the freeze (default 0)\n"
          "  --warmup-path PATH                  URL path of warm-up requests (default /)\n"
          "  --allow-read PATH                   readable path prefix (repeatable)\n"
          "  --env KEY=VALUE                     environment variable for the guest (repeatable; none by default)\n"
          "  --cwd DIR                           guest working directory\n"
          "  --listen HOST:PORT                  the one address the guest may listen on\n"
          "  --max-request-ms MS                 wall-clock limit per request (default 1000)\n"
          "  --max-request-mb MB                 memory a request may dirty (default: no limit below --memory-mb)\n"
          "  --memory-mb MB                      guest memory (default 512)\n"
          "  --max-boot-ms MS                    limit for boot and warm-up (default 60000)\n"
          "  --stats-file FILE                   JSON counters, written on exit and on SIGUSR1 (SIGUSR2 clears)\n"
          "  --verbose                           log refusals and failed requests on stderr\n"
          "  --test-inject-exit                  tests only: add one VM exit to every request (proves the gate sees it)\n");
}

static int die_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "isobench-server: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n");
  usage(stderr);
  return 2;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || !*s || s[0] == '-') return -1;
  *out = v;
  return 0;
}

static int parse_args(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof(*o));
  o->mode = IB_MODE_PAGES;
  o->threshold = 1 << 20;
  o->workers = 1;
  o->max_request_ms = 1000;
  o->memory_mb = 512;
  o->max_boot_ms = 60000;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) { i++; break; }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); exit(0); }
    if (!strcmp(a, "--verbose")) { o->verbose = 1; continue; }
    if (!strcmp(a, "--test-inject-exit")) { o->test_inject_exit = 1; continue; }
    if (a[0] != '-' || a[1] != '-') return die_usage("unexpected argument '%s' (the program goes after --)", a);
    if (i + 1 >= argc) return die_usage("%s needs a value", a);
    const char *v = argv[++i];
    uint64_t n = 0;
    int numeric = parse_u64(v, &n) == 0;
    if (!strcmp(a, "--reset")) {
      static const char *const modes[] = {"persist", "pages", "full", "hybrid"};
      o->mode = -1;
      for (int m = 0; m < 4; m++) if (!strcmp(v, modes[m])) o->mode = m;
      if (o->mode < 0) return die_usage("--reset: unknown mode '%s' (persist|pages|full|hybrid)", v);
    } else if (!strcmp(a, "--reset-threshold")) {
      if (!numeric) return die_usage("--reset-threshold: '%s' is not a byte count", v);
      o->threshold = n;
    } else if (!strcmp(a, "--workers")) {
      if (!numeric || n < 1 || n > 256) return die_usage("--workers: '%s' is not in 1..256", v);
      o->workers = (int)n;
    } else if (!strcmp(a, "--warmup")) {
      if (!numeric || n > 100000) return die_usage("--warmup: '%s' is not in 0..100000", v);
      o->warmup = (int)n;
    } else if (!strcmp(a, "--warmup-path")) {
      if (v[0] != '/' || strlen(v) >= 200) return die_usage("--warmup-path: '%s' must start with /", v);
      o->warmup_path = v;
    } else if (!strcmp(a, "--allow-read")) {
      if (o->n_allow == MAX_ALLOW) return die_usage("too many --allow-read (%s)", v);
      o->allow_read[o->n_allow++] = v;
    } else if (!strcmp(a, "--env")) {
      if (!strchr(v, '=') || v[0] == '=') return die_usage("--env: '%s' is not KEY=VALUE", v);
      if (o->n_env == MAX_ENV) return die_usage("too many --env (%s)", v);
      o->env[o->n_env++] = v;
    } else if (!strcmp(a, "--cwd")) {
      o->cwd = v;
    } else if (!strcmp(a, "--listen")) {
      o->listen = v;
    } else if (!strcmp(a, "--max-request-ms")) {
      if (!numeric || n < 1) return die_usage("--max-request-ms: '%s' is not a positive number", v);
      o->max_request_ms = n;
    } else if (!strcmp(a, "--max-request-mb")) {
      if (!numeric || n < 1) return die_usage("--max-request-mb: '%s' is not a positive number", v);
      o->max_request_mb = n;
    } else if (!strcmp(a, "--memory-mb")) {
      if (!numeric || n < 16 || n > 131072) return die_usage("--memory-mb: '%s' is not in 16..131072", v);
      o->memory_mb = n;
    } else if (!strcmp(a, "--max-boot-ms")) {
      if (!numeric || n < 1) return die_usage("--max-boot-ms: '%s' is not a positive number", v);
      o->max_boot_ms = n;
    } else if (!strcmp(a, "--stats-file")) {
      o->stats_file = v;
    } else {
      return die_usage("unknown option %s", a);
    }
  }
  if (i >= argc) return die_usage("%s", "no program given (isobench-server [options] -- PROGRAM ARGS...)");
  if (!o->listen) return die_usage("%s", "--listen HOST:PORT is required");
  o->argv = argv + i;
  return 0;
}

/* ---- counters ---- */

/* one u64 counter of the worker's vCPU binary stats (KVM_GET_STATS_FD): KVM's own view of the
 * guest page faults it fixed and of all exits, including those the engine never sees (faults) */
static uint64_t kvm_vcpu_stat(struct worker *wk, const char *name) {
  if (wk->kvm_stats_fd == 0) wk->kvm_stats_fd = ioctl(wk->w->vm.vcpu_fd, KVM_GET_STATS_FD, NULL);
  if (wk->kvm_stats_fd < 0) return 0;
  struct kvm_stats_header h;
  if (pread(wk->kvm_stats_fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) return 0;
  size_t dsz = sizeof(struct kvm_stats_desc) + h.name_size;
  char *buf = malloc(dsz);
  uint64_t v = 0;
  for (uint32_t i = 0; buf && i < h.num_desc; i++) {
    if (pread(wk->kvm_stats_fd, buf, dsz, h.desc_offset + i * dsz) != (ssize_t)dsz) break;
    struct kvm_stats_desc *d = (struct kvm_stats_desc *)buf;
    if (strncmp(d->name, name, h.name_size) == 0) {
      if (pread(wk->kvm_stats_fd, &v, 8, h.data_offset + d->offset) != 8) v = 0;
      break;
    }
  }
  free(buf);
  return v;
}

static const char *mode_names[] = {"persist", "pages", "full", "hybrid"};

static char *stats_json(void) {
  struct ib_counters *sum = calloc(1, sizeof(*sum));
  struct net_stats ns_sum;
  memset(&ns_sum, 0, sizeof(ns_sum));
  uint64_t served = 0, failed = 0, parked = 0, exits_served = 0, status[8] = {0};
  uint64_t private_pages = 0, new_dirty = 0, restored = 0, restores = 0, dropped = 0, drops = 0;
  uint64_t kvm_sum[KVM_NSTATS] = {0};
  for (int i = 0; i < g_opt.workers; i++) {
    struct worker *wk = &g_workers[i];
    if (!wk->w) continue;
    pthread_mutex_lock(&wk->lock);
    for (size_t k = 0; k < KVM_NSTATS; k++) kvm_sum[k] += kvm_vcpu_stat(wk, KVM_STAT_NAMES[k]) - wk->kvm_base[k];
    counters_add(sum, &wk->w->vm.ctr);
    struct net_stats ns;
    net_get_stats(&wk->w->vm, &ns);
    uint64_t *d = (uint64_t *)&ns_sum;
    const uint64_t *s = (const uint64_t *)&ns;
    for (size_t k = 0; k < sizeof(ns) / 8; k++) d[k] += s[k];
    private_pages += worker_private_pages(wk->w);
    new_dirty += wk->w->vm.ctr.dirty_sum;
    restored += wk->w->restored_pages_sum;
    restores += wk->w->restore_resets;
    dropped += wk->w->dropped_pages_sum;
    drops += wk->w->drop_resets;
    served += wk->served;
    failed += wk->failed;
    parked += wk->parked_exits;
    exits_served += wk->exits_served;
    for (int k = 0; k < 8; k++) status[k] += wk->status[k];
    pthread_mutex_unlock(&wk->lock);
  }
  sum->boot_ns = g_master ? g_master->vm.ctr.boot_ns : 0; /* the master's boot (+ warm-up) */
  uint64_t requests = sum->requests;
  char *core = counters_json(sum, exit_path_name(), mode_names[g_opt.mode], g_master ? g_master->vm.mem_size : 0);
  free(sum);
  size_t cl = strlen(core);
  char kvm_json[1024];
  size_t kl = 0;
  kvm_json[0] = 0;
  for (size_t k = 0; k < KVM_NSTATS && kl < sizeof(kvm_json) - 64; k++)
    kl += (size_t)snprintf(kvm_json + kl, sizeof(kvm_json) - kl, "%s\"%s\":%.2f", kl ? "," : "", KVM_STAT_NAMES[k],
                           served + failed ? (double)kvm_sum[k] / (double)(served + failed) : 0.0);
  char *out = malloc(cl + 4096);
  memcpy(out, core, cl - 1); /* without the closing brace */
  double okreq = served ? (double)served : 1;
  int nw = g_opt.workers;
  int n = snprintf(out + cl - 1, 4096,
                   ",\"workerRssBytes\":%llu,"
                   "\"pages\":{\"privatePerWorker\":%.1f,\"newlyDirtiedPerRequest\":%.3f,"
                   "\"restoredPerPagesReset\":%.3f,\"droppedPerFullReset\":%.3f,"
                   "\"note\":\"private = peak guest pages a worker held privately (its set since the last full reset: a pages reset copies it all back, a full reset drops it); workerRssBytes = that x 4096; newly dirtied = pages a request added to the set\"},"
                   "\"server\":{\"workers\":%d,\"resetThresholdBytes\":%llu,\"served\":%llu,\"failed\":%llu,"
                   "\"status\":{\"ok\":%llu,\"exited\":%llu,\"faulted\":%llu,\"limitTime\":%llu,\"limitMemory\":%llu,\"killed\":%llu,\"error\":%llu},"
                   "\"exitsPerServedRequest\":{\"mean\":%.3f,\"note\":\"exits from resume to the guest closing the connection; the wait on the listening socket where it parks is counted separately\"},"
                   "\"parkExits\":%llu},"
                   "\"net\":{\"accepts\":%llu,\"prefetchedBytes\":%llu,\"recvFromPrefetch\":%llu,\"recvHost\":%llu,\"sends\":%llu,"
                   "\"sendsBuffered\":%llu,\"flushes\":%llu,\"bytesIn\":%llu,\"bytesOut\":%llu,"
                   "\"refused\":{\"listen\":%llu,\"connect\":%llu,\"family\":%llu},\"parks\":%llu,"
                   "\"guestSendDrains\":%llu,\"endedAtClose\":%llu,\"guestRecvBytes\":%llu,\"guestShutdowns\":%llu,\"guestAccepts\":%llu,\"preacceptsUndone\":%llu,\"guestNodelay\":%llu,\"guestEpollCtls\":%llu},"
                   "\"kvmVcpu\":{\"perRequest\":{%s},"
                   "\"note\":\"KVM's own per-vCPU counters (KVM_GET_STATS_FD) since the last clear, divided by requests served + failed; exits include page faults, host interrupts and signals the engine never sees\"}}",
                   (unsigned long long)(private_pages * 4096 / (uint64_t)nw), (double)private_pages / nw,
                   requests ? (double)new_dirty / (double)requests : 0.0, restores ? (double)restored / (double)restores : 0.0,
                   drops ? (double)dropped / (double)drops : 0.0,
                   g_opt.workers, (unsigned long long)g_opt.threshold, (unsigned long long)served, (unsigned long long)failed,
                   (unsigned long long)status[IB_OK], (unsigned long long)status[IB_EXITED], (unsigned long long)status[IB_FAULTED],
                   (unsigned long long)status[IB_LIMIT_TIME], (unsigned long long)status[IB_LIMIT_MEMORY], (unsigned long long)status[IB_KILLED],
                   (unsigned long long)status[7], exits_served / okreq, (unsigned long long)parked,
                   (unsigned long long)ns_sum.accepts, (unsigned long long)ns_sum.prefetched_bytes,
                   (unsigned long long)ns_sum.recv_from_prefetch, (unsigned long long)ns_sum.recv_host, (unsigned long long)ns_sum.sends,
                   (unsigned long long)ns_sum.sends_buffered, (unsigned long long)ns_sum.flushes, (unsigned long long)ns_sum.bytes_in,
                   (unsigned long long)ns_sum.bytes_out, (unsigned long long)ns_sum.refused_listen,
                   (unsigned long long)ns_sum.refused_connect, (unsigned long long)ns_sum.refused_family, (unsigned long long)ns_sum.parks,
                   (unsigned long long)ns_sum.guest_send_drains, (unsigned long long)ns_sum.ended_at_close,
                   (unsigned long long)ns_sum.guest_recv_bytes, (unsigned long long)ns_sum.guest_shutdowns,
                   (unsigned long long)ns_sum.guest_accepts, (unsigned long long)ns_sum.preaccepts_undone,
                   (unsigned long long)ns_sum.guest_nodelay, (unsigned long long)ns_sum.guest_epoll_ctls,
                   kvm_json);
  (void)n;
  free(core);
  return out;
}

static void write_stats(void) {
  if (!g_opt.stats_file) return;
  char *j = stats_json();
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", g_opt.stats_file);
  FILE *f = fopen(tmp, "w");
  if (!f) { fprintf(stderr, "isobench-server: cannot write %s: %s\n", tmp, strerror(errno)); free(j); return; }
  fputs(j, f);
  fputc('\n', f);
  fclose(f);
  if (rename(tmp, g_opt.stats_file) < 0) fprintf(stderr, "isobench-server: rename %s: %s\n", tmp, strerror(errno));
  free(j);
}

static void clear_stats(void) {
  for (int i = 0; i < g_opt.workers; i++) {
    struct worker *wk = &g_workers[i];
    if (!wk->w) continue;
    pthread_mutex_lock(&wk->lock);
    memset(&wk->w->vm.ctr, 0, sizeof(wk->w->vm.ctr));
    net_clear_stats(&wk->w->vm);
    worker_clear_page_counters(wk->w);
    for (size_t k = 0; k < KVM_NSTATS; k++) wk->kvm_base[k] = kvm_vcpu_stat(wk, KVM_STAT_NAMES[k]);
    wk->served = wk->failed = wk->parked_exits = wk->exits_served = 0;
    memset(wk->status, 0, sizeof(wk->status));
    pthread_mutex_unlock(&wk->lock);
  }
}

/* ---- workers ---- */

static const char *failure_status(int st) {
  return st == IB_LIMIT_TIME || st == IB_LIMIT_MEMORY ? "503 Service Unavailable" : "502 Bad Gateway";
}

static void serve_one(struct worker *wk, int conn, struct sockaddr_storage *peer, socklen_t pl) {
  struct vm *vm = &wk->w->vm;
  pthread_mutex_lock(&wk->lock);
  net_give_conn(vm, conn, (struct sockaddr *)peer, pl, (int)g_opt.max_request_ms);
  net_arm_frozen(vm);
  ib_request_result res;
  /* a KVM_RUN that returns at once (EINTR, before guest entry): the engine counts it as one exit */
  if (g_opt.test_inject_exit) vm->run->immediate_exit = 1;
  int st = worker_run_request(wk->w, NULL, 0, NULL, 0, &res);
  int parked = vm->stop == STOP_BLOCKED && vm->resume != NULL; /* not ended at the guest's close */
  if (st != IB_OK && g_opt.verbose) fprintf(stderr, "isobench-server: worker %d: request failed (%d): %s\n", wk->index, st, ib_last_error());
  net_end_request(vm, st != IB_OK, failure_status(st));
  wk->status[st >= 0 && st < 7 ? st : 7]++;
  if (st == IB_OK) {
    wk->served++;
    wk->exits_served += res.exits - (parked ? 1 : 0);
    wk->parked_exits += parked;
  } else {
    wk->failed++;
  }
  if (worker_reset(wk->w, -1) < 0) fprintf(stderr, "isobench-server: worker %d: reset failed: %s\n", wk->index, ib_last_error());
  pthread_mutex_unlock(&wk->lock);
}

static void *worker_main(void *arg) {
  struct worker *wk = arg;
  int lfd = net_listen_fd(&g_master->vm);
  struct pollfd pf[2] = {{.fd = lfd, .events = POLLIN}, {.fd = g_stop_pipe[0], .events = POLLIN}};
  while (!atomic_load(&g_stopping)) {
    int rc = poll(pf, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || pf[1].revents) break;
    struct sockaddr_storage peer;
    socklen_t pl = sizeof(peer);
    int c = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) continue; /* another worker took it */
    serve_one(wk, c, &peer, pl);
  }
  return NULL;
}

int main(int argc, char **argv) {

  if (parse_args(argc, argv, &g_opt)) return 2;
  struct net_policy pol;
  memset(&pol, 0, sizeof(pol));
  char err[256];
  if (net_parse_hostport(g_opt.listen, &pol.listen, &pol.listen_len, err, sizeof(err)) < 0) {
    fprintf(stderr, "isobench-server: --listen: %s\n", err);
    return 2;
  }
  pol.has_listen = 1;
  pol.verbose = g_opt.verbose;
  pol.warmup = (unsigned)g_opt.warmup;
  pol.end_at_close = g_opt.mode != IB_MODE_PERSIST;
  if (g_opt.warmup_path) snprintf(pol.warmup_path, sizeof(pol.warmup_path), "%s", g_opt.warmup_path);
  net_policy_set(&pol);
  if (access(g_opt.argv[0], R_OK) < 0) {
    fprintf(stderr, "isobench-server: cannot read program %s: %s\n", g_opt.argv[0], strerror(errno));
    return 2;
  }

  /* signals: handled by the main thread only (sigwait); workers inherit the mask */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGUSR1);
  sigaddset(&sigs, SIGUSR2);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  ib_limits lim = {
      .mem_bytes = g_opt.memory_mb << 20,
      .boot_time_us = g_opt.max_boot_ms * 1000,
      .request_time_us = g_opt.max_request_ms * 1000,
      .request_dirty_bytes = g_opt.max_request_mb << 20,
      .hybrid_threshold_bytes = g_opt.threshold ? g_opt.threshold : 1,
  };
  g_opt.env[g_opt.n_env] = NULL;
  g_master = master_create(g_opt.argv[0], (const char *const *)g_opt.argv, g_opt.env, &lim);
  if (!g_master) { fprintf(stderr, "isobench-server: %s\n", ib_last_error()); return 1; }
#ifdef HAVE_FS_POLICY
  for (int i = 0; i < g_opt.n_allow; i++)
    if (ib_master_allow_read(g_master, g_opt.allow_read[i]) < 0) {
      fprintf(stderr, "isobench-server: --allow-read %s: %s\n", g_opt.allow_read[i], ib_last_error());
      return 2;
    }
  if (g_opt.cwd && ib_master_set_cwd(g_master, g_opt.cwd) < 0) {
    fprintf(stderr, "isobench-server: --cwd %s: %s\n", g_opt.cwd, ib_last_error());
    return 2;
  }
  if (g_opt.verbose) ib_master_set_fs_verbose(g_master, 1); /* refused paths are logged, like refused sockets */
#else
  if (g_opt.n_allow || g_opt.cwd) fprintf(stderr, "isobench-server: this build has no file policy: --allow-read/--cwd ignored\n");
#endif
  int st = master_run_to_ready(g_master);
  char out[4096];
  for (int fd = 1; fd <= 2; fd++) {
    size_t n;
    while ((n = ib_master_take_output(g_master, fd, out, sizeof(out))) > 0) fwrite(out, 1, n, fd == 1 ? stdout : stderr);
  }
  if (st != IB_OK) {
    fprintf(stderr, "isobench-server: boot failed: %s\n", ib_last_error());
    return 1;
  }
  if (net_listen_fd(&g_master->vm) < 0) {
    fprintf(stderr, "isobench-server: the program froze without a listening socket on %s\n", g_opt.listen);
    return 1;
  }
  if (pipe2(g_stop_pipe, O_CLOEXEC) < 0) { perror("pipe"); return 1; }
  g_workers = calloc((size_t)g_opt.workers, sizeof(*g_workers));
  for (int i = 0; i < g_opt.workers; i++) {
    struct worker *wk = &g_workers[i];
    wk->index = i;
    pthread_mutex_init(&wk->lock, NULL);
    wk->w = worker_fork(g_master, g_opt.mode);
    if (!wk->w) { fprintf(stderr, "isobench-server: fork: %s\n", ib_last_error()); return 1; }
    ib_worker_set_hybrid_threshold(wk->w, g_opt.threshold);
  }
  for (int i = 0; i < g_opt.workers; i++) pthread_create(&g_workers[i].thread, NULL, worker_main, &g_workers[i]);
  printf("isobench-server: serving http://%s (reset %s, %d worker%s, boot %.1f ms, exit path %s)\n", g_opt.listen,
         mode_names[g_opt.mode], g_opt.workers, g_opt.workers == 1 ? "" : "s", g_master->vm.ctr.boot_ns / 1e6, exit_path_name());
  fflush(stdout);

  for (;;) {
    int sig;
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig == SIGUSR1) { write_stats(); continue; }
    if (sig == SIGUSR2) { clear_stats(); continue; }
    break;
  }
  atomic_store(&g_stopping, 1);
  ssize_t k = write(g_stop_pipe[1], "x", 1);
  (void)k;
  for (int i = 0; i < g_opt.workers; i++) pthread_join(g_workers[i].thread, NULL);
  write_stats();
  for (int i = 0; i < g_opt.workers; i++) worker_destroy(g_workers[i].w);
  master_destroy(g_master);
  free(g_workers);
  return 0;
}
