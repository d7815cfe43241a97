// One error shape for every net operation (Go's *net.OpError), with Go's
// messages: "dial tcp 127.0.0.1:1: connect: connection refused",
// "read tcp 127.0.0.1:7007->127.0.0.1:40312: i/o timeout".
import { NetClosingError } from '../netpoll/errors.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { strerror } from '../sys/strerror.ts';
import type { Addr } from './addr.ts';

export type Op = 'dial' | 'listen' | 'accept' | 'read' | 'write' | 'close' | 'shutdown' | 'set' | string;

/** Go's errno texts are strerror's, lower-cased ("connection refused"). */
function errnoText(e: SyscallError): string {
  const s = strerror(e.errno);
  return s.length > 1 && s[1] === s[1]!.toUpperCase() && /[A-Z]/.test(s[1]!) ? s : s.charAt(0).toLowerCase() + s.slice(1);
}

function causeText(cause: unknown): string {
  if (cause instanceof SyscallError) return `${cause.syscall}: ${errnoText(cause)}`;
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

export interface OpErrorInit {
  op: Op;
  net: string;
  source?: Addr | null | undefined;
  addr?: Addr | null | undefined;
  cause: unknown;
}

export class OpError extends Error {
  /** What failed: 'dial', 'listen', 'accept', 'read', 'write', 'close', … */
  readonly op: Op;
  /** The network: 'tcp', 'tcp4', 'tcp6', 'unix'. */
  readonly net: string;
  /** The local end, when known. */
  readonly source: Addr | null;
  /** The remote end (or the listener's own address for listen/accept). */
  readonly addr: Addr | null;
  /** The errno name (ECONNREFUSED, EPIPE, …), ETIMEDOUT for a deadline, ERR_NETPOLL_CLOSED after close. */
  readonly code: string;
  /** The errno number and the failed system call, when a system call failed. */
  declare readonly errno?: number;
  declare readonly syscall?: string;
  /** True for a deadline (Go's Timeout()). */
  readonly timeout: boolean;
  /** For a failed write: how many bytes went out before it failed. */
  declare readonly bytesWritten?: number;
  declare readonly cause: unknown;

  constructor(init: OpErrorInit) {
    let s = init.op;
    if (init.net) s += ` ${init.net}`;
    if (init.source) s += ` ${init.source.toString()}`;
    if (init.addr) s += (init.source ? '->' : ' ') + init.addr.toString();
    super(`${s}: ${causeText(init.cause)}`, { cause: init.cause });
    this.name = 'OpError';
    this.op = init.op;
    this.net = init.net;
    this.source = init.source ?? null;
    this.addr = init.addr ?? null;
    const c = init.cause as { code?: unknown; timeout?: unknown } | null | undefined;
    this.code = typeof c?.code === 'string' ? c.code : 'ERR_NETPOLL_OP';
    this.timeout = c?.timeout === true || this.code === 'ETIMEDOUT';
    // Only the fields that apply, so a logged error shows no undefined noise.
    const self = this as { -readonly [K in 'errno' | 'syscall' | 'bytesWritten']?: OpError[K] };
    const bw = (init.cause as { bytesWritten?: unknown } | null | undefined)?.bytesWritten;
    if (typeof bw === 'number') self.bytesWritten = bw;
    if (init.cause instanceof SyscallError) {
      self.errno = init.cause.errno;
      self.syscall = init.cause.syscall;
    }
  }

  /**
   * Go's Temporary(), kept for parity: a timeout, or an errno Go's
   * syscall.Errno.Temporary() names ("e == EINTR || e == EMFILE || e ==
   * ENFILE || e.Timeout()", Timeout being EAGAIN, EWOULDBLOCK, ETIMEDOUT);
   * ECONNRESET and ECONNABORTED only from accept ("if e.Op == "accept" &&
   * isConnError(e.Err)"). A reset read or write is not temporary.
   *
   * @example if (e instanceof OpError && e.temporary) await sleep(5)
   */
  get temporary(): boolean {
    if (this.timeout) return true;
    const c = this.code;
    if (this.op === 'accept' && (c === 'ECONNRESET' || c === 'ECONNABORTED')) return true;
    return c === 'EINTR' || c === 'EMFILE' || c === 'ENFILE' || c === 'EAGAIN' || c === 'EWOULDBLOCK' || c === 'ETIMEDOUT';
  }
}

/**
 * Wraps `cause` as an OpError, unless it is already one or it is an abort
 * signal's reason (which callers get back untouched).
 */
export function wrapError(cause: unknown, init: Omit<OpErrorInit, 'cause'>, signal?: AbortSignal): unknown {
  if (cause instanceof OpError) return cause;
  if (signal?.aborted && cause === signal.reason) return cause;
  // Programming errors (bad arguments) are not network failures.
  if (!(cause instanceof Error) || cause instanceof TypeError || (cause instanceof RangeError && !('code' in cause))) return cause;
  return new OpError({ ...init, cause });
}

/** The role of Go's errors.Is(err, net.ErrClosed): a use of a closed connection or listener. */
export function isClosedError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 8; cur = (cur as { cause?: unknown }).cause, depth++) {
    if (cur instanceof NetClosingError) return true;
    if ((cur as { code?: unknown }).code === 'ERR_NETPOLL_CLOSED') return true;
  }
  return false;
}

/** True for a deadline error (Go's os.ErrDeadlineExceeded / net.Error Timeout()). */
export function isTimeoutError(e: unknown): boolean {
  return (e as { timeout?: unknown } | null)?.timeout === true;
}
