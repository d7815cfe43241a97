// Go's os.File on this project's poller. A descriptor of a kind the poller
// takes (pipe, FIFO, socket, terminal, character device, Linux's event
// descriptors) is made non-blocking and read and written through the FD
// (the same loops as every Conn), with deadlines and abort signals; any
// other (a regular file, a directory, a device the kernel will not poll, an
// inherited blocking descriptor the caller did not let us change) goes
// through Node's thread pool, so no call ever blocks Node's loop.
import type { Duplex } from 'node:stream';
import { NoDeadlineError } from '../fd/errors.ts';
import { FD, type ErrorWrapper } from '../fd/fd.ts';
import { rawConnOf, type RawConn } from '../fd/raw-conn.ts';
import { SCRATCH_SIZE } from '../fd/scratch.ts';
import { type DeadlineInput } from '../netpoll/deadline.ts';
import { NetClosingError, NotPollableError } from '../netpoll/errors.ts';
import { Netpoll } from '../netpoll/netpoll.ts';
import { checkFd, checkRange } from '../sys/bounds.ts';
import { C } from '../sys/constants.ts';
import { checkPosition, getfl, pread as sysPread, pwrite as sysPwrite } from '../sys/files.ts';
import { fcntl } from '../sys/libc.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { toNodeStream, webStreams, type DuplexIO, type StreamOptions, type WebStreams } from '../net/streams.ts';
import { pathError, PathError } from './errors.ts';
import { kindOf, pollableKind, type FileKind } from './kind.ts';
import { PooledIO } from './pooled.ts';
import { NoPriorityError, PriorityEntry } from './priority.ts';
import { restOf } from '../sys/args.ts';

const EAGAIN = -C.EAGAIN;

export interface FileOptions {
  /** The name errors carry (Go's os.NewFile name); default `fd N`. */
  name?: string;
  /**
   * File.fromFd only: a descriptor in blocking mode may be switched to
   * non-blocking and put on the poller (and is switched back on close).
   * Off by default, as Go's os.NewFile: the mode belongs to every process
   * sharing the open file (a terminal shared with the shell), so without
   * this leave its reads and writes go through the thread pool.
   */
  nonblock?: boolean;
  /**
   * false: a message device (eventfd, timerfd, signalfd, inotify, evdev):
   * each read returns whole records, and a 0-byte read is not end of file.
   * Default true.
   */
  stream?: boolean;
  /** A read failing with EIO is end of file: a pty master once the other side's last holder closed it. */
  eioIsEOF?: boolean;
  /** Registers for priority events, so waitPriority() works (TCP urgent data, sysfs GPIO, /proc/self/mounts). */
  priority?: boolean;
  /** The Netpoll to register with; Netpoll.current() by default. */
  netpoll?: Netpoll;
}

/** How the descriptor came: opened here (ours to set up) or adopted from the caller. */
export type Origin = 'open' | 'adopt';

export class File implements DuplexIO, AsyncDisposable, ErrorWrapper {
  /** The path it was opened with, or the name it was adopted under (Go's Name()). */
  readonly name: string;
  /** What the descriptor is. */
  readonly kind: FileKind;
  /** On the poller; false: its I/O runs on Node's thread pool and deadlines are refused. */
  readonly pollable: boolean;
  private readonly pfd: FD | null;
  private readonly pool: PooledIO | null;
  private readonly eioIsEOF: boolean;
  private readonly restoreBlocking: boolean;
  private prio: PriorityEntry | null;
  private isClosed = false;
  private streams: WebStreams | null = null;

  private constructor(name: string, kind: FileKind, pfd: FD | null, pool: PooledIO | null,
                      eioIsEOF: boolean, restoreBlocking: boolean, prio: PriorityEntry | null) {
    this.name = name;
    this.kind = kind;
    this.pfd = pfd;
    this.pool = pool;
    this.pollable = pfd !== null;
    this.eioIsEOF = eioIsEOF;
    this.restoreBlocking = restoreBlocking;
    this.prio = prio;
    if (pfd !== null) pfd.errorWrapper = this;
  }

