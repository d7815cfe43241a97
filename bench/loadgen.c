// loadgen: the benchmark's load generator. One thread, one epoll,
// many loopback connections. Compiled at run time by bench/lib/build.ts with
// `cc -O2`; pinned to its own core by the harness with `taskset`.
//
// Modes (all print JSON lines on stdout; the last line is the result):
//   echo  N connections, each sends an M-byte message and waits for the whole
//         echo before sending the next (closed loop). Every message carries
//         its connection id and sequence number in every 8-byte word, and the
//         echo is compared byte for byte with what was sent: a server that
//         crosses bytes between connections fails the run (exit 3).
//   bulk  one connection, N bytes each way, content a function of the
//         stream offset, verified on the way back.
//   idle  opens connections on command from stdin ("open K", "echo",
//         "quit") and holds them, so the harness can measure the server
//         between commands. Several 127.0.0.x source addresses let K pass the
//         ~28,000 ephemeral ports of one source address.
//   burst N non-blocking connects issued at once; each sends one message as
//         soon as it is connected; reports the time until every one echoed.
//
// Exit codes: 0 ok, 2 usage, 3 echo mismatch, 4 connection error or closed by
// the server, 5 timed out.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

// ---------- options ----------
static const char *opt_mode = "echo";
static char opt_host[64] = "127.0.0.1";
static int opt_port = 0;
static int opt_conns = 1;
static int opt_size = 64;
static double opt_duration = 3.0;
static double opt_warmup = 1.0;
static long long opt_count = 0;     // echo: stop after this many measured round trips (0: by duration)
static double opt_timeout = 0;      // hard bound on the whole run, seconds (0: derived)
static long long opt_bytes = 1 << 20;
static int opt_pid = 0;             // server pid: its CPU is read from /proc over the measured window
static int opt_src_ips = 0;         // 0: automatic (one per 16,000 connections)
static int opt_inflight = 256;      // connects in flight while opening (echo/idle)

static void die_json(int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  printf("{\"mode\":\"%s\",\"ok\":false,\"exit\":%d,\"error\":\"%s\"}\n", opt_mode, code, msg);
  fflush(stdout);
  exit(code);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t deadline_ns;
static void check_deadline(void) {
  if (deadline_ns && now_ns() > deadline_ns) die_json(5, "timed out after %.1f s", opt_timeout);
}

// ---------- CPU accounting ----------
#include "proc-cpu.h"

// ---------- latency histogram ----------
// Log-linear buckets of nanoseconds: exact below 128 ns, then 64 sub-buckets
// per power of two (under 1.6 % error), enough range for minutes.
#define SUB 64
#define NBUCKETS (2 * SUB + 48 * SUB)
static uint64_t hist[NBUCKETS];
static uint64_t hist_n, hist_max;
static int bucket_of(uint64_t v) {
  if (v < 2 * SUB) return (int)v;
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - 6;  // v >> shift is in [64, 128)
  int idx = 2 * SUB + (shift - 1) * SUB + (int)((v >> shift) - SUB);
  return idx < NBUCKETS ? idx : NBUCKETS - 1;
}
static uint64_t bucket_mid(int idx) {
  if (idx < 2 * SUB) return (uint64_t)idx;
  int shift = (idx - 2 * SUB) / SUB + 1;
  uint64_t base = (uint64_t)((idx - 2 * SUB) % SUB + SUB) << shift;
  return base + ((1ull << shift) >> 1);
}
static void hist_add(uint64_t v) {
  hist[bucket_of(v)]++;
  hist_n++;
  if (v > hist_max) hist_max = v;
}
static void hist_reset(void) {
  memset(hist, 0, sizeof hist);
  hist_n = hist_max = 0;
}
static double hist_pct_us(double p) {
  if (!hist_n) return 0;
  uint64_t want = (uint64_t)(p / 100.0 * (double)hist_n);
  if (want >= hist_n) want = hist_n - 1;
  uint64_t seen = 0;
  for (int i = 0; i < NBUCKETS; i++) {
    seen += hist[i];
    if (seen > want) return (double)bucket_mid(i) / 1000.0;
  }
  return (double)hist_max / 1000.0;
}

// ---------- message content ----------
// Echo messages: every 8-byte word holds (conn id, sequence, word index), so
// any crossed, shifted or stale chunk differs from what this connection sent.
static void fill_msg(uint8_t *buf, int size, uint32_t id, uint32_t seq) {
  uint64_t tag = ((uint64_t)id << 44) ^ ((uint64_t)seq << 12) ^ 0xA5A5000000000000ull;
  int words = size / 8, i;
  for (i = 0; i < words; i++) {
    uint64_t w = tag ^ (uint64_t)i;
    memcpy(buf + i * 8, &w, 8);
  }
  uint64_t last = tag ^ (uint64_t)i;
  memcpy(buf + i * 8, &last, (size_t)(size - i * 8));
}
// Bulk stream: byte at offset o is a byte of a hash of o/8, so the whole
// stream is aperiodic and any reordering shows.
static inline uint64_t stream_word(uint64_t w) { return (w + 1) * 0x9E3779B97F4A7C15ull ^ 0x5bd1e995u; }
static void fill_stream(uint8_t *buf, uint64_t off, size_t len) {
  size_t i = 0;
  while (i < len && ((off + i) & 7)) {
    uint64_t o = off + i;
    buf[i++] = (uint8_t)(stream_word(o >> 3) >> ((o & 7) * 8));
  }
  for (; i + 8 <= len; i += 8) {
    uint64_t w = stream_word((off + i) >> 3);
    memcpy(buf + i, &w, 8);
  }
  while (i < len) {
    uint64_t o = off + i;
    buf[i++] = (uint8_t)(stream_word(o >> 3) >> ((o & 7) * 8));
  }
}

// ---------- sockets ----------
static struct sockaddr_in server_addr;
static int epfd;


static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Start a non-blocking connect; index picks the source address 127.0.0.(2+i%k)
// when several are in use (each has its own ephemeral port range).
static int start_connect(int index, int nsrc) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die_json(4, "socket: %s (fd limit reached?)", strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (nsrc > 1) {
    struct sockaddr_in src = {0};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(index % nsrc));
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) die_json(4, "bind source: %s", strerror(errno));
  }
  if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) < 0 && errno != EINPROGRESS)
    die_json(4, "connect: %s", strerror(errno));
  return fd;
}

