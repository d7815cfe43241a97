// Go's *os.PathError: the operation, the file's name and the cause, with the
// cause's errno name as `code` ("read /tmp/fifo: i/o timeout").
import { SyscallError } from '../sys/syscall-error.ts';
import { strerror } from '../sys/strerror.ts';

function causeText(cause: unknown): string {
  if (cause instanceof SyscallError) {
    const s = strerror(cause.errno);
    return s.charAt(0).toLowerCase() + s.slice(1);
  }
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

export class PathError extends Error {
  /** What failed: 'open', 'read', 'write', 'pread', 'close', 'set', 'waitPriority', … */
  readonly op: string;
  /** The file's path, or the name it was adopted under. */
  readonly path: string;
  /** The errno name (ENOENT, EISDIR, ESPIPE, EIO…), ETIMEDOUT for a deadline, ERR_NETPOLL_CLOSED after close. */
  readonly code: string;
  /** True for a deadline (Go's os.ErrDeadlineExceeded). */
  readonly timeout: boolean;
  declare readonly errno?: number;
  declare readonly syscall?: string;
  declare readonly bytesWritten?: number;
  declare readonly cause: unknown;

  /**
   * @example
   * new PathError('open', '/nope', new SyscallError('open', 2)).message // 'open /nope: no such file or directory'
   */
  constructor(op: string, path: string, cause: unknown) {
    super(`${op} ${path}: ${causeText(cause)}`, { cause });
    this.name = 'PathError';
    this.op = op;
    this.path = path;
    const c = cause as { code?: unknown; timeout?: unknown; bytesWritten?: unknown } | null | undefined;
    this.code = typeof c?.code === 'string' ? c.code : 'ERR_NETPOLL_OP';
    this.timeout = c?.timeout === true || this.code === 'ETIMEDOUT';
    const self = this as { -readonly [K in 'errno' | 'syscall' | 'bytesWritten']?: PathError[K] };
    if (typeof c?.bytesWritten === 'number') self.bytesWritten = c.bytesWritten;
    if (cause instanceof SyscallError) {
      self.errno = cause.errno;
      self.syscall = cause.syscall;
    }
  }
}

/** Wraps cause as a PathError, unless it is one already, a programming error, or the signal's own reason. */
export function pathError(op: string, path: string, cause: unknown, signal?: AbortSignal): unknown {
  if (cause instanceof PathError) return cause;
  if (signal?.aborted && cause === signal.reason) return cause;
  if (!(cause instanceof Error) || cause instanceof TypeError || (cause instanceof RangeError && !('code' in cause))) return cause;
  return new PathError(op, path, syscallErrorOf(cause));
}

/** A Node fs error (code 'EISDIR', errno -21) as the project's SyscallError; anything else unchanged. */
export function syscallErrorOf(e: Error): Error {
  const n = e as { errno?: unknown; syscall?: unknown; code?: unknown };
  if (!(e instanceof SyscallError) && typeof n.errno === 'number' && typeof n.syscall === 'string' && typeof n.code === 'string') {
    return new SyscallError(n.syscall, Math.abs(n.errno));
  }
  return e;
}
