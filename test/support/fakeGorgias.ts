/**
 * A fake Gorgias REST API on a real socket, for tests and benchmarks.
 *
 * Tenants are routed by the first path segment (`/acme/api/account`), which matches the URL
 * template `http://127.0.0.1:<port>/{subdomain}`. Each tenant answers like Gorgias does: an HTML
 * 404 for an unknown subdomain, a JSON 401 for bad Basic credentials, JSON for the routes in
 * ROUTES. Behaviours set per subdomain override all of that to simulate outages and oddities.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeUser {
  email: string;
  apiKey: string;
}

export interface FakeAccountSpec {
  subdomain: string;
  users: FakeUser[];
  /** Merged over the default account body (`domain`, `created_datetime`, `status`, `settings`). */
  account?: Record<string, unknown>;
}

export interface FakeReply {
  status: number;
  /** Sent as is. Without a content-type header, `<...` is sent as HTML and anything else as JSON. */
  body?: string;
  headers?: Record<string, string>;
  /** Answer only after this many milliseconds. */
  delayMs?: number;
}

/**
 * - a FakeReply: answered instead of the normal response;
 * - 'hang': the request is read and recorded but never answered;
 * - 'destroy': the socket is destroyed without a response;
 * - 'stall-after-headers': a 200 with headers and the start of a body, then silence;
 * - 'drip': a 200 whose body is a space every 50 ms, forever (never idle, never finished).
 */
export type FakeBehaviour = FakeReply | 'hang' | 'destroy' | 'stall-after-headers' | 'drip';

export interface RecordedRequest {
  method: string;
  /** The full path as received, without the query, e.g. `/acme/api/account`. */
  path: string;
  /** The path after the tenant segment, e.g. `/api/account`. */
  apiPath: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** The first path segment, or '' when there is none. */
  subdomain: string;
  body: string;
}

export interface FakeTenant {
  subdomain: string;
  users: FakeUser[];
  account: Record<string, unknown>;
}

export interface RouteContext {
  tenant: FakeTenant;
  user: FakeUser;
  params: Record<string, string>;
  request: RecordedRequest;
}

export interface FakeRoute {
  method: string;
  /** e.g. `/api/account` or `/api/tickets/:id`; `:name` matches one segment. */
  pattern: string;
  handle: (context: RouteContext) => FakeReply;
}

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): FakeReply {
  return { status, body: JSON.stringify(value), headers: { 'content-type': 'application/json', ...headers } };
}