  /**
   * Adopts a descriptor (Go's os.NewFile): the File owns it from now on and
   * closes it on close(). Already non-blocking, or with `nonblock: true`,
   * a pollable kind goes on the poller; otherwise its I/O runs on the pool.
   *
   * @example
   * const tty = File.fromFd(0, { name: '/dev/stdin', nonblock: true }); // a terminal shared with the shell
   */
  static fromFd(fd: number, opts: FileOptions = {}): File {
    return File.make(fd, 'adopt', opts);
  }

  /** @internal Go's newFile: the kind, the poller rule, non-blocking mode, priority registration. */
  static make(sysfd: number, origin: Origin, opts: FileOptions): File {
    checkFd(sysfd, 'fd');
    const name = opts.name ?? `fd ${sysfd}`;
    if (typeof name !== 'string') throw new TypeError('netpoll: a file name must be a string');
    const stream = opts.stream ?? true;
    const np = Netpoll.of(opts.netpoll);
    let kind: FileKind;
    try {
      kind = kindOf(sysfd);
    } catch (e) {
      throw pathError('stat', name, e);
    }
    // The caller keeps the descriptor if anything below fails: nothing closes it.
    let poll = false;
    let restore = false;
    if (pollableKind(kind)) {
      const fl = getfl(sysfd);
      if (fl < 0) throw new PathError('fcntl', name, new SyscallError('fcntl', -fl));
      const nonblocking = (fl & C.O_NONBLOCK) !== 0;
      poll = (nonblocking || origin === 'open' || opts.nonblock === true) && kernelPolls(np, sysfd);
      if (poll && !nonblocking) {
        const e = fcntl(sysfd, C.F_SETFL, fl | C.O_NONBLOCK);
        if (e < 0) throw new PathError('fcntl', name, new SyscallError('fcntl', -e));
        restore = origin === 'adopt';
      }
    }
    let prio: PriorityEntry | null = null;
    let pfd: FD | null = null;
    try {
      if (opts.priority === true) {
        try {
          prio = PriorityEntry.add(sysfd);
        } catch (e) {
          throw pathError('waitPriority', name, e);
        }
      }
      if (poll) pfd = new FD(sysfd, { netpoll: np, isStream: stream, zeroReadIsEOF: stream });
    } catch (e) {
      prio?.remove();
      if (restore) setBlocking(sysfd);
      throw e;
    }
    return new File(name, kind, pfd, pfd === null ? new PooledIO(sysfd) : null, opts.eioIsEOF === true, restore, prio);
  }

  /** The descriptor (Go's Fd()); -1 once closed. Valid only while the File is open. */
  get fd(): number { return this.pfd !== null ? this.pfd.sysfd : this.pool!.sysfd; }
  get closed(): boolean { return this.isClosed; }

  /** @internal The FD's error hook: its errors become PathErrors with no promise in between. */
  wrapError(op: string, e: unknown, signal?: AbortSignal): unknown {
    return pathError(op, this.name, e, signal);
  }

  /** Reads what is there (at most length bytes into buf at offset): the count, or null at end of file. */
  read(buf: Uint8Array, offset = 0, length?: number, signal?: AbortSignal): Promise<number | null> {
    if (this.pfd !== null) {
      const p = this.pfd.read(buf, offset, length, signal);
      return this.eioIsEOF ? p.catch(eioToEOF) : p;
    }
    return this.poolRead(buf, offset, length, null, signal);
  }

  /**
   * Waits for data, then reads at most maxBytes into a buffer made for this
   * call (yours to keep), or null at end of file. A message device gives one
   * record batch per call.
   */
  readChunk(maxBytes = SCRATCH_SIZE, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (this.pfd !== null) {
      const p = this.pfd.readChunk(maxBytes, signal);
      return this.eioIsEOF ? p.catch(eioToEOF) : p;
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > 1 << 30) {
      return Promise.reject(new RangeError(`netpoll: maxBytes must be an integer from 1 to ${1 << 30}, got ${String(maxBytes)}`));
    }
    const buf = Buffer.allocUnsafe(maxBytes);
    return this.poolRead(buf, 0, maxBytes, null, signal).then((n) => (n === null ? null : buf.subarray(0, n)));
  }

  private async poolRead(buf: Uint8Array, offset: number, length: number | undefined, position: number | null,
                         signal: AbortSignal | undefined): Promise<number | null> {
    length ??= restOf(buf, offset);
    checkRange(buf, offset, length);
    if (length === 0) return 0;
    try {
      const n = await this.pool!.read(buf, offset, length, position, signal);
      return n === 0 && position === null ? null : n;
    } catch (e) {
      throw pathError('read', this.name, e, signal);
    }
  }