static int auto_src_ips(int n) { return opt_src_ips > 0 ? opt_src_ips : 1 + n / 16000; }

static void ep_ctl(int op, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev = {.events = events, .data.u64 = data};
  if (epoll_ctl(epfd, op, fd, &ev) < 0) die_json(4, "epoll_ctl: %s", strerror(errno));
}

static int sock_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err;
}

// Opens fds[from..to) with at most opt_inflight connects outstanding, waiting
// until each is established, so a server's small backlog is not overrun.
static void open_conns(int *fds, int from, int to, int nsrc) {
  int next = from, pending = 0, done = from;
  struct epoll_event evs[512];
  while (done < to) {
    while (next < to && pending < opt_inflight) {
      fds[next] = start_connect(next, nsrc);
      ep_ctl(EPOLL_CTL_ADD, fds[next], EPOLLOUT, (uint64_t)next);
      next++, pending++;
    }
    int n = epoll_wait(epfd, evs, 512, 100);
    check_deadline();
    for (int i = 0; i < n; i++) {
      int idx = (int)evs[i].data.u64;
      int err = sock_error(fds[idx]);
      if (err) die_json(4, "connect %d: %s", idx, strerror(err));
      ep_ctl(EPOLL_CTL_MOD, fds[idx], 0, (uint64_t)idx);  // parked: no events until used
      pending--, done++;
    }
  }
}

// ---------- echo state ----------
typedef struct {
  int fd;
  uint32_t seq;
  int sent, got;
  uint64_t t0;
  uint8_t *tx;
  uint8_t *rx;
} conn_t;

static conn_t *conns;
static uint8_t rxbuf[1 << 16];

static void send_next(conn_t *c, uint32_t id) {
  c->seq++;
  fill_msg(c->tx, opt_size, id, c->seq);
  c->sent = c->got = 0;
  c->t0 = now_ns();
  ssize_t w = write(c->fd, c->tx, (size_t)opt_size);
  if (w < 0) {
    if (errno != EAGAIN) die_json(4, "write conn %u: %s", id, strerror(errno));
    w = 0;
  }
  c->sent = (int)w;
  if (c->sent < opt_size) ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLOUT, id);
}

