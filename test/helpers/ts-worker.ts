// The one worker launcher, shared with the benchmarks: a worker thread on a
// .ts file (Node 20 workers do not inherit tsx's loader from --import).
export { tsWorker } from '../../bench/lib/ts-worker.ts';
