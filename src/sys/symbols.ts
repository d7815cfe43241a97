// The libc symbol each C function is bound to, per OS. NetBSD keeps the plain
// names as compatibility shims with the old ABI (kevent's struct timespec of
// NetBSD 4, socket's pre-3.0 semantics); its headers rename the calls to the
// current entry points with __RENAME, so a binding by name must do the same.
import { OS_NAME, type OS } from './platform.ts';

const renamed: Partial<Record<OS, Readonly<Record<string, string>>>> = {
  netbsd: { kevent: '__kevent50', socket: '__socket30' },
};

/**
 * The symbol to bind for the C function `name` on `os`.
 * @example libcSymbolFor('netbsd', 'kevent') // '__kevent50'
 */
export function libcSymbolFor(os: OS, name: string): string {
  return renamed[os]?.[name] ?? name;
}

/** The symbol for `name` on the running OS. */
export function libcSymbol(name: string): string {
  return libcSymbolFor(OS_NAME, name);
}
