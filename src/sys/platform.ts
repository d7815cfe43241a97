// Which kernel interface this process talks to. Node reports DragonFly as
// 'freebsd' in some builds, so os.type() breaks the tie.
import { type as osType } from 'node:os';

export type OS = 'linux' | 'darwin' | 'freebsd' | 'netbsd' | 'openbsd' | 'dragonfly';
export type Arch = 'x64' | 'arm64';

function detectOS(): OS {
  const p = process.platform as string;
  if (p === 'freebsd' && osType() === 'DragonFly') return 'dragonfly';
  switch (p) {
    case 'linux': case 'darwin': case 'freebsd': case 'netbsd': case 'openbsd':
      return p;
    default:
      throw new Error(`netpoll: unsupported platform ${p} (needs Linux, macOS or a BSD)`);
  }
}

function detectArch(): Arch {
  const a = process.arch;
  if (a === 'x64' || a === 'arm64') return a;
  throw new Error(`netpoll: unsupported architecture ${a} (needs x64 or arm64)`);
}

export const OS_NAME: OS = detectOS();
export const ARCH: Arch = detectArch();
export const IS_LINUX = OS_NAME === 'linux';
export const IS_BSD_KQUEUE = !IS_LINUX;
