// Go's dialSingle wraps each attempt's failure in one OpError: op "dial",
// the network, the local and remote address, and the system call's error as
// its cause (never an OpError inside an OpError).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dial, listen, OpError } from '../../src/net/index.ts';
import { SyscallError } from '../../src/sys/syscall-error.ts';
import { backendCases } from '../helpers/backends.ts';

for (const b of backendCases) {
  describe(`dial errors (${b.backend})`, { skip: b.skip ?? false }, () => {
    test('a refused dial is one OpError whose cause is the connect error', async () => {
      const np = b.make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      const addr = String(ln.addr);
      await ln.close();
      try {
        const e = await dial('tcp', addr, { netpoll: np }).then(() => null, (x: unknown) => x);
        assert.ok(e instanceof OpError, String(e));
        assert.equal(e.op, 'dial');
        assert.equal(e.net, 'tcp');
        assert.equal(String(e.addr), addr);
        assert.ok(e.cause instanceof SyscallError && !(e.cause instanceof OpError), String(e.cause));
        assert.equal((e.cause as SyscallError).syscall, 'connect');
        assert.equal(e.code, 'ECONNREFUSED');
        assert.equal(np.size, 0, 'the socket was closed');
      } finally {
        np.shutdown();
      }
    });

    test('a local address that cannot be bound is one OpError whose cause is the bind error', async () => {
      const np = b.make();
      const ln = await listen('tcp', '127.0.0.1:0', { netpoll: np });
      try {
        // The listener's own address is taken: bind fails with EADDRINUSE.
        const e = await dial('tcp', String(ln.addr), { netpoll: np, localAddress: String(ln.addr) }).then(() => null, (x: unknown) => x);
        assert.ok(e instanceof OpError, String(e));
        assert.ok(e.cause instanceof SyscallError, String(e.cause));
        assert.equal((e.cause as SyscallError).syscall, 'bind');
      } finally {
        await ln.close();
        np.shutdown();
      }
    });
  });
}
