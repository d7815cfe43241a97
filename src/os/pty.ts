// Pseudo-terminals: posix_openpt, grantpt, unlockpt and ptsname (no native
// addon). The master goes on the poller; the other end is a plain blocking
// descriptor for a child's stdin, stdout and stderr.
import { closeSync, constants as fsc, openSync } from 'node:fs';
import type { Netpoll } from '../netpoll/netpoll.ts';
import { openPtyMaster } from '../sys/files.ts';
import { close as closeRaw } from '../sys/libc.ts';
import { SyscallError } from '../sys/syscall-error.ts';
import { PathError } from './errors.ts';
import { File } from './file.ts';

export interface Pty {
  /** The master side, on the poller; with eioIsEOF, reading after the other side's last holder closed it gives end of file. */
  master: File;
  /** The terminal side's descriptor (blocking, close-on-exec): give it to a child, then close it here. */
  slave: number;
  /** The terminal's path (/dev/pts/N). */
  path: string;
}

/**
 * Opens a pseudo-terminal pair.
 *
 * @example
 * const { master, slave } = openPty();
 * const sh = spawn('/bin/sh', ['-i'], { stdio: [slave, slave, slave], detached: true });
 * closeSync(slave);                           // the child holds its own copies
 * await master.write(Buffer.from('echo hi\n'));
 * for (let c; (c = await master.readChunk()) !== null;) process.stdout.write(c);
 */
export function openPty(opts: { eioIsEOF?: boolean; netpoll?: Netpoll } = {}): Pty {
  const m = openPtyMaster();
  if (typeof m === 'number') throw new PathError('open', '/dev/ptmx', new SyscallError('posix_openpt', -m));
  let slave: number;
  try {
    slave = openSync(m.path, fsc.O_RDWR | fsc.O_NOCTTY);
  } catch (e) {
    closeRaw(m.master);
    throw e;
  }
  try {
    const master = File.make(m.master, 'open', { name: '/dev/ptmx', eioIsEOF: opts.eioIsEOF ?? true, ...(opts.netpoll ? { netpoll: opts.netpoll } : {}) });
    return { master, slave, path: m.path };
  } catch (e) {
    closeRaw(m.master);
    closeSync(slave);
    throw e;
  }
}
