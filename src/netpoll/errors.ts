// The errors a waiter gets, Go's pollNoError/pollErrClosing/
// pollErrTimeout/pollErrNotPollable turned into Node-style classes.

/** Use of a closed descriptor (Go's ErrNetClosing / net.ErrClosed). */
export class NetClosingError extends Error {
  readonly code = 'ERR_NETPOLL_CLOSED';
  readonly timeout = false;
  readonly temporary = false;
  constructor(message = 'use of closed network connection') {
    super(message);
    this.name = 'NetClosingError';
  }
}

/** A deadline passed (Go's os.ErrDeadlineExceeded): "i/o timeout". */
export class DeadlineExceededError extends Error {
  readonly code = 'ETIMEDOUT';
  readonly timeout = true;
  readonly temporary = true;
  constructor() {
    super('i/o timeout');
    this.name = 'DeadlineExceededError';
  }
}

/** The kernel will not poll this descriptor, or reported an error on it (Go's ErrNotPollable). */
export class NotPollableError extends Error {
  readonly code = 'ERR_NETPOLL_NOT_POLLABLE';
  constructor(message = 'not pollable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotPollableError';
  }
}

/** Go panics on a second waiter; here the second waiter gets this error instead. */
export class DoubleWaitError extends Error {
  readonly code = 'ERR_NETPOLL_DOUBLE_WAIT';
  constructor(mode: string) {
    super(`netpoll: a task already waits for '${mode}' on this descriptor`);
    this.name = 'DoubleWaitError';
  }
}
