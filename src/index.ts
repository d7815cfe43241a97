// netpoll: the public face.
export { Netpoll, PollDesc, NetClosingError, DeadlineExceededError, NotPollableError, DoubleWaitError,
  type NetpollOptions, type DeadlineInput } from './netpoll/index.ts';
export { createPoller, wakerFrom, PollerShutdownError, type Poller, type Mode, type Backend,
  type WakerHandle, type Waker } from './poller/index.ts';
export { SyscallError } from './sys/syscall-error.ts';
