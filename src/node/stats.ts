// stats(): a snapshot of netpoll's counters, as undici's client.stats: plain
// numbers read at once, nothing kept up to date for it but integer bumps.
import { Netpoll } from '../netpoll/netpoll.ts';
import { counters, listeners, servers } from '../netpoll/stats.ts';

export interface ListenerSnapshot { address: string; accepted: number; acceptErrors: number }
export interface ServerSnapshot { address: string; connections: number; bytesBuffered: number }

export interface NetpollStats {
  /** The Netpoll's backend ('epoll' or 'kqueue'). */
  backend: string;
  /** Descriptors registered with the Netpoll now. */
  descriptorsOpen: number;
  /** Reads and writes parked on a descriptor now (all Netpolls of this thread). */
  readsParked: number;
  writesParked: number;
  /** Deadline timers armed now, and deadlines that expired so far. */
  deadlinesArmed: number;
  deadlinesFired: number;
  /** poll(0) calls by the drains, readiness events they harvested, events for descriptors already closed. */
  polls: number;
  events: number;
  staleEventsDropped: number;
  /** Wake-ups asked of the poller. */
  wakeups: number;
  /** Operations the fairness budget put off to a later loop turn, and turns whose slice ran out. */
  budgetDeferrals: number;
  sliceOverruns: number;
  /** Each open Listener: connections accepted, accept errors. */
  listeners: ListenerSnapshot[];
  /** Each running serve() or serveHttp(): open connections, bytes written and not yet sent. */
  servers: ServerSnapshot[];
}

/**
 * A snapshot of netpoll's counters for `netpoll` (default this thread's
 * Netpoll.current()). Counters count from the process's start; gauges
 * (open, parked, armed, connections, bytes buffered) are the values now.
 *
 * @example
 * const s = stats();
 * console.log(s.descriptorsOpen, s.readsParked, s.listeners[0]?.accepted);
 */
export function stats(netpoll: Netpoll = Netpoll.current()): NetpollStats {
  return {
    backend: netpoll.backend,
    descriptorsOpen: netpoll.size,
    readsParked: counters.readsParked,
    writesParked: counters.writesParked,
    deadlinesArmed: netpoll.timers.size,
    deadlinesFired: counters.deadlinesFired,
    polls: counters.polls,
    events: counters.events,
    staleEventsDropped: counters.staleEvents,
    wakeups: counters.wakeups,
    budgetDeferrals: counters.budgetDeferrals,
    sliceOverruns: counters.sliceOverruns,
    listeners: [...listeners].map((l) => ({ address: l.address, accepted: l.accepted, acceptErrors: l.acceptErrors })),
    servers: [...servers].map((s) => ({ address: s.address, connections: s.connections(), bytesBuffered: s.bytesBuffered() })),
  };
}
