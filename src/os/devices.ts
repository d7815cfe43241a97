// Linux's record devices as Files (stream: false: one batch of whole records
// per read, never end of file): eventfd counters, timerfd timers, inotify
// watches and signalfd signals. Each descriptor is made non-blocking and
// close-on-exec, and goes on the poller like a pipe.
import { EFD_SEMAPHORE } from '../sys/constants.ts';
import * as lfd from '../sys/linux-fds.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { close as closeRaw } from '../sys/libc.ts';
import type { Netpoll } from '../netpoll/netpoll.ts';
import { PathError } from './errors.ts';
import { File } from './file.ts';

interface DeviceOptions { netpoll?: Netpoll }

function adopt(fd: number, syscall: string, name: string, opts: DeviceOptions): File {
  if (fd < 0) throw new PathError('open', name, new SyscallError(syscall, -fd));
  try {
    return File.make(fd, 'open', { name, stream: false, ...(opts.netpoll ? { netpoll: opts.netpoll } : {}) });
  } catch (e) {
    closeRaw(fd);
    throw e;
  }
}

/**
 * An eventfd counter. Each read gives the counter (an 8-byte record) and
 * resets it (or takes 1 with `semaphore: true`); readCounter() decodes it.
 *
 * @example
 * const ev = openEventFd();
 * await addToCounter(ev, 3n);
 * await readCounter(ev); // 3n
 */
export function openEventFd(initval = 0, opts: DeviceOptions & { semaphore?: boolean } = {}): File {
  return adopt(lfd.eventfd(initval, opts.semaphore ? EFD_SEMAPHORE : 0), 'eventfd', 'eventfd', opts);
}

/**
 * A timerfd on the monotonic clock (or 'realtime'); arm it with setTimer().
 * Each read gives the number of expirations since the last one.
 *
 * @example
 * const t = openTimerFd();
 * setTimer(t, 50, 50);                 // first after 50 ms, then every 50 ms
 * const ticks = await readCounter(t);  // >= 1n
 */
export function openTimerFd(opts: DeviceOptions & { clock?: 'monotonic' | 'realtime' } = {}): File {
  return adopt(lfd.timerfdCreate(opts.clock === 'realtime' ? 0 : 1), 'timerfd_create', 'timerfd', opts);
}

/** Arms a timerfd: first expiry after valueMs, then every intervalMs (0: once); valueMs 0 disarms. */
export function setTimer(timer: File, valueMs: number, intervalMs = 0): void {
  const r = timer.syscallConn().control((fd) => lfd.timerfdSettime(fd, valueMs, intervalMs));
  if (r < 0) throw new PathError('timerfd_settime', timer.name, new SyscallError('timerfd_settime', -r));
}

/** Reads one 8-byte counter record (eventfd, timerfd) as a bigint. */
export async function readCounter(file: File, signal?: AbortSignal): Promise<bigint> {
  const buf = new Uint8Array(8);
  const n = await file.read(buf, 0, 8, signal);
  if (n !== 8) throw new PathError('read', file.name, new RangeError(`a counter record is 8 bytes, got ${String(n)}`));
  return lfd.u64At(buf);
}

/** Adds n to an eventfd counter (an 8-byte write); waits while the counter is full. */
export async function addToCounter(file: File, n: bigint | number, signal?: AbortSignal): Promise<void> {
  const v = BigInt(n);
  if (v < 1n || v > 0xfffffffffffffffen) throw new RangeError(`netpoll: an eventfd takes 1 .. 2^64-2, got ${String(n)}`);
  const buf = new Uint8Array(8);
  new DataView(buf.buffer).setBigUint64(0, v, true);
  await file.write(buf, 0, 8, signal);
}

/** An inotify instance; add watches with addWatch(), decode reads with parseInotifyEvents(). */
export function openInotify(opts: DeviceOptions = {}): File {
  return adopt(lfd.inotifyInit(), 'inotify_init1', 'inotify', opts);
}

/** Watches path for the IN_* events in mask; returns the watch descriptor. */
export function addWatch(inotify: File, path: string, mask: number): number {
  const wd = inotify.syscallConn().control((fd) => lfd.inotifyAddWatch(fd, path, mask));
  if (wd < 0) throw new PathError('inotify_add_watch', path, new SyscallError('inotify_add_watch', -wd));
  return wd;
}

export function removeWatch(inotify: File, wd: number): void {
  const r = inotify.syscallConn().control((fd) => lfd.inotifyRmWatch(fd, wd));
  if (r < 0) throw new PathError('inotify_rm_watch', inotify.name, new SyscallError('inotify_rm_watch', -r));
}

export interface InotifyEvent {
  wd: number;
  /** IN_* bits. */
  mask: number;
  cookie: number;
  /** The entry's name inside a watched directory, '' for the watched path itself. */
  name: string;
}

/** Decodes what one inotify read returned (struct inotify_event records, each 16 bytes plus its padded name). */
export function parseInotifyEvents(chunk: Uint8Array): InotifyEvent[] {
  const v = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const out: InotifyEvent[] = [];
  for (let o = 0; o + 16 <= chunk.byteLength;) {
    const len = v.getUint32(o + 12, true);
    if (o + 16 + len > chunk.byteLength) throw new RangeError('netpoll: a truncated inotify record');
    const raw = chunk.subarray(o + 16, o + 16 + len);
    const end = raw.indexOf(0);
    out.push({
      wd: v.getInt32(o, true), mask: v.getUint32(o + 4, true), cookie: v.getUint32(o + 8, true),
      name: Buffer.from(raw.buffer, raw.byteOffset, end < 0 ? len : end).toString('utf8'),
    });
    o += 16 + len;
  }
  return out;
}

/**
 * A signalfd for these signal numbers. The signals must be blocked in the
 * thread that should receive them (blockSignals), or a handler or the
 * default action takes them first.
 */
export function openSignalFd(signals: readonly number[], opts: DeviceOptions = {}): File {
  return adopt(lfd.signalfd(signals), 'signalfd', 'signalfd', opts);
}

/** Blocks (true) or unblocks signals for the calling thread only. */
export function blockSignals(signals: readonly number[], block = true): void {
  const r = lfd.threadSigmask(block, signals);
  if (r < 0) throw new SyscallError('pthread_sigmask', -r);
}

export interface SignalInfo { signo: number; code: number; pid: number; uid: number }

/** Decodes what one signalfd read returned (struct signalfd_siginfo records of 128 bytes). */
export function parseSignalInfo(chunk: Uint8Array): SignalInfo[] {
  const v = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const out: SignalInfo[] = [];
  for (let o = 0; o + 128 <= chunk.byteLength; o += 128) {
    out.push({ signo: v.getUint32(o, true), code: v.getInt32(o + 8, true), pid: v.getUint32(o + 12, true), uid: v.getUint32(o + 16, true) });
  }
  return out;
}