static void flush_tx(conn_t *c, uint32_t id) {
  ssize_t w = write(c->fd, c->tx + c->sent, (size_t)(opt_size - c->sent));
  if (w < 0) {
    if (errno == EAGAIN) return;
    die_json(4, "write conn %u: %s", id, strerror(errno));
  }
  c->sent += (int)w;
  if (c->sent == opt_size) ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN, id);
}

// Reads what is there and checks it against what was sent. Returns 1 when the
// whole echo is in.
static int recv_echo(conn_t *c, uint32_t id) {
  for (;;) {
    int want = opt_size - c->got;
    if (want <= 0) break;
    if (want > (int)sizeof rxbuf) want = (int)sizeof rxbuf;
    ssize_t r = read(c->fd, rxbuf, (size_t)want);
    if (r < 0) {
      if (errno == EAGAIN) return 0;
      die_json(4, "read conn %u: %s", id, strerror(errno));
    }
    if (r == 0) die_json(4, "conn %u closed by the server after %u messages", id, c->seq - 1);
    if (c->got + r > c->sent) die_json(3, "echo mismatch: conn %u seq %u got bytes that were never sent", id, c->seq);
    if (memcmp(rxbuf, c->tx + c->got, (size_t)r) != 0) {
      int off = 0;
      while (off < r && rxbuf[off] == c->tx[c->got + off]) off++;
      die_json(3, "echo mismatch: conn %u seq %u at byte %d (expected 0x%02x, got 0x%02x)", id, c->seq, c->got + off,
               c->tx[c->got + off], rxbuf[off]);
    }
    c->got += (int)r;
    if (r < want) break;  // short read: the rest is not there yet
  }
  return c->got == opt_size;
}

// The server's CPU time (user+system) and its user time alone, in microseconds (-1 unreadable).
static void server_times(long long *cpu, long long *user) {
  long long sys;
  proc_times_us(opt_pid, user, &sys);
  *cpu = *user < 0 ? -1 : *user + sys;
}

static void print_echo_result(const char *mode, long long rts, double secs, long long srv_cpu, long long srv_user,
                              long long lg_cpu) {
  double rps = rts / secs;
  printf("{\"mode\":\"%s\",\"ok\":true,\"conns\":%d,\"size\":%d,\"seconds\":%.4f,\"round_trips\":%lld,"
         "\"rt_per_s\":%.1f,\"mb_per_s\":%.3f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,\"max_us\":%.2f,"
         "\"server_cpu_us\":%lld,\"server_cpu_us_per_rt\":%.4f,\"server_user_us_per_rt\":%.4f,"
         "\"loadgen_cpu_us\":%lld,\"loadgen_cpu_pct\":%.1f}\n",
         mode, opt_conns, opt_size, secs, rts, rps, rps * opt_size / 1e6, hist_pct_us(50), hist_pct_us(99),
         hist_pct_us(99.9), (double)hist_max / 1000.0, srv_cpu, srv_cpu >= 0 && rts ? (double)srv_cpu / (double)rts : -1.0,
         srv_user >= 0 && rts ? (double)srv_user / (double)rts : -1.0, lg_cpu, 100.0 * (double)lg_cpu / (secs * 1e6));
  fflush(stdout);
}

static void alloc_conns(int n) {
  conns = calloc((size_t)n, sizeof *conns);
  uint8_t *mem = malloc((size_t)n * (size_t)opt_size);
  if (!conns || !mem) die_json(4, "out of memory");
  for (int i = 0; i < n; i++) conns[i].tx = mem + (size_t)i * (size_t)opt_size;
}

