import { checkFd } from '../sys/bounds.ts';
import { PollerShutdownError } from './errors.ts';

export { checkFd };

export function checkToken(token: number): void {
  if (!Number.isSafeInteger(token) || token < 0) {
    throw new RangeError(`netpoll: token must be a safe integer >= 0, got ${String(token)}`);
  }
}

export function checkDelay(delayNs: number): void {
  if (typeof delayNs !== 'number' || !Number.isFinite(delayNs)) {
    throw new RangeError(`netpoll: poll delay must be a finite number of nanoseconds (< 0 blocks), got ${String(delayNs)}`);
  }
}

export function checkOpen(closed: boolean, what: string): void {
  if (closed) throw new PollerShutdownError(what);
}
