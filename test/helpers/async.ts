// Waiting in tests without timing assertions: a pause, and whether a promise
// has settled within a bound (a bound on a test, never a measurement).
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Settled<T> = 'pending' | { value: T } | { error: unknown };

/** 'pending' if p has not settled within ms, else what it settled with. */
export async function settledWithin<T>(p: Promise<T>, ms: number): Promise<Settled<T>> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((r) => { t = setTimeout(() => r('pending'), ms); });
  try {
    return await Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), timeout]);
  } finally {
    clearTimeout(t);
  }
}

/** An error's `code`, if it has one. */
export function codeOf(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}
