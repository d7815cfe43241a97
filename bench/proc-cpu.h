// CPU accounting shared by the load generators (loadgen.c, udp/loadgen-udp.c).
#ifndef NETPOLL_BENCH_PROC_CPU_H
#define NETPOLL_BENCH_PROC_CPU_H
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// utime and stime of a process, in microseconds; -1 (both) if unreadable.
// The process figure in /proc/PID/stat sums all its threads (worker-thread
// servers too).
static void proc_times_us(int pid, long long *user, long long *sys) {
  *user = *sys = -1;
  if (pid <= 0) return;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');  // comm may contain spaces; fields follow the last ')'
  if (!p) return;
  unsigned long long ut = 0, st = 0;
  // after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return;
  unsigned long long hz = (unsigned long long)sysconf(_SC_CLK_TCK);
  *user = (long long)(ut * 1000000ull / hz);
  *sys = (long long)(st * 1000000ull / hz);
}

// utime+stime of a process, in microseconds; -1 if unreadable.
static long long proc_cpu_us(int pid) {
  long long user, sys;
  proc_times_us(pid, &user, &sys);
  return user < 0 ? -1 : user + sys;
}

// This process's own CPU time (all threads), in microseconds.
static long long self_cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
#endif
