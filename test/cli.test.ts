// The `tickstream` command as a user runs it: help on every subcommand, clear errors for bad flags and
// bad configuration, and a replay of a tape with bad lines whose results can be queried back.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Universe } from '../src/domain/universe.ts';
import { startTestWsServer } from '../src/sources/ws-test-server.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'tickstream');

const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(bin, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('tickstream CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ts-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help for the command and each subcommand', () => {
    const top = run(['--help']);
    assert.equal(top.code, 0);
    for (const sub of ['run', 'replay', 'simulate', 'query'])
      assert.match(top.out, new RegExp(`\\b${sub}\\b`));
    for (const sub of ['run', 'replay', 'simulate', 'query', 'setup']) {
      const r = run([sub, '--help']);
      assert.equal(r.code, 0, sub);
      assert.match(r.out, /Usage: tickstream/, sub);
    }
  });

  it('fails clearly on an unknown command, an unknown flag, a bad value and a bad config key', () => {
    const a = run(['frobnicate']);
    assert.equal(a.code, 2);
    assert.match(a.err, /unknown command 'frobnicate'/);
    const b = run(['run', '--no-such-flag']);
    assert.equal(b.code, 2);
    assert.match(b.err, /no-such-flag/);
    const c = run(['run', '--rate', 'fast']);
    assert.equal(c.code, 2);
    assert.match(c.err, /--rate must be a positive number or 'max'/);
    const d = run(['run', '--data-dir', dir], { TICKSTREAM_BUS__KIND: 'rabbit' });
    assert.equal(d.code, 2);
    assert.match(d.err, /CONFIG_INVALID[\s\S]*bus\.kind/);
    const f = run(['run', '--source', 'finnhub', '--data-dir', dir]);
    assert.equal(f.code, 2);
    assert.match(f.err, /--source finnhub needs --feed-url ws:\/\/… or wss:\/\/…/);
    const e = run(['query', 'candles', 'AAPL', '--interval', '1x', '--data-dir', dir]);
    assert.equal(e.code, 2);
    assert.match(e.err, /BAD_REQUEST: --interval: not a duration: "1x"/);
  });

  it('replays a tape with bad lines: good trades become candles, bad lines go to deadletter with reasons', () => {
    const tape = join(dir, 'tape.csv');
    const lines = [
      'time,symbol,size,price',
      '2024-01-02T14:30:00.000Z,AAPL,100,190.00',
      '2024-01-02T14:30:00.500Z,AAPL,50,191.00',
      '2024-01-02T14:30:01.200Z,AAPL,10,189.50',
      '2024-01-02T14:30:01.300Z,AAPL,abc,189.50', // non-numeric size
      '2024-01-02T14:30:01.400Z,AAPL,10,-3', // negative price
      '2024-01-02T14:30:01.500Z,NOPE,10,10', // unknown symbol
      'yesterday,AAPL,10,190', // bad timestamp
      '2024-01-02T14:30:02.000Z,MSFT,5,410.25',
    ];
    writeFileSync(tape, `${lines.join('\n')}\n`);
    const data = join(dir, 'data');
    const r = run(['replay', tape, '--data-dir', data, '--port', '0']);
    assert.equal(r.code, 0, r.err);
    const candles = run(['query', 'candles', 'AAPL', '--interval', '1s', '--data-dir', data]);
    assert.equal(candles.code, 0, candles.err);
    const rows = candles.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((c) => [c.open, c.high, c.low, c.close, c.volume, c.trades]),
      [
        [190, 191, 190, 191, 150, 2],
        [189.5, 189.5, 189.5, 189.5, 10, 1],
      ],
    );
    assert.ok(Math.abs((rows[0]?.vwap ?? 0) - (190 * 100 + 191 * 50) / 150) < 1e-9);
    const dl = run(['query', 'deadletters', '--data-dir', data]);
    const reasons = dl.out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { reason: string }).reason)
      .sort();
    assert.equal(reasons.length, 4, 'every bad line is kept: 7 data lines = 3 + 1 good + 4 bad');
    assert.ok(reasons.includes('unknown_symbol'));
    assert.ok(reasons.includes('bad_timestamp'));
  });

  it("runs the whole embedded pipeline as the Quickstart's `npm start` until Ctrl-C, and keeps what it made", async () => {
    // As a user runs it (npm puts node_modules/.bin on PATH), in its own process group so that the
    // SIGINT reaches npm and the pipeline together, as Ctrl-C in a terminal does.
    const data = join(dir, 'quickstart');
    const p = spawn('npm', ['start', '--', '--port', '0', '--data-dir', data], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    try {
      for (const s of [p.stdout, p.stderr]) {
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          log += d;
        });
      }
      const waitFor = async (re: RegExp, what: string): Promise<RegExpExecArray> => {
        for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
          const m = re.exec(log);
          if (m !== null) return m;
          if (p.exitCode !== null) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`no ${what} from npm start:\n${log}`);
      };
      const serving = await waitFor(/serving http:\/\/[^:]+:(\d+)\/health, \/metrics, \/api\n/, 'API');
      // a status line (every 5 s) with trades analysed and fills applied: every role runs
      await waitFor(/analysed [1-9]\d*, deadlettered \d+; fills applied [1-9]/, 'status line with work done');
      const base = `http://127.0.0.1:${serving[1]}`;
      const health = (await (await fetch(`${base}/health`)).json()) as {
        status: string;
        detail: { roles: string[]; bus: string; store: string };
      };
      assert.equal(health.status, 'ok');
      assert.deepEqual([...health.detail.roles].sort(), [
        'analytics',
        'ingest',
        'portfolio',
        'serve',
        'sinks',
      ]);
      assert.equal(health.detail.bus, 'memory');
      assert.equal(health.detail.store, 'sqlite');
      process.kill(-p.pid!, 'SIGINT');
      // npm itself may die of the SIGINT (as it does at a terminal); the pipeline must stop cleanly
      const code = await exited;
      assert.ok(code === 0 || p.signalCode === 'SIGINT', `npm exited ${code} ${p.signalCode}:\n${log}`);
      assert.match(log, /SIGINT: flushing, checkpointing and stopping\n[\s\S]*\] stopped\n/);
      assert.doesNotMatch(log, /a processor failed|shutdown: /);
    } finally {
      if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL');
      await exited;
    }
    // What it made is in the store after it stopped.
    const candles = run(['query', 'candles', 'AAPL', '--interval', '1s', '--data-dir', data]);
    assert.equal(candles.code, 0, candles.err);
    const bars = candles.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { volume: number; trades: number });
    assert.ok(bars.length > 0, 'AAPL 1 s candles stored');
    for (const b of bars) assert.ok(b.trades > 0 && b.volume > 0);
  });

  it('a live simulation started again goes on: its trades and fills are new, not duplicates of the last run', () => {
    // Two runs on one data dir, as `npm start`, Ctrl-C, `npm start` again. Each live run numbers its
    // records afresh; they once collided with the first run's (every fill of the second run went to
    // deadletter as a duplicate, and the portfolios stopped moving).
    const data = join(dir, 'restart');
    const args = ['run', '--port', '0', '--data-dir', data, '--rate', '500', '--users', '50'];
    const first = run([...args, '--fill-rate', '200', '--duration', '3']);
    assert.equal(first.code, 0, first.err);
    const second = run([...args, '--fill-rate', '200', '--duration', '3']);
    assert.equal(second.code, 0, second.err);
    assert.match(
      second.err,
      /restored|from checkpoint|resum/i,
      "the second run started from the first one's state",
    );
    const dl = run(['query', 'deadletters', '--data-dir', data]);
    assert.equal(dl.code, 0, dl.err);
    assert.equal(dl.out.trim(), '', 'nothing deadlettered');
    // the fills of both runs reached the positions: a user's fills, summed, equal its positions
    const fills = run(['query', 'fills', '7', '--limit', '100000', '--data-dir', data]);
    const positions = run(['query', 'positions', '7', '--data-dir', data]);
    assert.equal(fills.code, 0, fills.err);
    const lines = (t: string) =>
      t
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const net = new Map<string, number>();
    for (const f of lines(fills.out)) {
      const q = (f.side === 'buy' ? 1 : -1) * (f.quantity as number);
      net.set(f.symbol as string, (net.get(f.symbol as string) ?? 0) + q);
    }
    const held = new Map(lines(positions.out).map((p) => [p.symbol as string, p.quantity as number]));
    for (const [symbol, q] of net) assert.equal(held.get(symbol) ?? 0, q, symbol);
    assert.ok(lines(fills.out).length > 0, 'user 7 has fills');
  });

  it('follows a Finnhub-shaped live feed: its trades become candles, its bad messages deadletters', async () => {
    const server = await startTestWsServer();
    const data = join(dir, 'feed');
    const p = spawn(
      bin,
      ['run', '--source', 'finnhub', '--feed-url', server.url, '--port', '0', '--data-dir', data],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d: string) => {
      log += d;
    });
    const done = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    const t = Date.now();
    try {
      const c = await server.waitFor(1, 510); // one subscription per symbol of the universe
      const subscribed = c.received.map((m) => JSON.parse(m) as { type: string; symbol: string });
      assert.ok(subscribed.every((m) => m.type === 'subscribe'));
      assert.deepEqual(subscribed.map((m) => m.symbol).sort(), [...Universe.default().symbols].sort());
      c.send(
        JSON.stringify({
          type: 'trade',
          data: [
            { s: 'AAPL', p: 190.5, t, v: 100, c: ['1'] },
            { s: 'AAPL', p: 191, t: t + 10, v: 50 },
            { s: 'NOPE', p: 10, t, v: 1 },
          ],
        }),
      );
      c.send('{not json');
      c.send(JSON.stringify({ type: 'ping' }));
      for (const deadline = Date.now() + 30_000; !/trades produced 2, analysed 2, /.test(log); ) {
        assert.ok(Date.now() < deadline, `no status line with the feed's trades:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      p.kill('SIGINT');
      assert.equal(await done, 0, log);
    } finally {
      p.kill('SIGKILL');
      await done;
      await server.close();
    }
    const candles = run([
      'query',
      'candles',
      'AAPL',
      '--interval',
      '1s',
      '--data-dir',
      data,
      '--from',
      String(t - 1000),
    ]);
    const bars = candles.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { trades: number; volume: number; high: number });
    assert.equal(
      bars.reduce((a, b) => a + b.trades, 0),
      2,
    );
    assert.equal(
      bars.reduce((a, b) => a + b.volume, 0),
      150,
    );
    // each with the number of the feed message it came from: the trades were message 1, '{not json' 2
    const dead = run(['query', 'deadletters', '--data-dir', data])
      .out.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; offset: number })
      .map((d) => `${d.reason}@${d.offset}`)
      .sort();
    assert.deepEqual(dead, ['decode_error@2', 'unknown_symbol@1']);
  });

  it('serves /health and /metrics from a processor-only process, and no API there', async () => {
    const p = spawn(
      bin,
      ['run', '--role', 'analytics', '--source', 'none', '--port', '0', '--data-dir', join(dir, 'proc')],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      let log = '';
      p.stderr.setEncoding('utf8');
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no serving line:\n${log}`)), 60_000);
        p.stderr.on('data', (d: string) => {
          log += d;
          const m = /serving http:\/\/[^:]+:(\d+)\/health, \/metrics\n/.exec(log);
          if (m !== null) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
        p.on('exit', (code) => reject(new Error(`exited ${code}:\n${log}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200);
      const h = (await health.json()) as { detail: { roles: string[] } };
      assert.deepEqual(h.detail.roles, ['analytics']);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^# TYPE tickstream_records_in_total counter$/m);
      const api = await fetch(`${base}/api/symbols`);
      assert.equal(api.status, 404);
      assert.match(((await api.json()) as { error: { message: string } }).error.message, /serve role/);
    } finally {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  });
});
