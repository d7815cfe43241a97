// Socket activation: the listening sockets a supervisor (systemd, or
// anything speaking its protocol) passed as descriptors 3, 4, … with
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, read the way sd_listen_fds(3)
// and sd_listen_fds_with_names read them.
import { C } from '../sys/constants.ts';
import { fcntl } from '../sys/libc.ts';
import type { Netpoll } from '../netpoll/netpoll.ts';
import { isClosedError } from './errors.ts';
import { SocketKindError } from './file.ts';
import { Listener } from './listener.ts';
import { OpError } from './errors.ts';

/** SD_LISTEN_FDS_START: the first passed descriptor. */
export const LISTEN_FDS_START = 3;

/** LISTEN_FDS or LISTEN_FDNAMES that sd_listen_fds would refuse (its -EINVAL). */
export class ListenFdsError extends Error {
  readonly code = 'ERR_NETPOLL_LISTEN_FDS';
  constructor(message: string) {
    super(message);
    this.name = 'ListenFdsError';
  }
}

export interface ListenFds {
  /** The passed descriptors, in order from 3. */
  fds: number[];
  /** Their names (LISTEN_FDNAMES), 'unknown' each when it is unset. */
  names: string[];
}

/**
 * What the environment passes, as sd_listen_fds reads it: nothing unless
 * LISTEN_PID is this process; LISTEN_FDS descriptors from 3 on; names from
 * LISTEN_FDNAMES (colon-separated, one per descriptor). Pure: the caller
 * gives the environment and the pid.
 *
 * @example
 * parseListenFds({ LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'http:https' }, 42)
 * // { fds: [3, 4], names: ['http', 'https'] }
 */
export function parseListenFds(env: Readonly<Record<string, string | undefined>>, pid: number): ListenFds {
  const none = { fds: [], names: [] };
  const p = env['LISTEN_PID'];
  if (p === undefined) return none;
  if (!/^[0-9]+$/.test(p)) throw new ListenFdsError(`LISTEN_PID is not a process id: ${JSON.stringify(p)}`);
  if (Number(p) !== pid) return none; // meant for another process (a parent that did not unset it)
  const n = env['LISTEN_FDS'];
  if (n === undefined) return none;
  if (!/^[0-9]+$/.test(n) || Number(n) > 0x7fffffff - LISTEN_FDS_START) throw new ListenFdsError(`LISTEN_FDS is not a count: ${JSON.stringify(n)}`);
  const count = Number(n);
  const fds = Array.from({ length: count }, (_, i) => LISTEN_FDS_START + i);
  const raw = env['LISTEN_FDNAMES'];
  let names: string[];
  if (raw === undefined) {
    names = fds.map(() => 'unknown');
  } else {
    names = count === 0 ? [] : raw.split(':');
    if (names.length !== count) throw new ListenFdsError(`LISTEN_FDNAMES has ${names.length} names for ${count} descriptors`);
  }
  return { fds, names };
}

export interface SystemdListener {
  name: string;
  fd: number;
  /** A Listener for a listening stream socket; null for any other descriptor (left open, yours to use). */
  listener: Listener | null;
}

export interface SystemdOptions {
  /** Remove LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from process.env, so children do not see them (default true, as Go's activation.Listeners). */
  unsetEnv?: boolean;
  netpoll?: Netpoll;
}

/**
 * The listening sockets this process was started with (sd_listen_fds).
 * Each passed descriptor is made close-on-exec (as sd_listen_fds does); a
 * listening TCP or Unix stream socket becomes a Listener that owns it.
 *
 * @example
 * for (const { name, listener } of systemdListeners()) {
 *   if (listener) void (async () => { for await (const c of listener) void handle(name, c); })();
 * }
 */
export function systemdListeners(opts: SystemdOptions = {}): SystemdListener[] {
  const { fds, names } = parseListenFds(process.env, process.pid);
  if (opts.unsetEnv ?? true) {
    delete process.env['LISTEN_PID'];
    delete process.env['LISTEN_FDS'];
    delete process.env['LISTEN_FDNAMES'];
  }
  const out: SystemdListener[] = [];
  try {
    for (let i = 0; i < fds.length; i++) {
      const fd = fds[i]!;
      const e = fcntl(fd, C.F_SETFD, C.FD_CLOEXEC);
      if (e < 0) throw new OpError({ op: 'file', net: 'file+net', cause: new ListenFdsError(`LISTEN_FDS names fd ${fd}, which is not open`) });
      let listener: Listener | null = null;
      try {
        listener = Listener.fromFd(fd, opts.netpoll ? { netpoll: opts.netpoll } : {});
      } catch (err) {
        // Not a listening stream socket (a datagram socket, a FIFO): passed on as a plain descriptor.
        const cause = (err as { cause?: unknown }).cause;
        if (!(cause instanceof SocketKindError) && (cause as { code?: unknown } | null)?.code !== 'ENOTSOCK') throw err;
      }
      out.push({ name: names[i]!, fd, listener });
    }
  } catch (e) {
    for (const l of out) if (l.listener) void l.listener.close().catch((x: unknown) => { if (!isClosedError(x)) throw x; });
    throw e;
  }
  return out;
}
