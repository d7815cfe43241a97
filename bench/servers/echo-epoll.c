// Edge-triggered epoll echo server in C: the practical ceiling on this
// machine. Usage: echo-epoll 127.0.0.1:PORT [--cross]
// Prints "listening on 127.0.0.1:PORT" when ready.
//
// --cross deliberately echoes each chunk to the connection that read before
// it: the bug a shared read buffer causes. The harness's smoke run uses it to
// prove the load generator's check fails loudly on crossed bytes.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

// Per-connection state only while a write is pending: an idle connection
// costs the fd and its epoll registration, nothing else.
typedef struct pending {
  char *buf;
  size_t off, len;
} pending_t;

static pending_t **pend;  // indexed by fd
static int max_fds;
static char buf[64 * 1024];

static void drop(int fd) {
  if (pend[fd]) {
    free(pend[fd]->buf);
    free(pend[fd]);
    pend[fd] = NULL;
  }
  close(fd);  // close also removes it from the epoll set
}

// Writes what it can; keeps the rest for EPOLLOUT. Returns 0 if fd was dropped.
static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      drop(fd);
      return 0;
    }
    p += w, n -= (size_t)w;
  }
  if (n > 0) {
    pending_t *q = pend[fd];
    if (!q) {
      q = pend[fd] = calloc(1, sizeof *q);
    }
    char *nb = realloc(q->buf, q->len - q->off + n);
    memmove(nb, nb + q->off, q->len - q->off);
    memcpy(nb + q->len - q->off, p, n);
    q->len = q->len - q->off + n;
    q->off = 0;
    q->buf = nb;
  }
  return 1;
}

static int flush_pending(int fd) {
  pending_t *q = pend[fd];
  while (q && q->off < q->len) {
    ssize_t w = write(fd, q->buf + q->off, q->len - q->off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 1;
      drop(fd);
      return 0;
    }
    q->off += (size_t)w;
  }
  if (q) {
    free(q->buf);
    free(q);
    pend[fd] = NULL;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: echo-epoll 127.0.0.1:PORT [--cross]\n");
    return 2;
  }
  int cross = argc > 2 && !strcmp(argv[2], "--cross");
  char host[64];
  const char *colon = strrchr(argv[1], ':');
  if (!colon || colon - argv[1] >= (long)sizeof host) return 2;
  memcpy(host, argv[1], (size_t)(colon - argv[1]));
  host[colon - argv[1]] = 0;
  int port = atoi(colon + 1);

  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  max_fds = (int)rl.rlim_cur + 16;
  pend = calloc((size_t)max_fds, sizeof *pend);

  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return 2;
  if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, SOMAXCONN) < 0) {
    perror("listen");
    return 1;
  }
  socklen_t sl = sizeof sa;
  getsockname(ls, (struct sockaddr *)&sa, &sl);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = ls};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  printf("listening on %s:%d\n", host, ntohs(sa.sin_port));
  fflush(stdout);

  struct epoll_event evs[512];
  int last_reader = -1;
  for (;;) {
    int n = epoll_wait(ep, evs, 512, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        for (;;) {  // edge-triggered: drain the backlog
          int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      int can_read = (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) != 0;
      if ((evs[i].events & EPOLLOUT) && pend[fd]) {
        if (!flush_pending(fd)) continue;
        // Edge-triggered: bytes left unread while the write was pending
        // raise no new edge, so read now that the backlog drained.
        if (!pend[fd]) can_read = 1;
      }
      if (!can_read) continue;
      for (;;) {  // edge-triggered: read until EAGAIN
        if (pend[fd]) break;  // backpressure: resume reading once the pending write drains
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN) drop(fd);
          break;
        }
        if (r == 0) {
          drop(fd);
          break;
        }
        int to = fd;
        if (cross) {
          if (last_reader >= 0 && last_reader != fd) to = last_reader;
          last_reader = fd;
        }
        if (!send_all(to, buf, (size_t)r)) break;
        if (to != fd) break;
      }
    }
  }
}
