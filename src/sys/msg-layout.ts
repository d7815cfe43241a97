// struct msghdr, struct iovec and (Linux) struct mmsghdr as byte offsets,
// per OS, for 64-bit targets. Linux makes msg_iovlen and msg_controllen
// size_t; the BSDs and macOS make them int and socklen_t, which packs
// msg_flags right after msg_controllen.
import type { OS } from './platform.ts';

export interface MsgLayout {
  readonly size: number;
  readonly name: number;
  readonly namelen: number;
  readonly iov: number;
  readonly iovlen: number;
  /** 8 (size_t) or 4 (int). */
  readonly iovlenBytes: 4 | 8;
  readonly control: number;
  readonly controllen: number;
  /** 8 (size_t) or 4 (socklen_t). */
  readonly controllenBytes: 4 | 8;
  readonly flags: number;
  /** struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }: its size and msg_len's offset (Linux). */
  readonly mmsgSize: number;
  readonly mmsgLen: number;
}

/** struct iovec { void *iov_base; size_t iov_len; } on every 64-bit target. */
export const IOVEC_SIZE = 16;
export const IOVEC_LEN = 8;

export function msgLayoutFor(os: OS): MsgLayout {
  if (os === 'linux') {
    return { size: 56, name: 0, namelen: 8, iov: 16, iovlen: 24, iovlenBytes: 8, control: 32, controllen: 40,
      controllenBytes: 8, flags: 48, mmsgSize: 64, mmsgLen: 56 };
  }
  // mmsghdr on FreeBSD/NetBSD/OpenBSD has the same shape; only Linux uses it here.
  return { size: 48, name: 0, namelen: 8, iov: 16, iovlen: 24, iovlenBytes: 4, control: 32, controllen: 40,
    controllenBytes: 4, flags: 44, mmsgSize: 56, mmsgLen: 48 };
}
