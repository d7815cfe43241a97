// UDP echo server in C: edge-triggered epoll, recvfrom/sendto until EAGAIN,
// or with --mmsg recvmmsg/sendmmsg batches of up to 64. The ceiling.
// Usage: echo-udp 127.0.0.1:PORT [--mmsg]; prints "listening on 127.0.0.1:PORT".
// With "unix:/path" it serves unixgram on that path instead.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define B 64
static int serve(int fd, int mmsg);

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int mmsg0 = argc > 2 && strcmp(argv[2], "--mmsg") == 0;
  int fd;
  if (strncmp(argv[1], "unix:", 5) == 0) {
    struct sockaddr_un su = { .sun_family = AF_UNIX };
    snprintf(su.sun_path, sizeof su.sun_path, "%s", argv[1] + 5);
    unlink(su.sun_path);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (bind(fd, (struct sockaddr *)&su, sizeof su) < 0) { perror("bind"); return 1; }
    printf("listening on unix:%s\n", su.sun_path);
    fflush(stdout);
    return serve(fd, mmsg0);
  }
  char host[64];
  const char *colon = strrchr(argv[1], ':');
  snprintf(host, sizeof host, "%.*s", (int)(colon - argv[1]), argv[1]);
  int mmsg = argc > 2 && strcmp(argv[2], "--mmsg") == 0;
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
  inet_pton(AF_INET, host, &sa.sin_addr);
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("bind"); return 1; }
  socklen_t sl = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  printf("listening on %s:%d\n", host, ntohs(sa.sin_port));
  fflush(stdout);
  return serve(fd, mmsg);
}

static int serve(int fd, int mmsg) {
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  static char bufs[B][2048];
  struct mmsghdr msgs[B];
  struct iovec iov[B];
  struct sockaddr_storage from[B];
  for (;;) {
    struct epoll_event e;
    if (epoll_wait(ep, &e, 1, -1) < 0 && errno != EINTR) return 1;
    for (;;) {
      if (mmsg) {
        for (int i = 0; i < B; i++) {
          iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
          msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
        int n = recvmmsg(fd, msgs, B, 0, NULL);
        if (n <= 0) break;
        for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len;
        sendmmsg(fd, msgs, n, 0);
      } else {
        struct sockaddr_storage f;
        socklen_t fl = sizeof f;
        ssize_t r = recvfrom(fd, bufs[0], sizeof bufs[0], 0, (struct sockaddr *)&f, &fl);
        if (r < 0) break;
        sendto(fd, bufs[0], r, 0, (struct sockaddr *)&f, fl);
      }
    }
  }
}
