// A minimal WebSocket server for tests only: the real Finnhub feed cannot be reached from here, so the
// live-feed adapter is tested against this stand-in on the loopback address. It speaks just enough of
// RFC 6455: the opening handshake, unfragmented text frames from the client (masked, as clients must),
// and text frames to the client. No extensions, no fragmentation, payloads under 64 KiB.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface TestConnection {
  socket: Socket;
  /** Text messages received from the client, in order. */
  received: string[];
  send(text: string): void;
  /** Drops the TCP connection without a close frame (a network failure, as seen by the client). */
  drop(): void;
}

export interface TestWsServer {
  url: string;
  connections: TestConnection[];
  /** Resolves when the n-th connection (1-based) has received at least `messages` messages. */
  waitFor(n: number, messages: number): Promise<TestConnection>;
  close(): Promise<void>;
}

const frame = (text: string): Buffer => {
  const payload = Buffer.from(text);
  if (payload.length >= 65536) throw new RangeError('test server frames are < 64 KiB');
  const head =
    payload.length < 126
      ? Buffer.from([0x81, payload.length])
      : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
};

/** Parses complete client frames from `buf`; returns the unconsumed rest. */
const parseFrames = (buf: Buffer, onText: (t: string) => void, onClose: () => void): Buffer => {
  let b = buf;
  for (;;) {
    if (b.length < 2) return b;
    const opcode = (b[0] as number) & 0x0f;
    let len = (b[1] as number) & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return b;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      throw new RangeError('test server does not take 64-bit frame lengths');
    }
    if (b.length < off + 4 + len) return b;
    const mask = b.subarray(off, off + 4);
    const payload = Buffer.from(b.subarray(off + 4, off + 4 + len));
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i & 3] as number);
    if (opcode === 0x1) onText(payload.toString('utf8'));
    else if (opcode === 0x8) onClose();
    b = b.subarray(off + 4 + len);
  }
};

export const startTestWsServer = async (): Promise<TestWsServer> => {
  const connections: TestConnection[] = [];
  const waiters: (() => void)[] = [];
  const poke = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const server: Server = createServer((_req, res) => {
    res.writeHead(426).end();
  });
  server.on('upgrade', (req, socket: Socket) => {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.destroy();
      return;
    }
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const conn: TestConnection = {
      socket,
      received: [],
      send: (text) => socket.write(frame(text)),
      drop: () => socket.destroy(),
    };
    connections.push(conn);
    let rest: Buffer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      rest = parseFrames(
        Buffer.concat([rest, d]),
        (t) => {
          conn.received.push(t);
          poke();
        },
        () => socket.end(Buffer.from([0x88, 0])),
      );
    });
    socket.on('error', () => {});
    poke();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    connections,
    waitFor: (n, messages) =>
      new Promise((resolve) => {
        const check = (): void => {
          const c = connections[n - 1];
          if (c !== undefined && c.received.length >= messages) resolve(c);
          else waiters.push(check);
        };
        check();
      }),
    close: async () => {
      for (const c of connections) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
