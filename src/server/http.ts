// HTTP edge: health, Prometheus metrics and a JSON query API over the store. Every parameter is
// validated; bad requests get a 400 with a stable code, never a crash or a stack trace.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { parseDuration } from '../config.ts';
import { isTickstreamError, TickstreamError } from '../domain/errors.ts';
import type { AlertRule, EventTimeMs } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import type { Registry } from '../engine/metrics.ts';
import type { LastPrices } from '../portfolio/prices.ts';
import type { Store } from '../store/port.ts';
import { valuePortfolio } from './valuation.ts';

export interface HealthSource {
  /** 'ok', or the reason the process is not healthy. */
  health(): Promise<{ status: 'ok' | 'degraded'; detail: Record<string, unknown> }>;
}

/** What the JSON API under /api needs: the serve role's process has it, processor processes do not. */
export interface ApiSource {
  store: Store;
  /** Where new alert rules are published for the analytics processors (topic alert-rules). */
  publishRule: (rule: AlertRule) => Promise<void>;
  /** Last prices and previous closes (a broadcast view of the trades topic) for lazy valuation. */
  prices: LastPrices;
  universe: Universe;
}

export interface HttpOptions {
  host: string;
  port: number;
  /** Absent: only /health and /metrics (every process of a distributed deployment serves those). */
  api?: ApiSource;
  registry: Registry;
  health: HealthSource;
}

const MAX_BODY = 64 * 1024;
const symbol = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[A-Z0-9.:\-/^]+$/, 'an upper-case ticker');
const timeParam = z
  .string()
  .max(40)
  .transform((s, ctx) => {
    const n = /^\d{1,16}$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: 'epoch ms or an ISO-8601 time' });
      return z.NEVER;
    }
    return n as EventTimeMs;
  });
const user = z.coerce
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const limit = z.coerce.number().int().min(1).max(10_000).default(100);
const range = { from: timeParam.optional(), to: timeParam.optional() };

/** A path segment's text; a malformed %-escape is a bad request, not a crash. */
const decodePathSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new TickstreamError('BAD_REQUEST', 'malformed %-escape in the path');
  }
};

const rangeOf = (q: { from?: EventTimeMs | undefined; to?: EventTimeMs | undefined }) => ({
  from: q.from ?? (0 as EventTimeMs),
  to: q.to ?? (8_640_000_000_000_000 as EventTimeMs),
});

const AlertRuleBody = z
  .object({
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w.-]+$/),
    user: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    symbol,
    kind: z.enum(['price_above', 'price_below', 'pct_move']),
    threshold: z.number().positive().finite(),
  })
  .strict();

const parse = <T extends z.ZodType>(schema: T, v: unknown): z.infer<T> => {
  const r = schema.safeParse(v);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new TickstreamError('BAD_REQUEST', msg);
  }
  return r.data;
};

const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json'): void => {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
};