  /** Writes all of it; on failure the PathError's bytesWritten says how much went. */
  write(buf: Uint8Array, offset = 0, length?: number, signal?: AbortSignal): Promise<number> {
    if (this.pfd !== null) return this.pfd.write(buf, offset, length, signal);
    return this.poolWrite(buf, offset, length, null, signal, 'write');
  }

  private async poolWrite(buf: Uint8Array, offset: number, length: number | undefined, position: number | null,
                          signal: AbortSignal | undefined, op: string): Promise<number> {
    length ??= restOf(buf, offset);
    checkRange(buf, offset, length);
    try {
      return await this.pool!.write(buf, offset, length, position, signal);
    } catch (e) {
      throw pathError(op, this.name, e, signal);
    }
  }

  /**
   * One pread(2): at most length bytes from file offset `position`, without
   * moving the file's offset; 0 at end of file. `pread(buf, 0)` re-reads a
   * sysfs or kernfs file from the start after a priority event. A pipe,
   * FIFO, socket or terminal has no offset: ESPIPE ("illegal seek").
   */
  async pread(buf: Uint8Array, position: number, offset = 0, length?: number, signal?: AbortSignal): Promise<number> {
    length ??= restOf(buf, offset);
    checkRange(buf, offset, length);
    checkPosition(position);
    if (this.pfd === null) return (await this.poolRead(buf, offset, length, position, signal))!;
    let n = 0;
    try {
      await this.pfd.rawRead((fd) => (n = sysPread(fd, buf, offset, length, position)) !== EAGAIN, signal);
    } catch (e) {
      throw pathError('pread', this.name, e, signal);
    }
    if (n < 0) throw new PathError('pread', this.name, new SyscallError('pread', -n));
    return n;
  }

  /** pwrite(2) until all length bytes are at file offset `position` on; ESPIPE where there is no offset. */
  async pwrite(buf: Uint8Array, position: number, offset = 0, length?: number, signal?: AbortSignal): Promise<number> {
    length ??= restOf(buf, offset);
    checkRange(buf, offset, length);
    checkPosition(position);
    if (this.pfd === null) return this.poolWrite(buf, offset, length, position, signal, 'pwrite');
    let nn = 0, err = 0;
    try {
      await this.pfd.rawWrite((fd) => {
        while (nn < length!) {
          const n = sysPwrite(fd, buf, offset + nn, length! - nn, position + nn);
          if (n === EAGAIN) return false;
          if (n <= 0) { err = n === 0 ? -C.EIO : n; return true; }
          nn += n;
        }
        return true;
      }, signal);
    } catch (e) {
      throw pathError('pwrite', this.name, e, signal);
    }
    if (err < 0) throw new PathError('pwrite', this.name, Object.assign(new SyscallError('pwrite', -err), { bytesWritten: nn }));
    return nn;
  }

