export { Netpoll, type NetpollOptions } from './netpoll.ts';
export { PollDesc, type Parker } from './poll-desc.ts';
export { DeadlineExceededError, DoubleWaitError, NetClosingError, NotPollableError } from './errors.ts';
export { toMonotonic, type DeadlineInput } from './deadline.ts';
