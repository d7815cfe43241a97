// Deadlines arrive as wall-clock instants (epoch ms, like Date.now(), or a
// Date) and are kept on the monotonic clock, so a clock step cannot fire
// them early or late. 0 means none, -1 means already expired (Go's rd/wd).

export type DeadlineInput = number | Date | null | undefined;

export const NO_DEADLINE = 0;
export const EXPIRED = -1;

/** Monotonic milliseconds. */
export const now: () => number = performance.now.bind(performance);

/**
 * The longest delay a Node timer takes (2^31-1 ms, about 24.8 days): a
 * longer one is clamped to 1 ms with a TimeoutOverflowWarning. Deadlines
 * further ahead are waited for in steps of at most this much.
 */
export const MAX_TIMER_MS = 0x7fffffff;

/**
 * A Date that also carries the monotonic instant it stands for, as Go's
 * time.Now().Add(d) carries a monotonic reading: a deadline computed as
 * "now plus a timeout" then expires exactly that long after now, with no
 * round trip through whole wall-clock milliseconds (which can lose up to
 * one). Internal: dial() uses it for its timeout.
 *
 * @example fd.setWriteDeadline(MonotonicDate.after(250))
 */
export class MonotonicDate extends Date {
  /** The instant on the monotonic clock (performance.now() milliseconds). */
  readonly monotonic: number;
  constructor(monotonic: number) {
    super(performance.timeOrigin + monotonic);
    this.monotonic = monotonic;
  }

  /** The instant ms milliseconds from now (negative: already past). */
  static after(ms: number): MonotonicDate { return new MonotonicDate(now() + ms); }
}

/** The delay to give a Node timer for monotonic instant `when`: at least 1 ms, at most MAX_TIMER_MS. */
export function timerDelay(when: number): number {
  const d = Math.ceil(when - now());
  return d < 1 ? 1 : d > MAX_TIMER_MS ? MAX_TIMER_MS : d;
}

/**
 * Calls fn once the monotonic clock reaches `when`, however far ahead it
 * is: a Node timer fires early (its clock is the loop's cached one) and
 * cannot wait longer than MAX_TIMER_MS, so it is re-armed until then.
 * Returns the cancel function. The timer is ref'd unless `unref`.
 */
export function atMonotonic(when: number, fn: () => void, unref = false): () => void {
  let t: NodeJS.Timeout | null = null;
  const arm = (): void => {
    t = setTimeout(tick, timerDelay(when));
    if (unref) t.unref();
  };
  const tick = (): void => {
    if (now() < when) { arm(); return; }
    t = null;
    fn();
  };
  arm();
  return () => { if (t !== null) { clearTimeout(t); t = null; } };
}

export function toMonotonic(deadline: DeadlineInput): number {
  if (deadline === null || deadline === undefined) return NO_DEADLINE;
  if (deadline instanceof MonotonicDate) {
    const m = deadline.monotonic;
    if (Number.isNaN(m)) throw new RangeError('netpoll: deadline is an invalid Date');
    return m <= now() ? EXPIRED : m;
  }
  let ms: number;
  if (deadline instanceof Date) {
    ms = deadline.getTime();
    if (Number.isNaN(ms)) throw new RangeError('netpoll: deadline is an invalid Date');
  } else if (typeof deadline === 'number') {
    if (!Number.isFinite(deadline) || deadline < 0) {
      throw new RangeError(`netpoll: deadline must be epoch milliseconds >= 0, a Date, or null, got ${String(deadline)}`);
    }
    ms = deadline;
  } else {
    throw new TypeError(`netpoll: deadline must be a number, a Date or null, got ${typeof deadline}`);
  }
  if (ms === 0) return NO_DEADLINE;
  const left = ms - Date.now();
  // Go: a deadline equal to now has already passed.
  return left <= 0 ? EXPIRED : now() + left;
}