  /**
   * Resolves at the next priority event (TCP urgent data, a GPIO edge, a
   * kernfs file that changed) or one that came since the last wait. Needs
   * `priority: true` at open; rejects with the closed error on close().
   */
  waitPriority(signal?: AbortSignal): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError('waitPriority'));
    if (this.prio === null) return Promise.reject(new PathError('waitPriority', this.name, new NoPriorityError()));
    return this.prio.wait(signal).catch((e: unknown) => { throw pathError('waitPriority', this.name, e, signal); });
  }

  /** Both deadlines: a Date or epoch ms; null or 0 clears. A file off the poller refuses (Go's ErrNoDeadline). */
  setDeadline(d: DeadlineInput): void { this.deadline(d, 'rw'); }
  setReadDeadline(d: DeadlineInput): void { this.deadline(d, 'r'); }
  setWriteDeadline(d: DeadlineInput): void { this.deadline(d, 'w'); }

  private deadline(d: DeadlineInput, mode: 'r' | 'w' | 'rw'): void {
    if (this.isClosed) throw this.closedError('set');
    const pfd = this.pfd;
    if (pfd === null) throw new PathError('set', this.name, new NoDeadlineError());
    try {
      if (mode === 'r') pfd.setReadDeadline(d ?? null);
      else if (mode === 'w') pfd.setWriteDeadline(d ?? null);
      else pfd.setDeadline(d ?? null);
    } catch (e) {
      throw pathError('set', this.name, e);
    }
  }

  /**
   * Go's File.SyscallConn: your own system calls on the descriptor. On a
   * file off the poller, read and write call fn once and fail with
   * NotPollableError if it asks to wait.
   */
  syscallConn(): RawConn {
    if (this.pfd !== null) return rawConnOf(this.pfd, (op, e, signal) => pathError(op, this.name, e, signal));
    const pool = this.pool!;
    const once = async (op: string, fn: (fd: number) => boolean): Promise<void> => {
      let done: boolean;
      try {
        done = pool.control(fn);
      } catch (e) {
        throw pathError(op, this.name, e);
      }
      if (!done) throw new PathError(op, this.name, new NotPollableError('waiting for unsupported file type'));
    };
    return {
      control: <T>(fn: (fd: number) => T): T => {
        try {
          return pool.control(fn);
        } catch (e) {
          throw pathError('raw-control', this.name, e);
        }
      },
      read: (fn) => once('raw-read', fn),
      write: (fn) => once('raw-write', fn),
    };
  }

  /**
   * Closes the file: parked reads and writes fail with the closed error at
   * once; resolves once the descriptor is released. A descriptor this File
   * made non-blocking is switched back first. A second close rejects.
   */
  close(): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError('close'));
    this.isClosed = true;
    this.prio?.remove();
    this.prio = null;
    const pfd = this.pfd;
    if (pfd === null) return this.pool!.close().catch((e: unknown) => { throw pathError('close', this.name, e); });
    if (this.restoreBlocking) {
      try {
        pfd.rawControl(setBlocking);
      } catch { /* closed under us by the streams */ }
    }
    return pfd.close().catch((e: unknown) => { if (!(e instanceof NetClosingError)) throw pathError('close', this.name, e); });
  }

  /** Go's File has no half-close: the writable's close() leaves the file open (close() does it). */
  closeWrite(): void {
    if (this.isClosed) throw this.closedError('close');
  }

  private closedError(op: string): PathError {
    return new PathError(op, this.name, new NetClosingError('file already closed'));
  }

  /** A web ReadableStream of what arrives; it ends at end of file, and cancelling it closes the file. */
  get readable(): ReadableStream<Uint8Array> { return (this.streams ??= webStreams(this.streamIO())).readable; }
  /** A web WritableStream; abort() closes the file. */
  get writable(): WritableStream<Uint8Array> { return (this.streams ??= webStreams(this.streamIO())).writable; }
  /** A Node Duplex for pipeline(); destroy() closes the file. */
  toNodeStream(opts?: StreamOptions): Duplex { return toNodeStream(this.streamIO(), opts); }

  private streamIO(): DuplexIO {
    return {
      read: (b, o, l, sig) => this.read(b, o, l, sig),
      readChunk: (max, sig) => this.readChunk(max, sig),
      write: (b, o, l, sig) => this.write(b, o, l, sig),
      closeWrite: () => this.closeWrite(),
      close: () => { if (!this.isClosed) void this.close().catch(() => {}); },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.isClosed) await this.close();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `File<${this.name} ${this.kind}${this.pollable ? ' polled' : ' pooled'}${this.isClosed ? ' closed' : ''}>`;
  }
}

/** Would the kernel poll this descriptor (epoll refuses /dev/null, say)? Asked by registering and forgetting it. */
function kernelPolls(np: Netpoll, sysfd: number): boolean {
  try {
    np.close(np.open(sysfd));
    return true;
  } catch (e) {
    if (e instanceof NotPollableError) return false;
    throw e;
  }
}

function eioToEOF(e: unknown): null {
  if ((e as { code?: unknown } | null)?.code === 'EIO') return null;
  throw e;
}

/** Clears O_NONBLOCK (best effort: the descriptor is being let go). */
function setBlocking(fd: number): void {
  const fl = getfl(fd);
  if (fl >= 0 && (fl & C.O_NONBLOCK) !== 0) fcntl(fd, C.F_SETFL, fl & ~C.O_NONBLOCK);
}
