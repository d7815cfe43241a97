// Go's runtime/netpoll_kqueue.go (+ _event.go and _pipe.go): one kqueue,
// EVFILT_READ and EVFILT_WRITE with EV_ADD|EV_CLEAR for each fd's whole
// life, and a wake-up by EVFILT_USER where the OS has it, a pipe where not.
// On Linux the same code runs over the user-space kqueue (sys/ukqueue).
import { C } from '../sys/constants.ts';
import { nonblockingPipe, setCloseOnExec } from '../sys/descriptors.ts';
import { KeventBuffer } from '../sys/kevent-layout.ts';
import { close as closeFd, kernelKqueue, read, write, type KqueueCalls } from '../sys/libc.ts';
import { IS_LINUX, OS_NAME } from '../sys/platform.ts';
import { check, SyscallError } from '../sys/syscall-error.ts';
import { ukqueue, ukqueueUserEventFd } from '../sys/ukqueue/index.ts';
import type { Mode, Poller, ReadyCallback, WakerHandle } from './types.ts';
import { checkDelay, checkFd, checkOpen, checkToken } from './validate.ts';
import { WakeSignal } from './wake-signal.ts';

const BATCH = 64;
/** Go's kqIdent for the EVFILT_USER wake-up. */
export const KQ_IDENT = 0xee1eb9f4;
/** Darwin rejects longer sleeps with EINVAL; Go caps tv_sec at 1e6 s. */
const MAX_SLEEP_SEC = 1e6;

/** NetBSD and OpenBSD wake by a self-pipe, as Go does; the others by EVFILT_USER. */
const USE_PIPE = OS_NAME === 'netbsd' || OS_NAME === 'openbsd';

export class KqueuePoller implements Poller {
  readonly backend = 'kqueue' as const;
  readonly fd: number;
  readonly batch = BATCH;
  private readonly sys: KqueueCalls;
  private readonly events = new KeventBuffer(BATCH);
  private readonly changes = new KeventBuffer(2);
  private readonly timespec = new Uint8Array(16);
  private readonly tsView = new DataView(this.timespec.buffer);
  private readonly sig = new WakeSignal();
  private readonly pipeRd: number = -1;
  private readonly pipeWr: number = -1;
  /** The eventfd behind the user-space kqueue's wake knote (Linux only). */
  private readonly userEventFd: number = -1;
  private readonly byte = new Uint8Array(1);
  private readonly drainBuf = new Uint8Array(16);
  private isClosed = false;

  constructor() {
    const sys = IS_LINUX ? ukqueue : kernelKqueue;
    if (!sys) throw new Error('netpoll: no kqueue on this platform');
    this.sys = sys;
    this.fd = check('kqueue', sys.kqueue());
    try {
      if (!IS_LINUX) setCloseOnExec(this.fd); // kqueue(2) takes no flags
      if (USE_PIPE) {
        [this.pipeRd, this.pipeWr] = nonblockingPipe();
        // Level-triggered: a wake left by a non-blocking poll fires again.
        this.change(1, this.pipeRd, C.EVFILT_READ, C.EV_ADD, 0, 0);
      } else {
        this.change(1, KQ_IDENT, C.EVFILT_USER, C.EV_ADD | C.EV_CLEAR, 0, 0);
        if (IS_LINUX) this.userEventFd = ukqueueUserEventFd(this.fd, KQ_IDENT);
      }
    } catch (e) {
      this.shutdown();
      throw e;
    }
  }

  get closed(): boolean { return this.isClosed; }

  private change(n: 1 | 2, ident: number, filter: number, flags: number, fflags: number, udata: number): void {
    this.changes.set(0, ident, filter, flags, fflags, 0, udata);
    if (n === 2) this.changes.set(1, ident, C.EVFILT_WRITE, flags, fflags, 0, udata);
    for (;;) {
      const r = this.sys.kevent(this.fd, this.changes.bytes, n, null, 0, null);
      if (r >= 0) return;
      if (r !== -C.EINTR) throw new SyscallError('kevent', -r);
    }
  }

  isPollDescriptor(fd: number): boolean {
    return fd === this.fd || (fd >= 0 && (fd === this.pipeRd || fd === this.pipeWr || fd === this.userEventFd));
  }