static void run_echo(void) {
  int n = opt_conns;
  alloc_conns(n);
  int *fds = malloc(sizeof(int) * (size_t)n);
  open_conns(fds, 0, n, auto_src_ips(n));
  for (int i = 0; i < n; i++) conns[i].fd = fds[i];
  printf("{\"event\":\"connected\",\"conns\":%d}\n", n);
  fflush(stdout);

  for (int i = 0; i < n; i++) {
    ep_ctl(EPOLL_CTL_MOD, conns[i].fd, EPOLLIN, (uint64_t)i);
    send_next(&conns[i], (uint32_t)i);
  }
  uint64_t start = now_ns();
  uint64_t measure_at = start + (uint64_t)(opt_warmup * 1e9);
  uint64_t stop_at = measure_at + (uint64_t)(opt_duration * 1e9);
  int measuring = opt_warmup <= 0;
  long long srv0 = 0, usr0 = 0, lg0 = 0, rts = 0;
  uint64_t t_measure = start;
  if (measuring) server_times(&srv0, &usr0), lg0 = self_cpu_us();
  struct epoll_event evs[512];
  unsigned loops = 0;
  for (;;) {
    int ne = epoll_wait(epfd, evs, 512, 50);
    if (ne < 0 && errno != EINTR) die_json(4, "epoll_wait: %s", strerror(errno));
    uint64_t t = now_ns();
    for (int i = 0; i < ne; i++) {
      uint32_t id = (uint32_t)evs[i].data.u64;
      conn_t *c = &conns[id];
      if (evs[i].events & EPOLLOUT) flush_tx(c, id);
      if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (recv_echo(c, id)) {
          uint64_t t1 = now_ns();
          if (measuring) {
            hist_add(t1 - c->t0);
            rts++;
          }
          send_next(c, id);
        }
      }
    }
    if (!measuring && t >= measure_at) {
      measuring = 1;
      t_measure = now_ns();
      server_times(&srv0, &usr0);
      lg0 = self_cpu_us();
      hist_reset();
      printf("{\"event\":\"measure\"}\n");
      fflush(stdout);
    }
    if (measuring && ((opt_count > 0 && rts >= opt_count) || (opt_count <= 0 && t >= stop_at))) break;
    if ((++loops & 63) == 0 || ne == 0) check_deadline();
  }
  uint64_t t_end = now_ns();
  long long srv1, usr1, lg1 = self_cpu_us();
  server_times(&srv1, &usr1);
  double secs = (double)(t_end - t_measure) / 1e9;
  if (rts == 0) die_json(5, "no round trip completed in the measured window");
  print_echo_result("echo", rts, secs, srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1,
                    usr0 >= 0 && usr1 >= 0 ? usr1 - usr0 : -1, lg1 - lg0);
  for (int i = 0; i < n; i++) close(conns[i].fd);
}

// ---------- bulk ----------
static void run_bulk(void) {
  const size_t CH = 256 * 1024;
  uint8_t *tx = malloc(CH), *rx = malloc(CH), *want = malloc(CH);
  int fd = start_connect(0, 1);
  ep_ctl(EPOLL_CTL_ADD, fd, EPOLLOUT, 0);
  struct epoll_event ev;
  while (epoll_wait(epfd, &ev, 1, 100) == 0) check_deadline();
  if (sock_error(fd)) die_json(4, "connect: %s", strerror(sock_error(fd)));
  int bufsz = 4 << 20;  // large socket buffers: measure the server, not the window
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
  uint64_t total = (uint64_t)opt_bytes, sent = 0, got = 0, tx_base = 0;
  size_t tx_len = 0, tx_off = 0;
  ep_ctl(EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLOUT, 0);
  long long srv0 = proc_cpu_us(opt_pid), lg0 = self_cpu_us();
  uint64_t t0 = now_ns();
  int want_out = 1;
  while (got < total) {
    int n = epoll_wait(epfd, &ev, 1, 100);
    check_deadline();
    if (n <= 0) continue;
    if ((ev.events & EPOLLOUT) && sent < total) {
      for (;;) {
        if (tx_off == tx_len) {
          tx_base = sent;
          tx_len = total - sent < CH ? (size_t)(total - sent) : CH;
          tx_off = 0;
          if (!tx_len) break;
          fill_stream(tx, tx_base, tx_len);
        }
        ssize_t w = write(fd, tx + tx_off, tx_len - tx_off);
        if (w < 0) {
          if (errno == EAGAIN) break;
          die_json(4, "write: %s", strerror(errno));
        }
        tx_off += (size_t)w;
        sent += (uint64_t)w;
        if (sent == total) break;
      }
    }
    if (sent == total && want_out) {
      ep_ctl(EPOLL_CTL_MOD, fd, EPOLLIN, 0);
      want_out = 0;
    }
    if (ev.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      for (int k = 0; k < 16 && got < total; k++) {
        ssize_t r = read(fd, rx, CH);
        if (r < 0) {
          if (errno == EAGAIN) break;
          die_json(4, "read: %s", strerror(errno));
        }
        if (r == 0) die_json(4, "closed by the server after %llu of %llu bytes", (unsigned long long)got,
                             (unsigned long long)total);
        if (got + (uint64_t)r > sent) die_json(3, "echo mismatch: more bytes back than sent");
        fill_stream(want, got, (size_t)r);
        if (memcmp(rx, want, (size_t)r) != 0) die_json(3, "echo mismatch: bulk stream differs near offset %llu", (unsigned long long)got);
        got += (uint64_t)r;
      }
    }
  }
  uint64_t t1 = now_ns();
  long long srv1 = proc_cpu_us(opt_pid), lg1 = self_cpu_us();
  double secs = (double)(t1 - t0) / 1e9;
  printf("{\"mode\":\"bulk\",\"ok\":true,\"bytes\":%llu,\"seconds\":%.4f,\"mb_per_s\":%.2f,\"server_cpu_us\":%lld,"
         "\"loadgen_cpu_us\":%lld}\n",
         (unsigned long long)total, secs, (double)total / secs / 1e6, srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1, lg1 - lg0);
  fflush(stdout);
  close(fd);
}

