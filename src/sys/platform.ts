// Which kernel interface this process talks to. process.platform is fixed
// when Node is built, from gyp's name for the OS: DragonFly comes out as
// 'dragonflybsd' (the name libuv's own build files test for), or as 'freebsd'
// where gyp folds the two together; then os.type() ('DragonFly') tells.
import { type as osType } from 'node:os';

export type OS = 'linux' | 'darwin' | 'freebsd' | 'netbsd' | 'openbsd' | 'dragonfly';
export type Arch = 'x64' | 'arm64';

/**
 * The kernel interface for a Node platform name and os.type(); null for an
 * OS this library does not support. Pure, so each OS's answer is testable
 * anywhere.
 * @example osFromNode('freebsd', 'DragonFly') // 'dragonfly'
 */
export function osFromNode(platform: string, type: string): OS | null {
  switch (platform) {
    case 'linux': case 'darwin': case 'netbsd': case 'openbsd':
      return platform;
    case 'dragonfly': case 'dragonflybsd':
      return 'dragonfly';
    case 'freebsd':
      return type === 'DragonFly' ? 'dragonfly' : 'freebsd';
    default:
      return null;
  }
}

function detectOS(): OS {
  const p = process.platform as string;
  const os = osFromNode(p, osType());
  if (os === null) throw new Error(`netpoll: unsupported platform ${p} (needs Linux, macOS or a BSD)`);
  return os;
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
