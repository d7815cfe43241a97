// The C twin of wake-latency.ts, the floor on this machine: the main thread
// blocks in epoll_wait on an eventfd, a second thread waits for its go,
// spins 200 µs (so the main thread is surely asleep), stamps the clock and
// writes the eventfd; the main thread measures how long it took to come
// back out of epoll_wait. Prints one JSON line.
// Usage: wake-latency-c [iterations]
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, stop; // go: wake-ups asked for and not yet made (a count, so none merge)
static int64_t stamp;
static int efd, iterations;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *waker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (go == 0 && !stop) pthread_cond_wait(&cv, &mu);
    if (go == 0) { pthread_mutex_unlock(&mu); return NULL; } // stopped
    go--;
    pthread_mutex_unlock(&mu);
    int64_t until = now_ns() + 200000;
    while (now_ns() < until) {}
    __atomic_store_n(&stamp, now_ns(), __ATOMIC_SEQ_CST);
    uint64_t one = 1;
    if (write(efd, &one, sizeof one) != sizeof one) abort();
  }
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  iterations = argc > 1 ? atoi(argv[1]) : 5000;
  if (iterations < 1) return 2;
  efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = efd };
  if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0) { perror("setup"); return 1; }
  double *samples = calloc((size_t)iterations, sizeof *samples);
  pthread_t t;
  if (!samples || pthread_create(&t, NULL, waker, NULL) != 0) return 1;
  int lost = 0;
  for (int i = 0; i < iterations; i++) {
    __atomic_store_n(&stamp, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&mu);
    go++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    int64_t deadline = now_ns() + 2000000000LL;
    for (;;) {
      struct epoll_event out;
      int n = epoll_wait(ep, &out, 1, 1000);
      int64_t t0 = __atomic_load_n(&stamp, __ATOMIC_SEQ_CST), tn = now_ns();
      if (n > 0) { uint64_t v; if (read(efd, &v, sizeof v) < 0) {} }
      if (n > 0 && t0 != 0) { samples[i] = (double)(tn - t0) / 1000.0; break; }
      if (tn > deadline) { lost++; break; }
    }
  }
  pthread_mutex_lock(&mu);
  stop = 1; // the waker makes any wake-up still asked for (one given up on as lost), then ends
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
  qsort(samples, (size_t)iterations, sizeof *samples, cmp);
  printf("{\"name\":\"wake-latency-c\",\"ok\":%s,\"values\":{\"p50_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f,\"n\":%d,\"lost\":%d}}\n",
         lost ? "false" : "true", samples[iterations / 2], samples[(int)(iterations * 0.99)], samples[iterations - 1], iterations, lost);
  return lost ? 1 : 0;
}
