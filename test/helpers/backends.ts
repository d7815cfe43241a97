// The one table of backends every behaviour test runs against.
import type { Backend } from '../../src/poller/types.ts';

export const backends: readonly Backend[] = ['epoll', 'kqueue'];
