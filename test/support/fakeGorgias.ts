/**
 * A fake Gorgias REST API on a real socket, for tests and benchmarks.
 *
 * Tenants are routed by the first path segment (`/acme/api/account`), which matches the URL
 * template `http://127.0.0.1:<port>/{subdomain}`. Each tenant answers like Gorgias does: an HTML
 * 404 for an unknown subdomain, a JSON 401 for bad Basic credentials, JSON for the routes in
 * ROUTES. Behaviours set per subdomain override all of that to simulate outages and oddities.
 *
 * Each tenant also holds tickets (with messages and tags) and customers, seeded with addTicket and
 * addCustomer and changed by the ticket and customer routes, with Gorgias's cursor pagination.
 * setRateLimit makes a tenant answer 429 beyond a budget, as Gorgias does; every request records
 * when it arrived (`receivedAt`), so tests can measure the rate a client really sends at.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
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
 * - 'drop-if-reused': on a connection that has served a request before, as 'destroy' (a server whose
 *   keep-alive idle timeout fired just as the client reused the connection); on a new one, the normal answer;
 * - 'stall-after-headers': a 200 with headers and the start of a body, then silence;
 * - 'drip': a 200 whose body is a space every 50 ms, forever (never idle, never finished);
 * - 'apply-then-hang', 'apply-then-502': the request is carried out (a ticket is created) and then never
 *   answered, or answered 502 as a gateway would: the write happened, and the caller cannot know it.
 */
export type FakeBehaviour =
  | FakeReply
  | 'hang'
  | 'destroy'
  | 'drop-if-reused'
  | 'stall-after-headers'
  | 'drip'
  | 'apply-then-hang'
  | 'apply-then-502';

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
  /** performance.now() when the whole request had arrived (the clock the client's rate limiter uses). */
  receivedAt: number;
  /** True when the tenant's rate limit answered this request with a 429. */
  rateLimited: boolean;
}

export interface FakeTenant {
  subdomain: string;
  users: FakeUser[];
  account: Record<string, unknown>;
  /** Gorgias-shaped ticket JSON by id, with `messages`; routes answer with copies. */
  tickets: Map<number, Record<string, unknown>>;
  /** Gorgias-shaped customer JSON by id. */
  customers: Map<number, Record<string, unknown>>;
  /** Tag ids by name, created as tickets are tagged. */
  tagIds: Map<string, number>;
  nextId: number;
  /**
   * The tenant's own clock for created/updated times: it starts at the real time the account is added
   * (Gorgias stamps what it creates with its own clock) and is a minute later at every change. Set it to
   * give Gorgias a clock that is off from ours.
   */
  clockMs: number;
}

export interface FakeCustomerSeed {
  id?: number;
  email?: string;
  name?: string | null;
  firstname?: string;
  lastname?: string;
  /** Merged over the built JSON last, to simulate odd or extra fields. */
  raw?: Record<string, unknown>;
}

export interface FakeMessageSeed {
  text: string;
  fromAgent?: boolean;
  senderEmail?: string;
  channel?: string;
  createdDatetime?: string;
}

export interface FakeTicketSeed {
  id?: number;
  subject?: string;
  status?: string;
  channel?: string;
  via?: string;
  /** Linked to the tenant's customer with that email, which is created when missing. */
  customer?: { email: string; name?: string };
  assignee?: { id?: number; email: string; name?: string };
  assigneeTeam?: string;
  tags?: string[];
  messages?: FakeMessageSeed[];
  createdDatetime?: string;
  updatedDatetime?: string;
  /** Merged over the built JSON last, to simulate odd or extra fields. */
  raw?: Record<string, unknown>;
}

