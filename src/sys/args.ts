// Checks for the arguments every public entry point shares, so a wrong type
// fails with the library's own TypeError instead of a bare one from deep
// inside ("Cannot destructure property 'signal' of null").

/**
 * A call's options bag: undefined or null mean none; anything but a plain
 * object is a TypeError naming the call.
 */
export function optionsBag<T extends object>(opts: T | null | undefined, call: string): Partial<T> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object') throw new TypeError(`netpoll: ${call}'s options must be an object, got ${typeof opts}`);
  return opts;
}

/** An AbortSignal or nothing (undefined, null); anything else is a TypeError. */
export function signalArg(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal === null) return undefined;
  if (!(signal instanceof AbortSignal)) throw new TypeError('netpoll: signal must be an AbortSignal');
  return signal;
}

/**
 * The default length of (buf, offset, length): the rest of the buffer. An
 * offset that is not a number leaves it 0, for the range check to refuse
 * by name (subtracting a BigInt would throw a bare TypeError first).
 */
export function restOf(buf: ArrayBufferView | undefined, offset: unknown): number {
  return typeof offset === 'number' ? (buf?.byteLength ?? 0) - offset : 0;
}