// ---------- idle ----------
// One round of one echo on each of conns[from..to): all sent at once, then
// wait for every echo.
static void echo_all(int from, int to) {
  int left = to - from;
  for (int i = from; i < to; i++) {
    ep_ctl(EPOLL_CTL_MOD, conns[i].fd, EPOLLIN, (uint64_t)i);
    send_next(&conns[i], (uint32_t)i);
  }
  struct epoll_event evs[512];
  while (left > 0) {
    int ne = epoll_wait(epfd, evs, 512, 100);
    check_deadline();
    for (int k = 0; k < ne; k++) {
      uint32_t id = (uint32_t)evs[k].data.u64;
      conn_t *c = &conns[id];
      if (evs[k].events & EPOLLOUT) flush_tx(c, id);
      if ((evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && recv_echo(c, id)) {
        ep_ctl(EPOLL_CTL_MOD, c->fd, 0, id);  // back to idle: no events
        left--;
      }
    }
  }
}

static void run_idle(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  int cap = (int)rl.rlim_cur - 16;
  alloc_conns(cap);
  int *fds = malloc(sizeof(int) * (size_t)cap);
  int open_n = 0;
  char line[256];
  printf("{\"event\":\"ready\",\"open\":0,\"fd_limit\":%d}\n", (int)rl.rlim_cur);
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    int k;
    uint64_t t0 = now_ns();
    if (sscanf(line, "open %d", &k) == 1) {
      if (k > cap) die_json(4, "cannot hold %d connections: fd limit %d", k, (int)rl.rlim_cur);
      if (k > open_n) {
        open_conns(fds, open_n, k, auto_src_ips(k));
        for (int i = open_n; i < k; i++) conns[i].fd = fds[i];
        open_n = k;
      }
    } else if (strncmp(line, "echo", 4) == 0) {
      echo_all(0, open_n);
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    } else {
      die_json(2, "unknown command");
    }
    printf("{\"event\":\"ready\",\"open\":%d,\"ms\":%.2f}\n", open_n, (double)(now_ns() - t0) / 1e6);
    fflush(stdout);
  }
  for (int i = 0; i < open_n; i++) close(conns[i].fd);
  printf("{\"mode\":\"idle\",\"ok\":true,\"open\":%d}\n", open_n);
  fflush(stdout);
}