export interface FakeRateLimit {
  max: number;
  windowMs: number;
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

const NOT_FOUND = (): FakeReply => jsonReply(404, { error: { msg: 'Resource not found.' } });
const BAD_REQUEST = (msg: string): FakeReply => jsonReply(400, { error: { msg } });
const DEFAULT_PAGE_SIZE = 30;
const MAX_PAGE_SIZE = 100;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Gorgias's datetime format: microseconds and an explicit offset. */
function gorgiasDatetime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

function tick(tenant: FakeTenant): string {
  tenant.clockMs += 60_000;
  return gorgiasDatetime(tenant.clockMs);
}

function newId(tenant: FakeTenant): number {
  tenant.nextId += 1;
  return tenant.nextId;
}

function readBody(request: RecordedRequest): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(request.body);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function routeId(params: Record<string, string>): number | undefined {
  return /^\d{1,15}$/.test(params.id) ? Number(params.id) : undefined;
}

function sameEmail(a: unknown, b: unknown): boolean {
  return typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
}

function findCustomerByEmail(tenant: FakeTenant, email: string): Record<string, unknown> | undefined {
  return [...tenant.customers.values()].find((customer) => sameEmail(customer.email, email));
}

function createCustomer(tenant: FakeTenant, seed: FakeCustomerSeed): Record<string, unknown> {
  const id = seed.id ?? newId(tenant);
  tenant.nextId = Math.max(tenant.nextId, id);
  const now = tick(tenant);
  const customer: Record<string, unknown> = {
    id,
    email: seed.email ?? null,
    name: seed.name ?? null,
    firstname: seed.firstname ?? '',
    lastname: seed.lastname ?? '',
    channels: seed.email === undefined ? [] : [{ type: 'email', address: seed.email, preferred: true }],
    external_id: null,
    created_datetime: now,
    updated_datetime: now,
    ...seed.raw,
  };
  tenant.customers.set(id, customer);
  return customer;
}

function customerOrCreate(tenant: FakeTenant, email: string, name?: string): Record<string, unknown> {
  return findCustomerByEmail(tenant, email) ?? createCustomer(tenant, { email, name });
}

/** What a ticket embeds about its customer. */
function customerRef(customer: Record<string, unknown>): Record<string, unknown> {
  const { id, email, name, firstname, lastname } = customer;
  return { id, email, name, firstname, lastname };
}

function tagId(tenant: FakeTenant, name: string): number {
  let id = tenant.tagIds.get(name);
  if (id === undefined) {
    id = newId(tenant);
    tenant.tagIds.set(name, id);
  }
  return id;
}

function tagNames(ticket: Record<string, unknown>): string[] {
  return Array.isArray(ticket.tags) ? ticket.tags.filter(isRecord).map((tag) => String(tag.name)) : [];
}

function messageJson(tenant: FakeTenant, ticketId: number, seed: FakeMessageSeed, sender: Record<string, unknown>): Record<string, unknown> {
  const id = newId(tenant);
  const channel = seed.channel ?? 'email';
  return {
    id,
    ticket_id: ticketId,
    channel,
    via: channel,
    from_agent: seed.fromAgent ?? false,
    sender,
    body_text: seed.text,
    body_html: `<div>${seed.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</div>`,
    created_datetime: seed.createdDatetime ?? tick(tenant),
    uri: `/api/tickets/${ticketId}/messages/${id}/`,
  };
}

function createTicket(tenant: FakeTenant, seed: FakeTicketSeed): Record<string, unknown> {
  const id = seed.id ?? newId(tenant);
  tenant.nextId = Math.max(tenant.nextId, id);
  const customer = seed.customer === undefined ? undefined : customerOrCreate(tenant, seed.customer.email, seed.customer.name);
  const createdDatetime = seed.createdDatetime ?? tick(tenant);
  const messages = (seed.messages ?? []).map((message) => {
    const senderEmail = message.senderEmail ?? (message.fromAgent ? seed.assignee?.email : seed.customer?.email);
    return messageJson(tenant, id, message, senderEmail === undefined ? {} : { email: senderEmail });
  });
  const ticket: Record<string, unknown> = {
    id,
    uri: `/api/tickets/${id}/`,
    subject: seed.subject ?? null,
    status: seed.status ?? 'open',
    channel: seed.channel ?? 'email',
    via: seed.via ?? seed.channel ?? 'email',
    priority: 'normal',
    customer: customer === undefined ? null : customerRef(customer),
    assignee_user:
      seed.assignee === undefined ? null : { id: seed.assignee.id ?? newId(tenant), email: seed.assignee.email, name: seed.assignee.name ?? null },
    assignee_team: seed.assigneeTeam === undefined ? null : { id: newId(tenant), name: seed.assigneeTeam },
    tags: (seed.tags ?? []).map((name) => ({ id: tagId(tenant, name), name })),
    messages,
    created_datetime: createdDatetime,
    updated_datetime: seed.updatedDatetime ?? createdDatetime,
    closed_datetime: seed.status === 'closed' ? createdDatetime : null,
    ...seed.raw,
  };
  tenant.tickets.set(id, ticket);
  return ticket;
}

function touch(tenant: FakeTenant, ticket: Record<string, unknown>): void {
  ticket.updated_datetime = tick(tenant);
}

/** Gorgias lists leave out the messages. */
function listItem(ticket: Record<string, unknown>): Record<string, unknown> {
  const { messages: _messages, ...rest } = ticket;
  return rest;
}

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

/** Gorgias's cursor pagination: `limit` (1..100, default 30), opaque `cursor`, `meta.next_cursor`. */
function paginate(items: Record<string, unknown>[], request: RecordedRequest): FakeReply {
  const { limit: limitText, cursor } = request.query;
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) return BAD_REQUEST('limit must be between 1 and 100.');
  const offset = cursor === undefined ? 0 : decodeCursor(cursor);
  if (offset === undefined) return BAD_REQUEST('Invalid cursor.');
  const data = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? encodeCursor(offset + limit) : null;
  const prev = offset > 0 ? encodeCursor(Math.max(0, offset - limit)) : null;
  return jsonReply(200, { data, object: 'list', uri: request.apiPath, meta: { prev_cursor: prev, next_cursor: next } });
}

