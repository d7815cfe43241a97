import { debuglog } from 'node:util';

/** NODE_DEBUG=netpoll turns this on. */
export const debug: (msg: string, ...args: unknown[]) => void = debuglog('netpoll');
