// UDP request/response load generator: `flows` connected UDP sockets, each
// with one datagram in flight (closed loop). Every reply is checked against
// the request (flow id and sequence number in every 8-byte word). The
// server's CPU (utime + stime from /proc/PID/stat) is read at the start and
// end of the measured window.
// Usage: loadgen-udp HOST PORT FLOWS SIZE WARMUP_S DURATION_S SERVER_PID
// HOST "unix:/path" (PORT ignored) talks unixgram instead: each flow's socket
// autobinds an abstract name so the server can reply.
// Prints one JSON line; exit 3 on a mismatched echo.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

#include "../proc-cpu.h"

typedef struct { int fd; uint64_t seq; double sent; } flow_t;

static void fill(uint64_t *w, size_t words, uint64_t id, uint64_t seq) {
  for (size_t i = 0; i < words; i++) w[i] = (id << 48) ^ (seq << 8) ^ i;
}

int main(int argc, char **argv) {
  if (argc < 8) { fprintf(stderr, "usage: loadgen-udp HOST PORT FLOWS SIZE WARMUP DURATION PID\n"); return 2; }
  const char *host = argv[1];
  int port = atoi(argv[2]), flows = atoi(argv[3]), size = atoi(argv[4]);
  double warmup = atof(argv[5]), duration = atof(argv[6]);
  int pid = atoi(argv[7]);
  if (size < 8 || size % 8) { fprintf(stderr, "size must be a multiple of 8\n"); return 2; }
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
  struct sockaddr_un su = { .sun_family = AF_UNIX };
  int unixgram = strncmp(host, "unix:", 5) == 0;
  if (unixgram) snprintf(su.sun_path, sizeof su.sun_path, "%s", host + 5);
  else inet_pton(AF_INET, host, &sa.sin_addr);
  int ep = epoll_create1(0);
  flow_t *fl = calloc(flows, sizeof *fl);
  uint64_t *out = malloc(size), *in = malloc(size + 64);
  size_t words = size / 8;
  for (int i = 0; i < flows; i++) {
    // Blocking sends (a unixgram server's queue holds only net.unix.max_dgram_qlen
    // datagrams: a non-blocking send would fail and count as lost), non-blocking receives.
    int fd = socket(unixgram ? AF_UNIX : AF_INET, SOCK_DGRAM, 0);
    if (unixgram) {
      struct sockaddr_un self = { .sun_family = AF_UNIX };
      if (bind(fd, (struct sockaddr *)&self, sizeof(sa_family_t)) < 0) { perror("autobind"); return 2; }
    }
    int rc = unixgram ? connect(fd, (struct sockaddr *)&su, sizeof su) : connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (fd < 0 || rc < 0) { perror("socket/connect"); return 2; }
    fl[i].fd = fd;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  double t0 = now(), start = t0 + warmup, end = start + duration;
  for (int i = 0; i < flows; i++) {
    fill(out, words, i, 0);
    send(fl[i].fd, out, size, 0);
    fl[i].sent = t0;
  }
  long rt = 0, lost = 0, mismatch = 0;
  int measuring = 0;
  double cpu0 = 0, self0 = 0, t_start = 0;
  struct epoll_event evs[256];
  double last_scan = t0;
  for (;;) {
    double t = now();
    if (!measuring && t >= start) { measuring = 1; cpu0 = proc_cpu_us(pid); self0 = self_cpu_us(); t_start = t; rt = 0; lost = 0; }
    if (t >= end) break;
    int n = epoll_wait(ep, evs, 256, 10);
    for (int k = 0; k < n; k++) {
      flow_t *f = &fl[evs[k].data.u32];
      uint64_t id = evs[k].data.u32;
      for (;;) {
        ssize_t r = recv(f->fd, in, size + 64, MSG_DONTWAIT);
        if (r < 0) break;
        fill(out, words, id, f->seq);
        if (r != size || memcmp(in, out, size) != 0) {
          // A late reply to a resent request is fine; anything else is a crossed echo.
          fill(out, words, id, f->seq - 1);
          if (f->seq > 0 && r == size && memcmp(in, out, size) == 0) continue;
          mismatch++;
          continue;
        }
        rt++;
        f->seq++;
        fill(out, words, id, f->seq);
        send(f->fd, out, size, 0);
        f->sent = t;
      }
    }
    if (t - last_scan > 0.05) {
      last_scan = t;
      for (int i = 0; i < flows; i++) {
        if (t - fl[i].sent > 0.2) {  // lost: resend the same request
          fill(out, words, i, fl[i].seq);
          send(fl[i].fd, out, size, 0);
          fl[i].sent = t;
          lost++;
        }
      }
    }
  }
  double t_end = now();
  double cpu1 = proc_cpu_us(pid), self1 = self_cpu_us();
  printf("{\"rt\":%ld,\"secs\":%.4f,\"server_cpu_us\":%.0f,\"loadgen_cpu_us\":%.0f,\"lost\":%ld,\"mismatch\":%ld}\n",
         rt, t_end - t_start, cpu1 - cpu0, self1 - self0, lost, mismatch);
  return mismatch ? 3 : 0;
}
