// netpoll/poller: the platform poller alone, Go's netpoll_*.go.
import { IS_LINUX } from '../sys/platform.ts';
import { EpollPoller } from './epoll.ts';
import { KqueuePoller } from './kqueue.ts';
import type { Backend, BackendChoice, Poller } from './types.ts';
import { optionsBag } from '../sys/args.ts';

export type { Backend, BackendChoice, Mode, Poller, ReadyCallback, WakerHandle } from './types.ts';
export { PollerShutdownError } from './errors.ts';
export { wakerFrom, type Waker } from './waker.ts';
export { EpollPoller } from './epoll.ts';
export { KqueuePoller } from './kqueue.ts';

export interface PollerOptions { backend?: BackendChoice; }

/** The backend `auto` picks: NETPOLL_BACKEND if set, else epoll on Linux, kqueue elsewhere. */
export function resolveBackend(choice: BackendChoice = 'auto'): Backend {
  if (choice === 'auto') {
    const env = process.env['NETPOLL_BACKEND'];
    if (env === 'epoll' || env === 'kqueue') choice = env;
    else if (env !== undefined && env !== '' && env !== 'auto') {
      throw new RangeError(`netpoll: NETPOLL_BACKEND must be epoll, kqueue or auto, got ${JSON.stringify(env)}`);
    } else return IS_LINUX ? 'epoll' : 'kqueue';
  }
  if (choice === 'epoll') {
    if (!IS_LINUX) throw new RangeError('netpoll: the epoll backend exists only on Linux');
    return 'epoll';
  }
  if (choice === 'kqueue') return 'kqueue';
  throw new RangeError(`netpoll: backend must be 'auto', 'epoll' or 'kqueue', got ${JSON.stringify(choice)}`);
}

export function createPoller(opts?: PollerOptions): Poller {
  return resolveBackend(optionsBag(opts, 'createPoller').backend) === 'epoll' ? new EpollPoller() : new KqueuePoller();
}
