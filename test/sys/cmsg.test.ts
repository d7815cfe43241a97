// Control messages and the msghdr family's layouts: the bytes match what
// the C compiler's rules give (koffi lays out the same structs), and
// descriptors really cross a socket.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import koffi from 'koffi';
import { CmsgError, cmsgAlign, cmsgLayoutFor, cmsgLen, cmsgSpace, parseSocketControlMessages, parseUnixRights, unixRights } from '../../src/sys/cmsg.ts';
import { C } from '../../src/sys/constants.ts';
import { close, fcntl } from '../../src/sys/libc.ts';
import { msgLayoutFor } from '../../src/sys/msg-layout.ts';
import { M } from '../../src/sys/msg-constants.ts';
import * as msg from '../../src/sys/msg.ts';
import { OS_NAME } from '../../src/sys/platform.ts';
import { socketpair } from '../../src/sys/socket.ts';
import { check } from '../../src/sys/syscall-error.ts';
import { openFds } from '../helpers/fds.ts';

function dgramPair(type = C.SOCK_DGRAM): [number, number] {
  const sv = new Int32Array(2);
  check('socketpair', socketpair(C.AF_UNIX, type, 0, sv));
  return [sv[0]!, sv[1]!];
}

describe('cmsg coding', () => {
  test('CMSG_ALIGN, CMSG_LEN and CMSG_SPACE per OS: Linux 8-byte size_t header, macOS 4-byte alignment, the BSDs 8', () => {
    assert.deepEqual(cmsgLayoutFor('linux', 'x64'), { lenBytes: 8, hdrLen: 16, align: 8 });
    assert.deepEqual(cmsgLayoutFor('darwin', 'arm64'), { lenBytes: 4, hdrLen: 12, align: 4 });
    assert.deepEqual(cmsgLayoutFor('freebsd', 'x64'), { lenBytes: 4, hdrLen: 12, align: 8 });
    assert.equal(cmsgLayoutFor('netbsd', 'arm64').align, 16);
    if (OS_NAME === 'linux') {
      assert.equal(cmsgAlign(13), 16);
      assert.equal(cmsgLen(4), 20);
      assert.equal(cmsgSpace(4), 24);
      assert.equal(cmsgSpace(8), 24);
      assert.equal(cmsgSpace(12), 32);
    }
  });

  test('unixRights writes one SCM_RIGHTS message that parseUnixRights reads back', () => {
    const oob = unixRights(3, 4, 5);
    assert.equal(oob.byteLength, cmsgSpace(12));
    const [m, ...rest] = parseSocketControlMessages(oob);
    assert.equal(rest.length, 0);
    assert.equal(m!.level, C.SOL_SOCKET);
    assert.equal(m!.type, M.SCM_RIGHTS);
    assert.equal(m!.data.byteLength, 12);
    assert.deepEqual(parseUnixRights(oob), [3, 4, 5]);
    assert.deepEqual(parseUnixRights(m!), [3, 4, 5]);
    // Two messages back to back parse as both.
    const two = new Uint8Array(oob.byteLength + cmsgSpace(4));
    two.set(oob);
    two.set(unixRights(9), oob.byteLength);
    assert.deepEqual(parseUnixRights(two), [3, 4, 5, 9]);
  });

  test('bad input: no descriptors, negative or fractional ones, a cmsg_len past the buffer, a range past oob', () => {
    assert.throws(() => unixRights(), RangeError);
    assert.throws(() => unixRights(-1), RangeError);
    assert.throws(() => unixRights(1.5), RangeError);
    const oob = unixRights(1);
    assert.throws(() => parseSocketControlMessages(oob, oob.byteLength + 1), RangeError);
    const bad = oob.slice();
    bad[0] = 200; // cmsg_len far beyond the buffer
    assert.throws(() => parseSocketControlMessages(bad), CmsgError);
    assert.throws(() => parseSocketControlMessages('x' as unknown as Uint8Array), TypeError);
    // A short tail that cannot hold a header is ignored, as the kernel's CMSG_NXTHDR does.
    assert.deepEqual(parseSocketControlMessages(oob, 4), []);
  });
});

describe('msghdr layouts', () => {
  test('struct msghdr and mmsghdr offsets match the C layout koffi computes for this OS', () => {
    const L = msgLayoutFor(OS_NAME);
    const linux = OS_NAME === 'linux';
    const hdr = koffi.struct('test_msghdr', {
      msg_name: 'void *', msg_namelen: 'uint32_t', msg_iov: 'void *', msg_iovlen: linux ? 'size_t' : 'int',
      msg_control: 'void *', msg_controllen: linux ? 'size_t' : 'uint32_t', msg_flags: 'int',
    });
    const mm = koffi.struct('test_mmsghdr', { msg_hdr: hdr, msg_len: 'uint32_t' });
    assert.equal(koffi.sizeof(hdr), L.size);
    for (const f of ['namelen', 'iov', 'iovlen', 'control', 'controllen', 'flags'] as const) {
      assert.equal(koffi.offsetof(hdr, `msg_${f}`), L[f], f);
    }
    assert.equal(koffi.sizeof(mm), L.mmsgSize);
    assert.equal(koffi.offsetof(mm, 'msg_len'), L.mmsgLen);
  });
});

