// errno numbers to their names, for the OS this process runs on. koffi ships
// the running OS's table; it is inverted once.
import koffi from 'koffi';

const names = new Map<number, string>();
for (const [name, value] of Object.entries(koffi.os.errno)) {
  // EAGAIN and EWOULDBLOCK share a number; keep the first, canonical one.
  if (!names.has(value) || name === 'EAGAIN') names.set(value, name);
}

export function errnoName(errno: number): string {
  return names.get(errno) ?? `E${errno}`;
}

/** The errno that the last koffi call left behind. Read it right after the call. */
export function lastErrno(): number {
  return koffi.errno();
}
