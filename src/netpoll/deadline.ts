// Deadlines arrive as wall-clock instants (epoch ms, like Date.now(), or a
// Date) and are kept on the monotonic clock, so a clock step cannot fire
// them early or late. 0 means none, -1 means already expired (Go's rd/wd).

export type DeadlineInput = number | Date | null | undefined;

export const NO_DEADLINE = 0;
export const EXPIRED = -1;

/** Monotonic milliseconds. */
export const now: () => number = performance.now.bind(performance);

export function toMonotonic(deadline: DeadlineInput): number {
  if (deadline === null || deadline === undefined) return NO_DEADLINE;
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