  open(fd: number, token: number): void {
    checkOpen(this.isClosed, 'open');
    checkFd(fd);
    checkToken(token);
    if (this.isPollDescriptor(fd)) throw new RangeError(`netpoll: fd ${fd} is the poller's own descriptor`);
    this.change(2, fd, C.EVFILT_READ, C.EV_ADD | C.EV_CLEAR, 0, token);
  }

  close(fd: number): void {
    checkOpen(this.isClosed, 'close');
    checkFd(fd);
    // Nothing to do: close(2) drops the fd's knotes, and the token's
    // sequence number filters events already harvested.
  }

  arm(_token: number, _mode: Mode): never {
    throw new Error('runtime: unused (netpollarm: kqueue is edge-triggered and never re-armed)');
  }

  wake(): void {
    checkOpen(this.isClosed, 'wake');
    if (!this.sig.claim()) return;
    this.trigger();
  }

  private trigger(): void {
    if (USE_PIPE) {
      for (;;) {
        const n = write(this.pipeWr, this.byte, 1);
        if (n >= 0 || n === -C.EAGAIN) return; // a full pipe already wakes
        if (n !== -C.EINTR) throw new SyscallError('write', -n);
      }
    }
    this.change(1, KQ_IDENT, C.EVFILT_USER, 0, C.NOTE_TRIGGER, 0);
  }

  waker(): WakerHandle {
    checkOpen(this.isClosed, 'waker');
    if (USE_PIPE) return { kind: 'pipe', fd: this.pipeWr, sig: this.sig.sab };
    if (IS_LINUX) return { kind: 'eventfd', fd: this.userEventFd, sig: this.sig.sab };
    return { kind: 'kevent-user', kq: this.fd, ident: KQ_IDENT, sig: this.sig.sab };
  }

  private timeout(delayNs: number): Uint8Array | null {
    if (delayNs < 0) return null;
    let sec = Math.floor(delayNs / 1e9);
    let nsec = delayNs - sec * 1e9;
    if (sec > MAX_SLEEP_SEC) { sec = MAX_SLEEP_SEC; nsec = 0; }
    this.tsView.setUint32(0, sec, true); this.tsView.setUint32(4, 0, true);
    this.tsView.setUint32(8, Math.floor(nsec), true); this.tsView.setUint32(12, 0, true);
    return this.timespec;
  }

  poll(delayNs: number, onReady: ReadyCallback, asBlocking = delayNs !== 0): number {
    checkOpen(this.isClosed, 'poll');
    checkDelay(delayNs);
    const ts = this.timeout(delayNs);
    const ev = this.events;
    let n: number;
    for (;;) {
      n = this.sys.kevent(this.fd, null, 0, ev.bytes, BATCH, ts);
      if (n >= 0) break;
      // ETIMEDOUT is tolerated as in Go (go.dev/issue/59679).
      if (n !== -C.EINTR && n !== -C.ETIMEDOUT) throw new SyscallError('kevent', -n);
      if (delayNs > 0) return 0;
    }
    let delivered = 0;
    for (let i = 0; i < n; i++) {
      const filter = ev.filter(i);
      if (this.isWakeEvent(i, filter)) {
        if (asBlocking) {
          if (USE_PIPE) read(this.pipeRd, this.drainBuf, 16);
          this.sig.clear();
        } else if (!USE_PIPE) {
          this.trigger(); // EV_CLEAR reset it: relay so the blocking poller still wakes
        }
        continue;
      }
      const flags = ev.flags(i);
      let mode: Mode;
      if (filter === C.EVFILT_READ) {
        // Some systems report a closed reader to the writer only as EV_EOF here.
        mode = (flags & C.EV_EOF) !== 0 ? 'rw' : 'r';
      } else if (filter === C.EVFILT_WRITE) {
        mode = 'w';
      } else {
        continue;
      }
      onReady(ev.udata(i), mode, flags === C.EV_ERROR);
      delivered++;
    }
    return delivered;
  }

  private isWakeEvent(i: number, filter: number): boolean {
    if (USE_PIPE) return filter === C.EVFILT_READ && this.events.ident(i) === this.pipeRd;
    if (filter !== C.EVFILT_USER) return false;
    if (this.events.ident(i) !== KQ_IDENT) throw new Error('netpoll: EVFILT_USER event with an unexpected ident');
    return true;
  }

  shutdown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.sig.kill();
    if (this.pipeRd >= 0) { closeFd(this.pipeRd); closeFd(this.pipeWr); }
    if (this.fd >= 0) this.sys.closeKqueue(this.fd);
  }
}
