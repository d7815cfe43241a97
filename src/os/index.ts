// os: Go's os.File on the poller, Linux's record devices, pseudo-terminals
// and priority events.
export { File, type FileOptions } from './file.ts';
export { openFile, type OpenFlags } from './open.ts';
export { PathError } from './errors.ts';
export { kindOf, pollableKind, type FileKind } from './kind.ts';
export { NoPriorityError } from './priority.ts';
export { openPty, type Pty } from './pty.ts';
export {
  openEventFd, openTimerFd, setTimer, readCounter, addToCounter, openInotify, addWatch, removeWatch,
  parseInotifyEvents, openSignalFd, blockSignals, parseSignalInfo, type InotifyEvent, type SignalInfo,
} from './devices.ts';
export { socket } from './socket.ts';