// ---------- burst ----------
static void run_burst(void) {
  int n = opt_conns, nsrc = auto_src_ips(n);
  alloc_conns(n);
  uint64_t *done_at = calloc((size_t)n, sizeof *done_at);
  long long srv0 = proc_cpu_us(opt_pid);
  uint64_t t0 = now_ns();
  for (int i = 0; i < n; i++) {
    conns[i].fd = start_connect(i, nsrc);
    ep_ctl(EPOLL_CTL_ADD, conns[i].fd, EPOLLOUT, (uint64_t)i);
  }
  int left = n;
  uint8_t *connected = calloc((size_t)n, 1);
  struct epoll_event evs[512];
  while (left > 0) {
    int ne = epoll_wait(epfd, evs, 512, 100);
    check_deadline();
    for (int k = 0; k < ne; k++) {
      uint32_t id = (uint32_t)evs[k].data.u64;
      conn_t *c = &conns[id];
      if (!connected[id]) {
        int err = sock_error(c->fd);
        if (err) die_json(4, "connect %u: %s", id, strerror(err));
        connected[id] = 1;
        ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN, id);
        uint64_t keep = t0;
        send_next(c, id);
        c->t0 = keep;  // latency here is from the burst start
        continue;
      }
      if (evs[k].events & EPOLLOUT) flush_tx(c, id);
      if ((evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && recv_echo(c, id)) {
        uint64_t t = now_ns();
        done_at[id] = t;
        hist_add(t - t0);
        ep_ctl(EPOLL_CTL_MOD, c->fd, 0, id);
        left--;
      }
    }
  }
  uint64_t t1 = now_ns();
  long long srv1 = proc_cpu_us(opt_pid);
  printf("{\"mode\":\"burst\",\"ok\":true,\"conns\":%d,\"total_ms\":%.2f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
         "\"server_cpu_us\":%lld}\n",
         n, (double)(t1 - t0) / 1e6, hist_pct_us(50) / 1000, hist_pct_us(99) / 1000,
         srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1);
  fflush(stdout);
  for (int i = 0; i < n; i++) close(conns[i].fd);
}

// ---------- main ----------
static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --mode echo|bulk|idle|burst --addr 127.0.0.1:PORT [--conns N] [--size M]\n"
          "  [--duration S] [--warmup S] [--count N] [--bytes N] [--pid SERVER_PID] [--src-ips K]\n"
          "  [--timeout S]\n");
  exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(k, "--mode")) opt_mode = v;
    else if (!strcmp(k, "--addr")) {
      const char *colon = strrchr(v, ':');
      if (!colon || colon - v >= (long)sizeof opt_host) usage();
      memcpy(opt_host, v, (size_t)(colon - v));
      opt_host[colon - v] = 0;
      opt_port = atoi(colon + 1);
    } else if (!strcmp(k, "--conns")) opt_conns = atoi(v);
    else if (!strcmp(k, "--size")) opt_size = atoi(v);
    else if (!strcmp(k, "--duration")) opt_duration = atof(v);
    else if (!strcmp(k, "--warmup")) opt_warmup = atof(v);
    else if (!strcmp(k, "--count")) opt_count = atoll(v);
    else if (!strcmp(k, "--bytes")) opt_bytes = atoll(v);
    else if (!strcmp(k, "--pid")) opt_pid = atoi(v);
    else if (!strcmp(k, "--src-ips")) opt_src_ips = atoi(v);
    else if (!strcmp(k, "--timeout")) opt_timeout = atof(v);
    else if (!strcmp(k, "--inflight")) opt_inflight = atoi(v);
    else usage();
  }
  if (opt_port <= 0 || opt_conns < 1 || opt_size < 16 || opt_size > (16 << 20)) usage();
  // Loopback only: this generator never targets anything outside 127.0.0.0/8.
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons((uint16_t)opt_port);
  if (inet_pton(AF_INET, opt_host, &server_addr.sin_addr) != 1 || (ntohl(server_addr.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "loadgen: only 127.0.0.0/8 addresses are allowed\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  epfd = epoll_create1(EPOLL_CLOEXEC);
  int is_idle = !strcmp(opt_mode, "idle");
  if (opt_timeout <= 0) opt_timeout = is_idle ? 600 : opt_warmup + opt_duration + 60;
  deadline_ns = now_ns() + (uint64_t)(opt_timeout * 1e9);
  if (!strcmp(opt_mode, "echo")) run_echo();
  else if (!strcmp(opt_mode, "bulk")) run_bulk();
  else if (is_idle) run_idle();
  else if (!strcmp(opt_mode, "burst")) run_burst();
  else usage();
  return 0;
}
