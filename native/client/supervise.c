// isobench-supervise: starts a server so that it cannot outlive the harness that started it.
//
//   isobench-supervise PROGRAM [ARGS...]
//
// The harness starts this in a new process group (it is the group's leader) with fd 0 the read end
// of a pipe whose write end only the harness holds. The program runs as a child in the same group
// with stdin from /dev/null. When the pipe reads EOF — the harness exited, however it died, even
// by SIGKILL — the whole group gets SIGTERM and, 2 s later, SIGKILL. SIGUSR1/SIGUSR2 (the stats
// protocol of the engine and wasm servers) are passed on to the program. When the program exits,
// this exits the same way (same code, or the same signal), so the harness sees the program's end.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GRACE_MS 2000

static pid_t child = -1;

// Ends this process the way the program ended.
static void exit_like(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
  }
  exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

// The harness is gone: stop everything in our process group, ourselves last.
static void stop_group(int sfd) {
  kill(0, SIGTERM);  // we have SIGTERM blocked (it arrives on the signalfd), so we stay
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int status;
    if (waitpid(child, &status, WNOHANG) == child) break;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long waited_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (waited_ms >= GRACE_MS) break;
    struct pollfd p = {.fd = sfd, .events = POLLIN};
    poll(&p, 1, 50);
    struct signalfd_siginfo info;
    while (read(sfd, &info, sizeof info) == sizeof info) {
    }
  }
  kill(0, SIGKILL);  // the rest of the group (forked workers, a stuck leader) and us
  _exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: isobench-supervise PROGRAM [ARGS...]  (fd 0: a pipe from the harness)\n");
    return 2;
  }
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGHUP);
  sigaddset(&handled, SIGUSR1);
  sigaddset(&handled, SIGUSR2);
  if (sigprocmask(SIG_BLOCK, &handled, NULL) != 0) {
    perror("isobench-supervise: sigprocmask");
    return 1;
  }
  int sfd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) {
    perror("isobench-supervise: signalfd");
    return 1;
  }

  child = fork();
  if (child < 0) {
    perror("isobench-supervise: fork");
    return 1;
  }
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0) _exit(127);
    if (null != 0) close(null);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "isobench-supervise: cannot run %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }

  for (;;) {
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("isobench-supervise: poll");
      stop_group(sfd);
    }
    if (fds[0].revents) {
      char buf[256];
      ssize_t n = read(0, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) stop_group(sfd);
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == sizeof info) {
        int sig = (int)info.ssi_signo;
        if (sig == SIGUSR1 || sig == SIGUSR2) kill(child, sig);
        // SIGTERM/SIGINT/SIGHUP: the harness signals the whole group; the program decides, we follow it
      }
      int status;
      pid_t done = waitpid(child, &status, WNOHANG);
      if (done == child) exit_like(status);
    }
  }
}
