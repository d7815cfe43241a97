export { FD, MAX_RW, rwChunk, type Accepted, type FDOptions, type ErrorWrapper } from './fd.ts';
export { FdMutex, FdMutexError, MUTEX_MAX } from './fd-mutex.ts';
export { NoDeadlineError, UnexpectedEOFError, type WriteError } from './errors.ts';
export { DEFAULT_BUDGET, DEFAULT_TIME_SLICE_MS, setBudget, setTimeSlice } from '../netpoll/budget.ts';