/** The kind of page a web server shows for a host or path it does not know. */
export function htmlPage(status: number, title: string): FakeReply {
  return {
    status,
    body: `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  };
}

const ROUTES: FakeRoute[] = [{ method: 'GET', pattern: '/api/account', handle: ({ tenant }) => jsonReply(200, tenant.account) }];

interface CompiledRoute {
  route: FakeRoute;
  regex: RegExp;
  names: string[];
}

function compileRoute(route: FakeRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, regex: new RegExp(`^${source}/?$`), names };
}

const COMPILED_ROUTES = ROUTES.map(compileRoute);

const DRIP_INTERVAL_MS = 50;

function credentialsFrom(header: string | undefined): FakeUser | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { email: decoded.slice(0, colon), apiKey: decoded.slice(colon + 1) };
}

export class FakeGorgias {
  readonly requests: RecordedRequest[] = [];
  /** TCP connections accepted since start or the last reset (keep-alive shows as fewer connections). */
  connectionCount = 0;

  private readonly tenants = new Map<string, FakeTenant>();
  private readonly behaviours = new Map<string, FakeBehaviour>();
  private readonly onceBehaviours = new Map<string, FakeBehaviour[]>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: http.Server | undefined;
  private boundPort: number | undefined;

  async start(): Promise<void> {
    if (this.server) throw new Error('FakeGorgias is already started.');
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (socket) => {
      this.connectionCount += 1;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  /** Closes the server and every socket, including hung and dripping ones. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.boundPort = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('FakeGorgias is not started.');
    return this.boundPort;
  }

  get urlTemplate(): string {
    return `http://127.0.0.1:${this.port}/{subdomain}`;
  }

  addAccount(spec: FakeAccountSpec): FakeTenant {
    const tenant: FakeTenant = {
      subdomain: spec.subdomain,
      users: [...spec.users],
      account: {
        domain: spec.subdomain,
        created_datetime: '2024-01-15T10:00:00.000000+00:00',
        status: { status: 'active' },
        settings: [],
        ...spec.account,
      },
    };
    this.tenants.set(spec.subdomain, tenant);
    return tenant;
  }

  /** Every later request to this subdomain gets this behaviour, until cleared. */
  setBehaviour(subdomain: string, behaviour: FakeBehaviour): void {
    this.behaviours.set(subdomain, behaviour);
  }

  /** The next request to this subdomain gets this behaviour; several calls queue up in order. */
  setBehaviourOnce(subdomain: string, behaviour: FakeBehaviour): void {
    const queue = this.onceBehaviours.get(subdomain) ?? [];
    queue.push(behaviour);
    this.onceBehaviours.set(subdomain, queue);
  }

  clearBehaviours(): void {
    this.behaviours.clear();
    this.onceBehaviours.clear();
  }

  /** Clears requests, accounts, behaviours and the connection count; the server keeps running. */
  reset(): void {
    this.requests.length = 0;
    this.tenants.clear();
    this.clearBehaviours();
    this.connectionCount = 0;
  }

  count(subdomain?: string): number {
    return subdomain === undefined
      ? this.requests.length
      : this.requests.filter((request) => request.subdomain === subdomain).length;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const [, subdomain = '', ...rest] = url.pathname.split('/');
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        apiPath: `/${rest.join('/')}`,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        subdomain,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.requests.push(request);
      const behaviour = this.takeBehaviour(subdomain);
      if (behaviour !== undefined) {
        this.perform(behaviour, req, res);
      } else {
        this.send(res, this.answer(request));
      }
    });
  }

  private takeBehaviour(subdomain: string): FakeBehaviour | undefined {
    const queue = this.onceBehaviours.get(subdomain);
    if (queue && queue.length > 0) return queue.shift();
    return this.behaviours.get(subdomain);
  }

  private answer(request: RecordedRequest): FakeReply {
    const tenant = this.tenants.get(request.subdomain);
    if (!tenant) return htmlPage(404, 'Page not found');
    const presented = credentialsFrom(request.headers.authorization);
    const user = tenant.users.find(
      (candidate) => presented !== undefined && candidate.email === presented.email && candidate.apiKey === presented.apiKey,
    );
    if (!user) return jsonReply(401, { error: { msg: 'Unauthorized' } });
    let methodAllowed = false;
    for (const { route, regex, names } of COMPILED_ROUTES) {
      const match = regex.exec(request.apiPath);
      if (!match) continue;
      if (route.method !== request.method) {
        methodAllowed = true;
        continue;
      }
      let params: Record<string, string>;
      try {
        params = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1])]));
      } catch {
        return jsonReply(400, { error: { msg: 'Malformed path.' } });
      }
      return route.handle({ tenant, user, params, request });
    }
    return methodAllowed
      ? jsonReply(405, { error: { msg: 'Method not allowed.' } })
      : jsonReply(404, { error: { msg: 'Resource not found.' } });
  }

  private perform(behaviour: FakeBehaviour, req: http.IncomingMessage, res: http.ServerResponse): void {
    switch (behaviour) {
      case 'hang':
        return;
      case 'destroy':
        req.socket.destroy();
        return;
      case 'stall-after-headers':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"domain":');
        return;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(' ');
        const timer = setInterval(() => res.write(' '), DRIP_INTERVAL_MS);
        this.timers.add(timer);
        res.once('close', () => {
          clearInterval(timer);
          this.timers.delete(timer);
        });
        return;
      }
      default:
        this.send(res, behaviour);
    }
  }

  private send(res: http.ServerResponse, reply: FakeReply): void {
    const write = (): void => {
      const body = reply.body ?? '';
      const headers: Record<string, string> = { ...reply.headers };
      const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
      if (!hasContentType && body !== '') {
        headers['content-type'] = body.trimStart().startsWith('<') ? 'text/html; charset=utf-8' : 'application/json';
      }
      res.writeHead(reply.status, headers);
      res.end(body);
    };
    if (reply.delayMs === undefined || reply.delayMs <= 0) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!res.destroyed) write();
    }, reply.delayMs);
    this.timers.add(timer);
  }
}
