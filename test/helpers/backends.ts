// The one table of backends every behaviour test runs against, and which of
// them can be built on this machine.
import { Netpoll } from '../../src/netpoll/index.ts';
import type { Backend } from '../../src/poller/types.ts';

export interface BackendCase {
  backend: Backend;
  /** Why this backend cannot run here, or null. */
  skip: string | null;
  /** A Netpoll on this backend (the test shuts it down). */
  make(): Netpoll;
}

export const backendCases: readonly BackendCase[] = (['epoll', 'kqueue'] as const).map((backend) => {
  let skip: string | null = null;
  try {
    new Netpoll({ backend }).shutdown();
  } catch (e) {
    skip = `${backend} backend unavailable: ${(e as Error).message}`;
  }
  return { backend, skip, make: () => new Netpoll({ backend }) };
});

/** The backends that run here. */
export const backends: readonly Backend[] = backendCases.filter((b) => b.skip === null).map((b) => b.backend);
