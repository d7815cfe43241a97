// netpoll/runtime: the machinery under the net layer, for building other
// descriptor kinds on the poller. Go's runtime/netpoll.go (Netpoll,
// PollDesc, a parked task as a Parker) and internal/poll (FD, fdMutex), and
// the knobs of the fairness slice that stands in for Go's preemption.
export { Netpoll, PollDesc, NetClosingError, DeadlineExceededError, NotPollableError, DoubleWaitError, toMonotonic,
  type NetpollOptions, type DeadlineInput, type Parker } from './netpoll/index.ts';
export { FD, FdMutex, FdMutexError, MAX_RW, MUTEX_MAX, NoDeadlineError, UnexpectedEOFError,
  type Accepted, type FDOptions, type ErrorWrapper, type WriteError } from './fd/index.ts';
export { DEFAULT_BUDGET, DEFAULT_TIME_SLICE_MS, setBudget, setTimeSlice } from './netpoll/budget.ts';
export { SyscallError } from './sys/syscall-error.ts';
