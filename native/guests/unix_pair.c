/* socketpair(AF_UNIX) inside the engine (src/sys_unix.c) and EPOLLET (src/sys_ready.c), as tokio
 * and signal-hook use them: send/recv/read/write, sendmsg/recvmsg with iovecs, no control
 * messages, edge-triggered epoll, and a thread blocked in recv until another thread writes.
 * `deadlock`: one thread receives on a pair nobody can write (the engine must kill the run). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int sv[2];
static char got[32];

static void *receiver(void *arg) {
  (void)arg;
  ssize_t n = recv(sv[1], got, sizeof(got) - 1, 0); /* blocks until main sends */
  if (n > 0) got[n] = 0;
  return NULL;
}

int main(int argc, char **argv) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) { printf("socketpair errno %d\n", errno); return 1; }
  if (argc > 1 && !strcmp(argv[1], "deadlock")) {
    char c;
    recv(sv[1], &c, 1, 0);
    printf("not reached\n");
    return 0;
  }
  char buf[64];
  /* plain send/recv and write/read, both directions */
  ssize_t a = send(sv[0], "ping", 4, 0), b = recv(sv[1], buf, sizeof(buf), 0);
  ssize_t c = write(sv[1], "pong!", 5), d = read(sv[0], buf + 10, sizeof(buf) - 10);
  printf("send=%zd recv=%zd '%.4s' write=%zd read=%zd '%.5s'\n", a, b, buf, c, d, buf + 10);
  /* nothing pending: a non-blocking receive says so */
  ssize_t e = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
  printf("empty=%zd errno=%s\n", e, e < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  /* gather/scatter, and control messages refused */
  struct iovec out[2] = {{"ab", 2}, {"cde", 3}}, in[2] = {{buf, 1}, {buf + 1, 10}};
  struct msghdr m = {.msg_iov = out, .msg_iovlen = 2};
  ssize_t f = sendmsg(sv[0], &m, 0);
  struct msghdr r = {.msg_iov = in, .msg_iovlen = 2};
  ssize_t g = recvmsg(sv[1], &r, 0);
  char ctl[CMSG_SPACE(sizeof(int))];
  memset(ctl, 0, sizeof(ctl));
  struct msghdr mc = {.msg_iov = out, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mc);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
  ssize_t h = sendmsg(sv[0], &mc, 0);
  printf("sendmsg=%zd recvmsg=%zd '%.5s' scm_rights=%zd errno=%s\n", f, g, buf, h, h < 0 && errno == EOPNOTSUPP ? "EOPNOTSUPP" : "other");
  /* edge-triggered epoll: one report per arrival, none while nothing new came */
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 7}, outev[4];
  epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
  int w0 = epoll_wait(ep, outev, 4, 0);
  send(sv[0], "xyz", 3, 0);
  int w1 = epoll_wait(ep, outev, 4, 0);
  int w2 = epoll_wait(ep, outev, 4, 0);
  while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0) {}
  send(sv[0], "again", 5, 0);
  int w3 = epoll_wait(ep, outev, 4, 0);
  while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0) {}
  printf("epollet idle=%d new=%d same=%d after-drain=%d data=%llu\n", w0, w1, w2, w3, (unsigned long long)outev[0].data.u64);
  /* a thread blocked in recv runs again once another thread sends */
  pthread_t t;
  pthread_create(&t, NULL, receiver, NULL);
  sched_yield();
  send(sv[0], "wake", 4, 0);
  pthread_join(t, NULL);
  printf("blocked receiver got '%s'\n", got);
  return 0;
}
