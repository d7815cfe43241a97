// One registration of the user-space kqueue, keyed by (ident, filter) as BSD
// keys its knotes. 64-bit fields the caller hands in (ident, data, udata) are
// kept as two u32 halves so they come back byte for byte: a sentinel udata
// with all high bits set does not survive a trip through a JS number.
import { C } from '../constants.ts';

// EVFILT_USER fflags control (FreeBSD <sys/event.h>); constants.ts has only
// NOTE_TRIGGER, which is all the poller needs.
export const NOTE_FFNOP = 0x00000000;
export const NOTE_FFAND = 0x40000000;
export const NOTE_FFOR = 0x80000000;
export const NOTE_FFCOPY = 0xc0000000;
export const NOTE_FFCTRLMASK = 0xc0000000;
export const NOTE_FFLAGSMASK = 0x00ffffff;

/** EV_FLAG1, EV_FLAG2, EV_EOF, EV_ERROR: the kernel's, cleared from every change (FreeBSD EV_SYSFLAGS). */
export const EV_SYSFLAGS = 0xf000;
/** Action bits that are not part of a knote's remembered flags. */
export const EV_ACTIONS = C.EV_ADD | C.EV_DELETE | C.EV_ENABLE | C.EV_DISABLE;

export class Knote {
  /** Registered in its epoll (inner for fds; the outer one, with interest, for user knotes). */
  enabled = true;
  /**
   * fd knotes: the high half of the inner epoll entry's data. An entry whose
   * generation is not its knote's belongs to a file closed since (see changes.ts).
   */
  gen = 0;
  constructor(
    readonly filter: number,
    /** The map key: ident as a number (exact below 2^53). */
    readonly ident: number,
    readonly identLo: number,
    readonly identHi: number,
    /** Flags as registered (EV_CLEAR, EV_ONESHOT, EV_RECEIPT…); fixed at creation, as on BSD. */
    readonly flags: number,
    public udataLo: number,
    public udataHi: number,
    /** Saved fflags (user knotes: the NOTE_FFLAGSMASK bits; returned as fflags). */
    public sfflags: number,
    public sdataLo: number,
    public sdataHi: number,
    /** EVFILT_USER: the eventfd whose counter is the triggered state; -1 otherwise. */
    readonly efd: number,
  ) {}
}
