// Every call that lets the kernel write into JavaScript memory goes through
// here first: the kernel never sees a range outside the buffer.

export function checkFd(fd: number, what = 'fd'): void {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw new RangeError(`netpoll: ${what} must be a non-negative integer, got ${String(fd)}`);
  }
}

export function checkRange(buf: ArrayBufferView, offset: number, length: number): void {
  if (!ArrayBuffer.isView(buf)) throw new TypeError('netpoll: buffer must be a Uint8Array, Buffer or other ArrayBufferView');
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.byteLength) {
    throw new RangeError(`netpoll: offset ${String(offset)} is outside the buffer (0..${buf.byteLength})`);
  }
  if (!Number.isInteger(length) || length < 0 || length > buf.byteLength - offset) {
    throw new RangeError(`netpoll: length ${String(length)} at offset ${offset} runs past the buffer of ${buf.byteLength} bytes`);
  }
}
