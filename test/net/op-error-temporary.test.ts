// OpError.temporary as Go's (*net.OpError).Temporary(): ECONNRESET and
// ECONNABORTED count only from accept ("if e.Op == "accept" &&
// isConnError(e.Err)"), otherwise the errno's own Temporary() decides
// ("e == EINTR || e == EMFILE || e == ENFILE || e.Timeout()").
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpError } from '../../src/net/index.ts';
import { DeadlineExceededError } from '../../src/netpoll/errors.ts';
import { C } from '../../src/sys/constants.ts';
import { setLinger } from '../../src/sys/socket.ts';
import { SyscallError } from '../../src/sys/syscall-error.ts';
import { backendCases } from '../helpers/backends.ts';
import { connectedPair } from '../helpers/net.ts';

function opError(op: string, syscall: string, errno: number): OpError {
  return new OpError({ op, net: 'tcp', cause: new SyscallError(syscall, errno) });
}

describe('OpError.temporary as Go has it', () => {
  test('ECONNRESET and ECONNABORTED are temporary from accept only (Go: if e.Op == "accept" && isConnError(e.Err))', () => {
    for (const errno of [C.ECONNRESET, C.ECONNABORTED]) {
      assert.equal(opError('accept', 'accept', errno).temporary, true);
      for (const op of ['read', 'write', 'dial', 'close']) assert.equal(opError(op, op === 'dial' ? 'connect' : op, errno).temporary, false, `${op} ${errno}`);
    }
  });

  test('EINTR, EMFILE, ENFILE and the timeouts are temporary for every op (Go: e == EINTR || e == EMFILE || e == ENFILE || e.Timeout())', () => {
    for (const op of ['accept', 'read', 'write', 'dial']) {
      for (const errno of [C.EINTR, C.EMFILE, C.ENFILE, C.EAGAIN, C.ETIMEDOUT]) assert.equal(opError(op, op, errno).temporary, true, `${op} ${errno}`);
      assert.equal(new OpError({ op, net: 'tcp', cause: new DeadlineExceededError() }).temporary, true);
      for (const errno of [C.ECONNREFUSED, C.EPIPE, C.EBADF, C.ENOTCONN]) assert.equal(opError(op, op, errno).temporary, false, `${op} ${errno}`);
    }
  });

  for (const { backend, skip, make } of backendCases) {
    test(`a read of a reset connection fails with ECONNRESET that is not temporary (${backend})`, { skip: skip ?? false }, async () => {
      const np = make();
      const { client, server, closeAll } = await connectedPair(np);
      try {
        // SO_LINGER 0: close sends RST.
        assert.equal(setLinger(client.fd.sysfd, 0), 0);
        await client.close();
        await assert.rejects(server.read(new Uint8Array(16)), (e) => {
          assert.ok(e instanceof OpError, String(e));
          assert.equal(e.op, 'read');
          assert.equal(e.code, 'ECONNRESET');
          assert.equal(e.temporary, false);
          return true;
        });
      } finally { await closeAll(); np.shutdown(); }
    });
  }
});
