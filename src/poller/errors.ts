/** A poller used after shutdown(). */
export class PollerShutdownError extends Error {
  readonly code = 'ERR_NETPOLL_SHUTDOWN';
  constructor(what: string) {
    super(`netpoll: ${what} on a poller that was shut down`);
    this.name = 'PollerShutdownError';
  }
}