const readBody = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit the rest is read and dropped (not buffered) so the client still gets its answer.
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        reject(new TickstreamError('BAD_REQUEST', `body larger than ${MAX_BODY} bytes`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new TickstreamError('BAD_REQUEST', 'body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });

export class HttpServer {
  private readonly server: Server;
  private readonly opts: HttpOptions;

  constructor(opts: HttpOptions) {
    this.opts = opts;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (isTickstreamError(e, 'BAD_REQUEST') || isTickstreamError(e, 'STORE_QUERY_INVALID')) {
          send(res, 400, { error: { code: e.code, message: e.message } });
        } else if (isTickstreamError(e, 'NOT_FOUND')) {
          send(res, 404, { error: { code: e.code, message: e.message } });
        } else {
          const retryable = isTickstreamError(e) && e.retryable;
          send(res, retryable ? 503 : 500, {
            error: { code: isTickstreamError(e) ? e.code : 'INTERNAL', message: 'request failed' },
          });
        }
      });
    });
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = Object.fromEntries(url.searchParams);
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'GET' && path === '/health') {
      const h = await this.opts.health.health();
      return send(res, h.status === 'ok' ? 200 : 503, h);
    }
    if (method === 'GET' && path === '/metrics') {
      return send(res, 200, this.opts.registry.render(), 'text/plain; version=0.0.4');
    }
    const api = this.opts.api;
    if (api === undefined) {
      throw new TickstreamError(
        'NOT_FOUND',
        `no route ${method} ${path}: this process serves /health and /metrics (the API is the serve role's)`,
      );
    }
    const { store, prices, universe, publishRule } = api;
    if (method === 'GET' && path === '/api/symbols') {
      return send(res, 200, universe.infos);
    }
    if (method === 'GET' && path === '/api/candles') {
      const p = parse(z.object({ symbol, interval: z.string().max(10).default('1m'), ...range }).strict(), q);
      let intervalMs: number;
      try {
        intervalMs = parseDuration(p.interval);
      } catch (e) {
        throw new TickstreamError('BAD_REQUEST', `interval: ${(e as Error).message}`);
      }
      return send(res, 200, await store.candles(p.symbol, intervalMs, rangeOf(p)));
    }
    if (method === 'GET' && path === '/api/trades') {
      const p = parse(z.object({ symbol, limit, ...range }).strict(), q);
      return send(res, 200, await store.trades(p.symbol, rangeOf(p), p.limit));
    }
    if (method === 'GET' && path === '/api/alerts') {
      const p = parse(
        z.object({ symbol: symbol.optional(), user: user.optional(), limit, ...range }).strict(),
        q,
      );
      if (p.symbol !== undefined) return send(res, 200, await store.alertsBySymbol(p.symbol, rangeOf(p)));
      if (p.user !== undefined) return send(res, 200, await store.alertsByUser(p.user, p.limit));
      throw new TickstreamError('BAD_REQUEST', 'give symbol or user');
    }
    if (method === 'GET' && path === '/api/deadletters') {
      const p = parse(z.object({ limit }).strict(), q);
      const rows = await store.deadletters(p.limit);
      return send(
        res,
        200,
        rows.map((d) => ({ ...d, payload: Buffer.from(d.payload).toString('base64') })),
      );
    }
    const userPath = /^\/api\/users\/(\d{1,10})\/(positions|history|fills|alerts|portfolio)$/.exec(path);
    if (method === 'GET' && userPath !== null) {
      const u = parse(user, userPath[1]);
      switch (userPath[2]) {
        case 'positions':
          return send(res, 200, await store.positions(u));
        case 'portfolio':
          return send(res, 200, valuePortfolio(u, await store.positions(u), prices, universe));
        case 'history': {
          const p = parse(z.object(range).strict(), q);
          return send(res, 200, await store.portfolioHistory(u, rangeOf(p)));
        }
        case 'fills': {
          const p = parse(z.object({ limit }).strict(), q);
          return send(res, 200, await store.lastFills(u, p.limit));
        }
        default: {
          const p = parse(z.object({ limit }).strict(), q);
          return send(res, 200, await store.alertsByUser(u, p.limit));
        }
      }
    }
    // Who holds a symbol (non-zero quantity), ascending by user: the holders_by_symbol tables' query.
    const holdersPath = /^\/api\/symbols\/([^/]+)\/holders$/.exec(path);
    if (method === 'GET' && holdersPath !== null) {
      const sym = parse(symbol, decodePathSegment(holdersPath[1] as string));
      const p = parse(z.object({ limit }).strict(), q);
      // A symbol in the path names a resource: one the universe does not list is not found.
      if (!universe.has(sym)) throw new TickstreamError('NOT_FOUND', `unknown symbol ${sym}`);
      return send(res, 200, await store.holders(sym, p.limit));
    }
    const firmPath = /^\/api\/firm\/(\d{4}-\d{2}-\d{2})$/.exec(path);
    if (method === 'GET' && firmPath !== null) {
      return send(res, 200, await store.firmStats(firmPath[1] as string));
    }
    if (path === '/api/alert-rules') {
      if (method === 'GET') return send(res, 200, await store.alertRules());
      if (method === 'POST') {
        const rule = parse(AlertRuleBody, await readBody(req)) as AlertRule;
        if (!universe.has(rule.symbol))
          throw new TickstreamError('BAD_REQUEST', `unknown symbol ${rule.symbol}`);
        await store.upsertAlertRules([rule]);
        await publishRule(rule);
        return send(res, 201, rule);
      }
    }
    throw new TickstreamError('NOT_FOUND', `no route ${method} ${path}`);
  }
}
