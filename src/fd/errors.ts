// Errors of the FD layer beyond the netpoll ones (NetClosingError,
// DeadlineExceededError, NotPollableError) and SyscallError.

/** A deadline on a descriptor that is not in the poller (Go's ErrNoDeadline). */
export class NoDeadlineError extends Error {
  readonly code = 'ERR_NETPOLL_NO_DEADLINE';
  constructor() {
    super('file type does not support deadline');
    this.name = 'NoDeadlineError';
  }
}

/** write(2) wrote nothing and reported no error (Go's io.ErrUnexpectedEOF). */
export class UnexpectedEOFError extends Error {
  readonly code = 'ERR_NETPOLL_UNEXPECTED_EOF';
  constructor() {
    super('unexpected EOF');
    this.name = 'UnexpectedEOFError';
  }
}

/** An error from write or writev, with the bytes that went out before it. */
export type WriteError = Error & { bytesWritten: number };

/** Tags e with the bytes written; a frozen or sealed value (an abort reason, say) is left as it is. */
export function withBytesWritten(e: unknown, n: number): unknown {
  if (e !== null && typeof e === 'object' && Object.isExtensible(e)) (e as { bytesWritten?: number }).bytesWritten = n;
  return e;
}