describe('recvmsg / sendmsg / recvmmsg / sendmmsg', () => {
  test('descriptors cross a unixgram socketpair and arrive close-on-exec; MSG_TRUNC is reported', () => {
    const [a, b] = dgramPair();
    const [p, q] = dgramPair();
    try {
      assert.equal(msg.sendmsg(a, Uint8Array.of(1, 2, 3, 4), 0, 4, unixRights(p, q), null, 0, 0), 4);
      const buf = new Uint8Array(2), oob = new Uint8Array(cmsgSpace(8));
      const info: msg.MsgInfo = { oobn: 0, flags: 0, namelen: 0 };
      assert.equal(msg.recvmsg(b, buf, 0, 2, oob, null, 0, info), 2);
      assert.deepEqual([...buf], [1, 2]);
      assert.notEqual(info.flags & M.MSG_TRUNC, 0);
      assert.equal(info.flags & M.MSG_CTRUNC, 0);
      const fds = parseUnixRights(oob, info.oobn);
      assert.equal(fds.length, 2);
      for (const fd of fds) {
        assert.ok(!new Set([p, q]).has(fd), 'a new descriptor number');
        assert.equal(fcntl(fd, C.F_GETFD, 0) & C.FD_CLOEXEC, C.FD_CLOEXEC);
        close(fd);
      }
    } finally { for (const fd of [a, b, p, q]) close(fd); }
  });

  test('receiving with no room for control data closes the passed descriptors and says MSG_CTRUNC', () => {
    const [a, b] = dgramPair();
    const [p, q] = dgramPair();
    try {
      const before = openFds();
      assert.equal(msg.sendmsg(a, Uint8Array.of(7), 0, 1, unixRights(p, q), null, 0, 0), 1);
      const info: msg.MsgInfo = { oobn: 0, flags: 0, namelen: 0 };
      assert.equal(msg.recvmsg(b, new Uint8Array(4), 0, 4, null, null, 0, info), 1);
      assert.notEqual(info.flags & M.MSG_CTRUNC, 0);
      assert.equal(info.oobn, 0);
      const after = openFds();
      assert.deepEqual([...after].filter((fd) => !before.has(fd)), [], 'no descriptor left behind');
    } finally { for (const fd of [a, b, p, q]) close(fd); }
  });

  test('sendmmsg and recvmmsg move several datagrams, empty and cut ones included', { skip: msg.HAS_MMSG ? false : 'no recvmmsg here' }, () => {
    const [a, b] = dgramPair();
    try {
      const out = [Uint8Array.of(1), new Uint8Array(0), new Uint8Array(10).fill(3)];
      assert.equal(msg.sendmmsg(a, out, 0, 3, null, 0), 3);
      const bufs = [new Uint8Array(4), new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)];
      const info: msg.BatchInfo = { lens: new Int32Array(4), flags: new Int32Array(4), nameLens: new Int32Array(4) };
      assert.equal(msg.recvmmsg(b, bufs, 4, new Uint8Array(4 * 128), 0, info), 3);
      assert.deepEqual([...info.lens.subarray(0, 3)], [1, 0, 4]);
      assert.equal(info.flags[0]! & M.MSG_TRUNC, 0);
      assert.notEqual(info.flags[2]! & M.MSG_TRUNC, 0);
      assert.deepEqual([...bufs[2]!], [3, 3, 3, 3]);
      assert.equal(msg.recvmmsg(b, bufs, 4, null, 0, info), -C.EAGAIN);
    } finally { close(a); close(b); }
  });

  test('ranges are checked before the system call: offsets, lengths, socklen, batch sizes', () => {
    const [a, b] = dgramPair();
    try {
      const info: msg.MsgInfo = { oobn: 0, flags: 0, namelen: 0 };
      assert.throws(() => msg.recvmsg(b, new Uint8Array(4), 2, 3, null, null, 0, info), RangeError);
      assert.throws(() => msg.recvfrom(b, new Uint8Array(4), 0, 5, 0, new Uint8Array(16), new Int32Array([16])), RangeError);
      assert.throws(() => msg.recvfrom(b, new Uint8Array(4), 0, 4, 0, new Uint8Array(16), new Int32Array([128])), RangeError);
      assert.throws(() => msg.sendto(a, new Uint8Array(4), -1, 1, 0, null, 0), RangeError);
      assert.throws(() => msg.sendmsg(a, new Uint8Array(4), 0, 4, null, new Uint8Array(8), 9, 0), RangeError);
      if (msg.HAS_MMSG) {
        const bi: msg.BatchInfo = { lens: new Int32Array(1), flags: new Int32Array(1), nameLens: new Int32Array(1) };
        assert.throws(() => msg.recvmmsg(b, [new Uint8Array(1), new Uint8Array(1)], 2, null, 0, bi), RangeError);
        assert.throws(() => msg.recvmmsg(b, [new Uint8Array(1)], 0, null, 0, bi), RangeError);
        assert.throws(() => msg.recvmmsg(b, [new Uint8Array(1)], 1, new Uint8Array(64), 0, bi), RangeError);
        assert.throws(() => msg.sendmmsg(a, ['x' as unknown as Uint8Array], 0, 1, null, 0), TypeError);
      }
      // Nothing was sent or consumed by the refused calls.
      assert.equal(msg.recvmsg(b, new Uint8Array(4), 0, 4, null, null, 0, info), -C.EAGAIN);
    } finally { close(a); close(b); }
  });

  test('a closed descriptor to pass fails the send with EBADF and nothing arrives', () => {
    const [a, b] = dgramPair();
    const [p, q] = dgramPair();
    close(p); close(q);
    try {
      assert.equal(msg.sendmsg(a, Uint8Array.of(1), 0, 1, unixRights(p), null, 0, 0), -C.EBADF);
      const info: msg.MsgInfo = { oobn: 0, flags: 0, namelen: 0 };
      assert.equal(msg.recvmsg(b, new Uint8Array(4), 0, 4, null, null, 0, info), -C.EAGAIN);
    } finally { close(a); close(b); }
  });
});
