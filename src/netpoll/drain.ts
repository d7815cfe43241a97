// One readiness callback's work, shared by both drivers: a new fairness
// slice (its clock starts here, so the harvest counts against it), the
// operations put off earlier (oldest work first), then poll(0) in bounded
// batches. libuv (or the worker) watches the poller's descriptor
// level-triggered, so whatever a bounded drain leaves behind is handed over
// again on the next loop turn.
import type { Poller, ReadyCallback } from '../poller/types.ts';
import { grant, harvestSpent, runQueued, startSlice } from './budget.ts';
import { pollerDrained } from './channels.ts';
import { counters } from './stats.ts';

/** At most this many poll(0) calls per loop turn, so timers and I/O keep their turn. */
export const MAX_DRAINS_PER_TURN = 8;

/** Drains what the kernel has; the caller already waited for it, so this counts as the blocking poll. */
export function drain(poller: Poller, onReady: ReadyCallback): void {
  startSlice();
  runQueued();
  let polls = 0, events = 0;
  for (let i = 0; i < MAX_DRAINS_PER_TURN; i++) {
    if (poller.closed) break; // a handler (put-off work's, or a batch's) shut the Netpoll down
    const n = poller.poll(0, onReady, true);
    polls++; events += n;
    grant(n); // the tasks these events woke may answer this turn
    // A short batch means the kernel had nothing more (a wake-up is not counted).
    if (n < poller.batch - 1) break;
    if (harvestSpent()) break; // the rest waits in the kernel for the next turn
  }
  counters.polls += polls;
  counters.events += events;
  if (pollerDrained.hasSubscribers) pollerDrained.publish({ backend: poller.backend, polls, events });
}
