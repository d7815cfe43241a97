// Counters for `stats` (undici's client.stats pattern: plain numbers, read
// as a snapshot). Each is one integer increment where the thing happens, so
// the hot path pays at most one add; gauges that already exist elsewhere
// (open descriptors, armed deadlines) are read at snapshot time instead.

/** Process-wide counters, bumped in place by the layers that do the work. */
export const counters = {
  /** Reads (writes) parked on a PollDesc now. */
  readsParked: 0,
  writesParked: 0,
  /** Deadline timers that fired and expired a deadline. */
  deadlinesFired: 0,
  /** poll(0) calls made by the drivers' drains. */
  polls: 0,
  /** Readiness events harvested. */
  events: 0,
  /** Events whose descriptor was closed (its slot reused) before delivery. */
  staleEvents: 0,
  /** Wake-ups asked of the poller (Go's netpollBreak). */
  wakeups: 0,
  /** Operations put off to a later loop turn by the fairness budget. */
  budgetDeferrals: 0,
  /** Loop turns whose slice ran out (the rest waited for the next turn). */
  sliceOverruns: 0,
};

/** Per-listener counters; a Listener (or serveHttp) registers one while it is open. */
export class ListenerStats {
  accepted = 0;
  acceptErrors = 0;
  constructor(readonly address: string) {}
}

/** Per-server counters: what a server reports about its open connections. */
export interface ServerStatsSource {
  readonly address: string;
  /** Open connections. */
  connections(): number;
  /** Bytes written by handlers and not yet taken by the kernel. */
  bytesBuffered(): number;
}

export const listeners = new Set<ListenerStats>();
export const servers = new Set<ServerStatsSource>();
