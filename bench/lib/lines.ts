// Splits a child's output stream into lines.
import type { Readable } from 'node:stream';

export function onLines(stream: Readable, fn: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      fn(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (pending) fn(pending);
    pending = '';
  });
}

/** Keeps the last `max` characters written to a stream (for error messages). */
export function tail(stream: Readable, max = 4000): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text = (text + chunk).slice(-max);
  });
  return () => text;
}
