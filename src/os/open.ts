// openFile: Go's os.OpenFile. The open(2) itself runs on Node's thread pool:
// opening a FIFO waits there until the other end is opened too, and a slow
// filesystem never stalls the loop.
import { close as fsClose, open as fsOpen } from 'node:fs';
import { pathError } from './errors.ts';
import { File, type FileOptions } from './file.ts';

/** fs.open's flags: 'r', 'r+', 'w', 'a', … or a number made of fs.constants.O_*. */
export type OpenFlags = string | number;

/**
 * Opens path (Go's os.OpenFile): a FIFO, terminal or device goes on the
 * poller, non-blocking, with deadlines; a regular file or directory reads
 * and writes through Node's thread pool. The descriptor is close-on-exec.
 * Errors are PathErrors (`open /nope: no such file or directory`, code ENOENT).
 *
 * @example
 * const fifo = await openFile('/run/app.fifo', 'r');
 * fifo.setReadDeadline(Date.now() + 5_000);
 * const chunk = await fifo.readChunk();            // null at end of file
 */
export async function openFile(path: string, flags: OpenFlags = 'r', mode = 0o666, opts: Omit<FileOptions, 'name' | 'nonblock'> = {}): Promise<File> {
  if (typeof path !== 'string' || path === '') throw new TypeError('netpoll: openFile needs a path');
  if (typeof flags !== 'string' && !Number.isInteger(flags)) throw new TypeError('netpoll: flags must be a string such as \'r\' or a number of O_* bits');
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`netpoll: mode must be an integer from 0 to 0o7777, got ${String(mode)}`);
  const fd = await new Promise<number>((resolve, reject) => {
    fsOpen(path, flags, mode, (e, fd) => (e ? reject(pathError('open', path, e)) : resolve(fd)));
  });
  try {
    return File.make(fd, 'open', { ...opts, name: path });
  } catch (e) {
    await new Promise<void>((resolve) => { fsClose(fd, () => resolve()); });
    throw e;
  }
}