function sortTickets(tickets: Record<string, unknown>[], orderBy: string): Record<string, unknown>[] | undefined {
  const match = /^(created_datetime|updated_datetime)(?::(asc|desc))?$/.exec(orderBy);
  if (!match) return undefined;
  const [, field, direction = 'desc'] = match;
  const time = (ticket: Record<string, unknown>): number => {
    const parsed = typeof ticket[field] === 'string' ? Date.parse(ticket[field] as string) : NaN;
    return Number.isNaN(parsed) ? 0 : parsed;
  };
  const sign = direction === 'asc' ? 1 : -1;
  return [...tickets].sort((a, b) => sign * (time(a) - time(b)) || sign * (Number(a.id) - Number(b.id)));
}

function withTicket(context: RouteContext, handle: (ticket: Record<string, unknown>, id: number) => FakeReply): FakeReply {
  const id = routeId(context.params);
  const ticket = id === undefined ? undefined : context.tenant.tickets.get(id);
  return ticket === undefined || id === undefined ? NOT_FOUND() : handle(ticket, id);
}

const ROUTES: FakeRoute[] = [
  { method: 'GET', pattern: '/api/account', handle: ({ tenant }) => jsonReply(200, tenant.account) },
  {
    method: 'GET',
    pattern: '/api/tickets',
    handle: ({ tenant, request }) => {
      let tickets = [...tenant.tickets.values()];
      const { customer_id: customerId } = request.query;
      if (customerId !== undefined) {
        if (!/^\d+$/.test(customerId)) return BAD_REQUEST('customer_id must be an integer.');
        tickets = tickets.filter((ticket) => isRecord(ticket.customer) && ticket.customer.id === Number(customerId));
      }
      const sorted = sortTickets(tickets, request.query.order_by ?? 'created_datetime:desc');
      if (sorted === undefined) return BAD_REQUEST('Invalid order_by.');
      return paginate(sorted.map(listItem), request);
    },
  },
  {
    method: 'POST',
    pattern: '/api/tickets',
    handle: ({ tenant, request }) => {
      const body = readBody(request);
      if (body === undefined) return BAD_REQUEST('Invalid JSON body.');
      const messages = body.messages;
      if (!Array.isArray(messages) || messages.length < 1 || messages.length > 500) {
        return BAD_REQUEST('messages: between 1 and 500 messages are required.');
      }
      if (!messages.every((message) => isRecord(message) && typeof message.channel === 'string' && typeof message.from_agent === 'boolean')) {
        return BAD_REQUEST('messages: each message needs channel and from_agent.');
      }
      const first = messages[0] as Record<string, unknown>;
      const customerEmail = isRecord(body.customer) ? body.customer.email : isRecord(first.sender) ? first.sender.email : undefined;
      if (typeof customerEmail !== 'string' || customerEmail === '') return BAD_REQUEST('customer: an email is required.');
      const ticket = createTicket(tenant, {
        subject: typeof body.subject === 'string' ? body.subject : undefined,
        channel: typeof body.channel === 'string' ? body.channel : 'api',
        via: typeof body.via === 'string' ? body.via : 'api',
        customer: { email: customerEmail },
        messages: (messages as Record<string, unknown>[]).map((message) => ({
          text: typeof message.body_text === 'string' ? message.body_text : '',
          fromAgent: message.from_agent === true,
          channel: String(message.channel),
          senderEmail: isRecord(message.sender) && typeof message.sender.email === 'string' ? message.sender.email : undefined,
        })),
      });
      return jsonReply(201, ticket);
    },
  },
  { method: 'GET', pattern: '/api/tickets/:id', handle: (context) => withTicket(context, (ticket) => jsonReply(200, ticket)) },
  {
    method: 'PUT',
    pattern: '/api/tickets/:id',
    handle: (context) =>
      withTicket(context, (ticket) => {
        const body = readBody(context.request);
        if (body === undefined) return BAD_REQUEST('Invalid JSON body.');
        if (body.status !== undefined && body.status !== 'open' && body.status !== 'closed') return BAD_REQUEST('status: must be open or closed.');
        if (body.subject !== undefined && typeof body.subject !== 'string') return BAD_REQUEST('subject: must be a string.');
        if (typeof body.status === 'string') {
          ticket.status = body.status;
          ticket.closed_datetime = body.status === 'closed' ? gorgiasDatetime(context.tenant.clockMs + 60_000) : null;
        }
        if (typeof body.subject === 'string') ticket.subject = body.subject;
        // As documented: tags sent here replace all of the ticket's tags.
        if (Array.isArray(body.tags)) {
          const names = body.tags.filter(isRecord).map((tag) => String(tag.name));
          ticket.tags = names.map((name) => ({ id: tagId(context.tenant, name), name }));
        }
        touch(context.tenant, ticket);
        return jsonReply(200, ticket);
      }),
  },
  {
    method: 'DELETE',
    pattern: '/api/tickets/:id',
    handle: (context) =>
      withTicket(context, (_ticket, id) => {
        context.tenant.tickets.delete(id);
        return { status: 204 };
      }),
  },
  {
    method: 'POST',
    pattern: '/api/tickets/:id/tags',
    handle: (context) =>
      withTicket(context, (ticket) => {
        const body = readBody(context.request);
        if (body === undefined) return BAD_REQUEST('Invalid JSON body.');
        const { names, ids } = body;
        if (names === undefined && ids === undefined) return BAD_REQUEST('ids or names is required.');
        if (names !== undefined && !(Array.isArray(names) && names.every((name) => typeof name === 'string' && name !== ''))) {
          return BAD_REQUEST('names: must be a list of tag names.');
        }
        const byId = new Map([...context.tenant.tagIds].map(([name, id]) => [id, name]));
        if (ids !== undefined && !(Array.isArray(ids) && ids.every((id) => byId.has(id as number)))) return BAD_REQUEST('ids: unknown tag.');
        const adding = [...((names as string[] | undefined) ?? []), ...((ids as number[] | undefined) ?? []).map((id) => byId.get(id) as string)];
        const current = tagNames(ticket);
        for (const name of adding) {
          if (!current.includes(name)) current.push(name);
        }
        ticket.tags = current.map((name) => ({ id: tagId(context.tenant, name), name }));
        touch(context.tenant, ticket);
        return { status: 201 };
      }),
  },
  {
    method: 'GET',
    pattern: '/api/customers',
    handle: ({ tenant, request }) => {
      const { email } = request.query;
      const customers = [...tenant.customers.values()].filter((customer) => email === undefined || sameEmail(customer.email, email));
      return paginate(customers, request);
    },
  },
  {
    method: 'GET',
    pattern: '/api/customers/:id',
    handle: ({ tenant, params }) => {
      const id = routeId(params);
      const customer = id === undefined ? undefined : tenant.customers.get(id);
      return customer === undefined ? NOT_FOUND() : jsonReply(200, customer);
    },
  },
  {
    method: 'POST',
    pattern: '/api/customers',
    handle: ({ tenant, request }) => {
      const body = readBody(request);
      if (body === undefined) return BAD_REQUEST('Invalid JSON body.');
      if (body.email !== undefined && typeof body.email !== 'string') return BAD_REQUEST('email: must be a string.');
      if (typeof body.email === 'string' && findCustomerByEmail(tenant, body.email) !== undefined) {
        return jsonReply(409, { error: { msg: 'A customer with this email already exists.' } });
      }
      const customer = createCustomer(tenant, {
        email: body.email,
        name: typeof body.name === 'string' ? body.name : undefined,
        firstname: typeof body.firstname === 'string' ? body.firstname : undefined,
        lastname: typeof body.lastname === 'string' ? body.lastname : undefined,
      });
      return jsonReply(201, customer);
    },
  },
];

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
  private readonly rateLimits = new Map<string, FakeRateLimit & { acceptedAt: number[] }>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: http.Server | undefined;
  private boundPort: number | undefined;
  /** Requests received on each connection, for 'drop-if-reused'. */
  private readonly requestsOnSocket = new WeakMap<object, number>();

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
      tickets: new Map(),
      customers: new Map(),
      tagIds: new Map(),
      nextId: 1000,
      clockMs: Date.now(),
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

  /** Seeds a ticket (and its customer, when new); returns the live JSON the routes answer with. */
  addTicket(subdomain: string, seed: FakeTicketSeed = {}): Record<string, unknown> {
    return createTicket(this.tenant(subdomain), seed);
  }

  /** Seeds a customer; returns the live JSON the routes answer with. */
  addCustomer(subdomain: string, seed: FakeCustomerSeed): Record<string, unknown> {
    return createCustomer(this.tenant(subdomain), seed);
  }

  ticket(subdomain: string, id: number): Record<string, unknown> | undefined {
    return this.tenant(subdomain).tickets.get(id);
  }

  customer(subdomain: string, id: number): Record<string, unknown> | undefined {
    return this.tenant(subdomain).customers.get(id);
  }

  /**
   * Beyond `max` requests in any `windowMs` (sliding), requests to this subdomain are answered 429
   * with Retry-After and X-Gorgias-Account-Api-Call-Limit, as Gorgias does. Refused requests do not
   * count against the budget. `undefined` lifts the limit.
   */
  setRateLimit(subdomain: string, limit: FakeRateLimit | undefined): void {
    if (limit === undefined) {
      this.rateLimits.delete(subdomain);
      return;
    }
    this.rateLimits.set(subdomain, { ...limit, acceptedAt: [] });
  }

  /** The most requests to this subdomain that arrived within any `windowMs` (a half-open sliding window). */
  busiestWindow(subdomain: string, windowMs: number): number {
    const times = this.requests.filter((request) => request.subdomain === subdomain).map((request) => request.receivedAt);
    times.sort((a, b) => a - b);
    let busiest = 0;
    let start = 0;
    for (let end = 0; end < times.length; end += 1) {
      while (times[start] <= times[end] - windowMs) start += 1;
      busiest = Math.max(busiest, end - start + 1);
    }
    return busiest;
  }

  private tenant(subdomain: string): FakeTenant {
    const tenant = this.tenants.get(subdomain);
    if (!tenant) throw new Error(`FakeGorgias has no account ${subdomain}; call addAccount first.`);
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

  /**
   * Resolves once every connection to the fake has closed (or after `timeoutMs`). A test that closed its
   * client waits for this before the next test resets the fake, so a request still in the server's
   * buffers (a busy machine can time a call out before the server reads it) cannot land in the next test.
   */
  async waitUntilIdle(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Clears requests, accounts (with their tickets and customers), behaviours, rate limits and the connection count; the server keeps running. */
  reset(): void {
    this.requests.length = 0;
    this.tenants.clear();
    this.clearBehaviours();
    this.rateLimits.clear();
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
        receivedAt: performance.now(),
        rateLimited: false,
      };
      this.requests.push(request);
      const limitHeaders = this.countAgainstRateLimit(request);
      if (request.rateLimited) {
        this.send(res, jsonReply(429, { error: { msg: 'Too many requests.' } }, limitHeaders));
        return;
      }
      const onThisSocket = (this.requestsOnSocket.get(req.socket) ?? 0) + 1;
      this.requestsOnSocket.set(req.socket, onThisSocket);
      const behaviour = this.takeBehaviour(subdomain);
      if (behaviour === 'apply-then-hang' || behaviour === 'apply-then-502') {
        this.answer(request);
        if (behaviour === 'apply-then-502') this.send(res, htmlPage(502, 'Bad gateway'));
      } else if (behaviour !== undefined && (behaviour !== 'drop-if-reused' || onThisSocket > 1)) {
        this.perform(behaviour, req, res);
      } else {
        const reply = this.answer(request);
        this.send(res, { ...reply, headers: { ...reply.headers, ...limitHeaders } });
      }
    });
  }

  /** Marks the request as refused when over the limit; returns the headers Gorgias would add. */
  private countAgainstRateLimit(request: RecordedRequest): Record<string, string> {
    const limit = this.rateLimits.get(request.subdomain);
    if (limit === undefined) return {};
    const now = request.receivedAt;
    while (limit.acceptedAt.length > 0 && limit.acceptedAt[0] <= now - limit.windowMs) limit.acceptedAt.shift();
    if (limit.acceptedAt.length >= limit.max) {
      request.rateLimited = true;
      const retryAfterSeconds = Math.max(1, Math.ceil((limit.acceptedAt[0] + limit.windowMs - now) / 1000));
      return { 'retry-after': String(retryAfterSeconds), 'x-gorgias-account-api-call-limit': `${limit.acceptedAt.length}/${limit.max}` };
    }
    limit.acceptedAt.push(now);
    return { 'x-gorgias-account-api-call-limit': `${limit.acceptedAt.length}/${limit.max}` };
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
      case 'apply-then-hang':
      case 'apply-then-502':
        throw new Error(`${behaviour} is carried out in onRequest, where the request is known.`);
      case 'destroy':
      case 'drop-if-reused':
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
