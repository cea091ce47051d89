// The README's one command for distributed mode, `scripts/distributed.sh`, as a user runs it: every
// role comes up (the serve process answers on its port, with the API), trades flow through Kafka and
// Cassandra to the API, no role exits while it runs, and Ctrl-C stops them all. It once started serve
// and ingest on the same port, and one of them died every time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deleteTopicsContaining, exited, until } from './helpers.ts';

const enabled = process.env.STACK_TESTS === '1';
const root = join(import.meta.dirname, '..', '..');

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });

describe('scripts/distributed.sh', { skip: !enabled && 'needs the local stack (STACK_TESTS=1)' }, () => {
  const id = randomBytes(4).toString('hex');
  const namespace = `dist${id}`;
  const logs = mkdtempSync(join(tmpdir(), 'ts-dist-script-'));
  after(async () => {
    rmSync(logs, { recursive: true, force: true });
    await deleteTopicsContaining(`${namespace}.`);
  });

  it('starts every role, serves candles from Cassandra, and stops on Ctrl-C', {
    timeout: 300_000,
  }, async () => {
    const port = await freePort();
    const p = spawn('bash', [join(root, 'scripts', 'distributed.sh'), '--rate', '2000'], {
      cwd: root,
      detached: true, // its own process group, which Ctrl-C signals as a whole
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PIPELINE_LOGS: logs,
        TICKSTREAM_SERVER__PORT: String(port),
        TICKSTREAM_BUS__NAMESPACE: namespace,
        TICKSTREAM_STORE__CASSANDRA__KEYSPACE: `ts_dist_${id}`,
      },
    });
    let out = '';
    for (const s of [p.stdout, p.stderr]) {
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        out += d;
      });
    }
    const done = exited(p);
    try {
      const base = `http://127.0.0.1:${port}`;
      const get = async <T>(path: string): Promise<T | undefined> => {
        try {
          const r = await fetch(`${base}${path}`);
          return r.ok ? ((await r.json()) as T) : undefined;
        } catch {
          return undefined; // not listening yet
        }
      };
      await until(
        'the serve process on its port',
        async () => {
          assert.ok(p.exitCode === null, `distributed.sh exited:\n${out}`);
          const h = await get<{ detail: { roles: string[] } }>('/health');
          return h?.detail.roles.join() === 'serve';
        },
        180_000,
        500,
      );
      await until(
        'AAPL candles through Kafka and Cassandra to the API',
        async () => ((await get<unknown[]>('/api/candles?symbol=AAPL&interval=1s')) ?? []).length > 0,
        120_000,
        1000,
      );
      assert.doesNotMatch(out, /exited \(status/, 'no role exited while it ran');
      assert.equal((out.match(/^started /gm) ?? []).length, 7, out);
      process.kill(-p.pid!, 'SIGINT');
      await done;
      assert.match(out, /stopping/);
    } finally {
      if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL');
      await done;
    }
  });
});
