// The running process itself: libc's symbols (and Node's exported libuv
// ones) are already loaded into it, so no library name per OS is needed.
import koffi from 'koffi';

export const libc: ReturnType<typeof koffi.load> = koffi.load(null as unknown as string);
