import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type CreateAxiosDefaults, type AxiosResponseHeaders, type RawAxiosResponseHeaders } from 'axios';
import {
  isValidId,
  parseCustomer,
  parseList,
  parseTicketDetail,
  parseTicketSummary,
  sameEmail,
  type Customer,
  type TicketDetail,
  type TicketOrder,
  type TicketPage,
  type TicketStatusChange,
  type TicketSummary,
} from './models';
import { AccountRateLimiter, GORGIAS_API_KEY_BUDGET, type RateBudget } from './rateLimiter';
import type { BadResponseReason, GorgiasAccount, GorgiasCredentials, GorgiasFailure, GorgiasResult } from './types';
import { apiPath, buildGorgiasUrl, isValidSubdomain, validateUrlTemplate } from './urls';

export interface GorgiasClientOptions {
  /** e.g. `https://{subdomain}.gorgias.com`; see validateUrlTemplate. */
  urlTemplate: string;
  /** Wall-clock limit for a whole call, from connect to the last byte of the body. */
  timeoutMs: number;
  /** Defaults to `/api/account`, the check every known Gorgias integration uses. */
  authCheckPath?: string;
  userAgent: string;
  /** Defaults to 1 MiB; larger (decompressed) bodies are refused as `too_large`. */
  maxResponseBytes?: number;
  /**
   * Requests allowed per account (subdomain) and window; defaults to Gorgias's API-key limit of 40
   * per 20 000 ms. Calls beyond it wait in a queue shared by every conversation using this client.
   */
  rateLimit?: RateBudget;
  /**
   * A call whose expected wait in that queue is longer than this fails at once as `rate_limited`
   * (with the expected wait as `retryAfterSeconds`) instead of keeping the user waiting. Default 30 000.
   */
  maxQueueWaitMs?: number;
  /** Waits longer than this are reported through `CallOptions.onQueued`. Default 2 000. */
  busyNoticeMs?: number;
  /**
   * A read (GET) answered 429 with a Retry-After of at most this many seconds is retried once after
   * waiting that long. Writes are never retried. Default 5; 0 turns the retry off.
   *
   * It is also the longest any call waits for an account that Gorgias's Retry-After holds (see
   * request): a longer hold fails at once as `rate_limited`, with the seconds left.
   */
  maxAutoRetryAfterSeconds?: number;
  /** The host name lookup; node's `dns.lookup` by default. Tests pass one that never leaves the machine. */
  lookup?: CreateAxiosDefaults['lookup'];
}

/** Per-call options; every public method takes them as its last, optional argument. */
export interface CallOptions {
  /**
   * Called at most once per call, with the expected wait in milliseconds, when the call has to wait
   * longer than `busyNoticeMs` (for the account's rate budget, or before retrying after a 429), so
   * the bot can tell the user it is busy. Errors thrown (or rejected) by the callback are ignored.
   */
  onQueued?: (waitMs: number) => void;
}

export interface ListTicketsOptions {
  /** 1 to 100; default 5. */
  limit?: number;
  /** `nextCursor` from the previous page. */
  cursor?: string;
  /** Default `updated_datetime:desc` (most recently updated first). */
  orderBy?: TicketOrder;
}

export interface NewTicket {
  customerEmail: string;
  subject: string;
  /** The customer's first message, as plain text. */
  message: string;
}

export interface NewCustomer {
  name: string;
  email: string;
}

/** The answer to a successful delete or tag call: what was acted on. */
export interface TicketTagsAdded {
  ticketId: number;
  tags: string[];
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Whether a 404 (or, on the auth check, a redirect or non-JSON body) means "no such account". */
type NotFoundMeaning = 'no_account' | 'not_found';

interface RequestOptions<T> {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Returns the value, or undefined when the JSON does not have the expected shape. */
  parse: (json: unknown) => T | undefined;
  notFoundMeans: NotFoundMeaning;
  call?: CallOptions;
}

const DEFAULT_AUTH_CHECK_PATH = '/api/account';
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_RETRY_AFTER_SECONDS = 20;
const MIN_RETRY_AFTER_SECONDS = 1;
const MAX_RETRY_AFTER_SECONDS = 3600;
const MAX_MESSAGE_LENGTH = 200;
const DEFAULT_MAX_QUEUE_WAIT_MS = 30_000;
const DEFAULT_BUSY_NOTICE_MS = 2_000;
const DEFAULT_MAX_AUTO_RETRY_AFTER_SECONDS = 5;
const DEFAULT_TICKET_PAGE_SIZE = 5;
const MAX_PAGE_SIZE = 100;
/** Gorgias cursors are short opaque tokens; a longer one did not come from Gorgias. */
const MAX_CURSOR_LENGTH = 1024;
/** Gorgias limits tag names to 256 characters. */
const MAX_TAG_LENGTH = 256;

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED', 'ABORT_ERR', 'UND_ERR_CONNECT_TIMEOUT']);

/** e.g. `gorgias-bot/0.1.0 (+Bot Framework; node/20.x)`. Only the major Node version is disclosed. */
export function userAgentFor(name: string, version: string): string {
  const nodeMajor = process.versions.node.split('.')[0];
  return `${name}/${version} (+Bot Framework; node/${nodeMajor}.x)`;
}

function fail<T>(failure: GorgiasFailure): GorgiasResult<T> {
  return { ok: false, failure };
}

/** A call refused before anything was sent; status 0 means "never sent". */
function invalidInput<T>(message: string): GorgiasResult<T> {
  return fail({ kind: 'rejected', status: 0, message });
}

function isBlank(value: string): boolean {
  return value.trim() === '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type JsonBody = { isJson: true; value: unknown } | { isJson: false };

function parseJsonBody(text: unknown): JsonBody {
  if (typeof text !== 'string') return { isJson: false };
  // An empty body (e.g. 204) is "no JSON"; parsers that expect nothing can accept undefined.
  if (text.trim() === '') return { isJson: true, value: undefined };
  try {
    return { isJson: true, value: JSON.parse(text) as unknown };
  } catch {
    return { isJson: false };
  }
}

/** Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3); a default when it is neither. */
export function parseRetryAfterSeconds(header: unknown, nowMs: number = Date.now()): number {
  return readRetryAfterSeconds(header, nowMs) ?? DEFAULT_RETRY_AFTER_SECONDS;
}

/** Retry-After in seconds, clamped to 1 s .. 1 h; undefined when the header is missing or unreadable. */
function readRetryAfterSeconds(header: unknown, nowMs: number): number | undefined {
  const clamp = (seconds: number): number =>
    Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, Math.ceil(seconds)));
  if (typeof header !== 'string') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return clamp(Number(value));
  // All HTTP-date forms start with a day name; without this guard Date.parse accepts "1.5".
  if (/^[A-Za-z]{3,9},?\s/.test(value)) {
    const dateMs = Date.parse(value);
    if (!Number.isNaN(dateMs)) return clamp((dateMs - nowMs) / 1000);
  }
  return undefined;
}

function headerValue(headers: AxiosResponseHeaders | RawAxiosResponseHeaders, name: string): unknown {
  const value: unknown = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Gorgias explains 4xx errors as `{"error": {"msg": ...}}`; some endpoints use `message`. */
function gorgiasMessage(json: unknown, secrets: readonly string[]): string | undefined {
  if (!isRecord(json)) return undefined;
  const nested = isRecord(json.error) ? json.error.msg : undefined;
  const raw = typeof nested === 'string' ? nested : typeof json.message === 'string' ? json.message : undefined;
  if (raw === undefined) return undefined;
  let message = raw;
  // A misbehaving server or proxy could echo the request; the message is shown to people.
  for (const secret of secrets) {
    if (secret !== '') message = message.split(secret).join('[redacted]');
  }
  // Invisible and bidi formatting characters too: this text ends up inside the bot's own sentences.
  message = message
    .replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (message === '') return undefined;
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message;
}

function errorCode(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined;
  if (typeof error.code === 'string') return error.code;
  // Node sometimes wraps the system error (e.g. AggregateError from happy-eyeballs connects).
  if (isRecord(error.cause) && typeof error.cause.code === 'string') return error.cause.code;
  return undefined;
}

/**
 * The server closed a kept-alive connection just as it was reused (its idle timeout and our request
 * crossed): the documented hazard of Node's keep-alive agents (`request.reusedSocket`), seen here about
 * once in fifteen `npm run bench` runs. The request got no answer at all.
 */
function droppedOnReusedConnection(error: unknown): boolean {
  const request = (error as { request?: { reusedSocket?: unknown } } | null)?.request;
  if (request?.reusedSocket !== true) return false;
  const code = errorCode(error);
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * Reduces a thrown transport error to a failure. Only the code and message are inspected; the
 * error itself (which holds the request config and its Authorization header) is dropped here.
 */
function classifyTransportError(error: unknown): GorgiasFailure {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : '';
  if (/maxContentLength size of \d+ exceeded/.test(message)) {
    return { kind: 'bad_response', reason: 'too_large' };
  }
  // The only abort signal is our own deadline, so a cancellation is a timeout.
  if ((code !== undefined && TIMEOUT_CODES.has(code)) || axios.isCancel(error)) {
    return { kind: 'unavailable', reason: 'timeout' };
  }
  if (code === 'ENOTFOUND') {
    return { kind: 'no_account', reason: 'dns' };
  }
  // EAI_AGAIN is a resolver hiccup, not proof that the subdomain does not exist.
  return { kind: 'unavailable', reason: 'connection' };
}

export class GorgiasClient {
  private readonly urlTemplate: string;
  private readonly timeoutMs: number;
  private readonly authCheckPath: string;
  private readonly userAgent: string;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** For a read sent again after a dropped keep-alive connection: the pool's other idle ones may be stale too. */
  private readonly oneOffHttpAgent = new http.Agent({ keepAlive: false });
  private readonly oneOffHttpsAgent = new https.Agent({ keepAlive: false });
  private readonly axiosInstance: AxiosInstance;
  private readonly rateLimiter: AccountRateLimiter;
  private readonly maxQueueWaitMs: number;
  private readonly busyNoticeMs: number;
  private readonly maxAutoRetryAfterSeconds: number;
  /** Wakes calls sleeping before a retry, so close() does not leave them (or their timers) behind. */
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  constructor(options: GorgiasClientOptions) {
    const templateError = validateUrlTemplate(options.urlTemplate);
    if (templateError !== undefined) throw new Error(templateError);
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new Error('timeoutMs must be a positive number.');
    }
    const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes <= 0) {
      throw new Error('maxResponseBytes must be a positive integer.');
    }
    // Node refuses control characters in headers at request time; refusing here gives a clear error.
    if (!/^[\x20-\x7e]+$/.test(options.userAgent)) {
      throw new Error('userAgent must be printable ASCII.');
    }
    const nonNegative = (value: number | undefined, fallback: number, name: string): number => {
      const chosen = value ?? fallback;
      if (!Number.isFinite(chosen) || chosen < 0) throw new Error(`${name} must be a non-negative number.`);
      return chosen;
    };
    this.maxQueueWaitMs = nonNegative(options.maxQueueWaitMs, DEFAULT_MAX_QUEUE_WAIT_MS, 'maxQueueWaitMs');
    this.busyNoticeMs = nonNegative(options.busyNoticeMs, DEFAULT_BUSY_NOTICE_MS, 'busyNoticeMs');
    this.maxAutoRetryAfterSeconds = nonNegative(
      options.maxAutoRetryAfterSeconds,
      DEFAULT_MAX_AUTO_RETRY_AFTER_SECONDS,
      'maxAutoRetryAfterSeconds',
    );
    this.rateLimiter = new AccountRateLimiter({ budget: options.rateLimit ?? GORGIAS_API_KEY_BUDGET });
    const authCheckPath = options.authCheckPath ?? DEFAULT_AUTH_CHECK_PATH;
    // Building once with a sample subdomain proves the path is acceptable before any real call.
    buildGorgiasUrl(options.urlTemplate, 'example', authCheckPath);

    this.urlTemplate = options.urlTemplate;
    this.timeoutMs = options.timeoutMs;
    this.authCheckPath = authCheckPath;
    this.userAgent = options.userAgent;
    this.httpAgent = new http.Agent({ keepAlive: true });
    this.httpsAgent = new https.Agent({ keepAlive: true });
    this.axiosInstance = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      maxRedirects: 0,
      proxy: false,
      validateStatus: () => true,
      responseType: 'text',
      responseEncoding: 'utf8',
      // Raw text in, JSON parsed by us: an HTML page from a wrong host must stay recognisable.
      transformResponse: [(data: unknown) => data],
      maxContentLength: maxResponseBytes,
      maxBodyLength: maxResponseBytes,
      timeout: options.timeoutMs,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
  }

  /** Checks the email and key against the account; the usual first call after a user pastes them. */
  verifyAccount(creds: GorgiasCredentials, call?: CallOptions): Promise<GorgiasResult<GorgiasAccount>> {
    return this.request(creds, 'GET', this.authCheckPath, { parse: parseAccount, notFoundMeans: 'no_account', call });
  }

  /** `GET /api/tickets`: one page of tickets, most recently updated first unless `orderBy` says otherwise. */
  listTickets(creds: GorgiasCredentials, options: ListTicketsOptions = {}, call?: CallOptions): Promise<GorgiasResult<TicketPage>> {
    const { cursor } = options;
    if (cursor !== undefined && !isPlausibleCursor(cursor)) return Promise.resolve(invalidInput('That page marker is not valid.'));
    return this.request(creds, 'GET', apiPath('tickets'), {
      query: { limit: pageSize(options.limit), order_by: options.orderBy ?? 'updated_datetime:desc', cursor },
      parse: parseTicketPage,
      notFoundMeans: 'not_found',
      call,
    });
  }

  /** `GET /api/tickets/{id}`: the full ticket, with its last message. */
  getTicket(creds: GorgiasCredentials, id: number, call?: CallOptions): Promise<GorgiasResult<TicketDetail>> {
    if (!isValidId(id)) return Promise.resolve(invalidTicketId());
    return this.request(creds, 'GET', apiPath('tickets', id), { parse: parseTicketDetail, notFoundMeans: 'not_found', call });
  }

  /**
   * `POST /api/tickets`: a ticket opened by the customer, with their first message. Never retried:
   * after a timeout or a 5xx the ticket may exist, and a `bad_response` with `writeAccepted` means it does.
   */
  createTicket(creds: GorgiasCredentials, ticket: NewTicket, call?: CallOptions): Promise<GorgiasResult<TicketDetail>> {
    if (isBlank(ticket.customerEmail) || isBlank(ticket.subject) || isBlank(ticket.message)) {
      return Promise.resolve(invalidInput('A new ticket needs the customer email, a subject and a message.'));
    }
    const customerEmail = ticket.customerEmail.trim();
    const body = {
      channel: 'api',
      via: 'api',
      from_agent: false,
      subject: ticket.subject.trim(),
      customer: { email: customerEmail },
      messages: [
        {
          channel: 'api',
          via: 'api',
          from_agent: false,
          sender: { email: customerEmail },
          body_text: ticket.message,
        },
      ],
    };
    return this.request(creds, 'POST', apiPath('tickets'), { body, parse: parseTicketDetail, notFoundMeans: 'not_found', call });
  }

  /**
   * `PUT /api/tickets/{id}` with only the status. The answer is the updated ticket; when Gorgias
   * sends none the status code alone says it worked, so the requested status is reported.
   */
  setTicketStatus(
    creds: GorgiasCredentials,
    id: number,
    status: TicketStatusChange,
    call?: CallOptions,
  ): Promise<GorgiasResult<TicketDetail>> {
    if (!isValidId(id)) return Promise.resolve(invalidTicketId());
    if (status !== 'open' && status !== 'closed') return Promise.resolve(invalidInput('A ticket can only be opened or closed.'));
    return this.request(creds, 'PUT', apiPath('tickets', id), {
      body: { status },
      parse: (json) => parseTicketDetail(json) ?? { id, status, tags: [] },
      notFoundMeans: 'not_found',
      call,
    });
  }

  /** `POST /api/tickets/{id}/tags` with `names`: adds the tags (Gorgias creates unknown ones), keeps the others. */
  addTicketTags(creds: GorgiasCredentials, id: number, tags: string[], call?: CallOptions): Promise<GorgiasResult<TicketTagsAdded>> {
    if (!isValidId(id)) return Promise.resolve(invalidTicketId());
    const names = [...new Set(tags.map((tag) => tag.trim()))];
    if (names.length === 0 || names.some((name) => name === '' || name.length > MAX_TAG_LENGTH)) {
      return Promise.resolve(invalidInput(`A tag needs a name of 1 to ${MAX_TAG_LENGTH} characters.`));
    }
    return this.request(creds, 'POST', apiPath('tickets', id, 'tags'), {
      body: { names },
      // Gorgias answers 201 without a body.
      parse: () => ({ ticketId: id, tags: names }),
      notFoundMeans: 'not_found',
      call,
    });
  }

  /** `DELETE /api/tickets/{id}`. */
  deleteTicket(creds: GorgiasCredentials, id: number, call?: CallOptions): Promise<GorgiasResult<{ id: number }>> {
    if (!isValidId(id)) return Promise.resolve(invalidTicketId());
    return this.request(creds, 'DELETE', apiPath('tickets', id), { parse: () => ({ id }), notFoundMeans: 'not_found', call });
  }

  /**
   * `GET /api/customers?email=`: the customer with that email, or undefined. Only a customer whose
   * email really matches is returned, so a filter Gorgias ignored can never show someone else.
   */
  findCustomerByEmail(creds: GorgiasCredentials, email: string, call?: CallOptions): Promise<GorgiasResult<Customer | undefined>> {
    if (isBlank(email)) return Promise.resolve(invalidInput('Finding a customer needs an email address.'));
    const wanted = email.trim();
    return this.request(creds, 'GET', apiPath('customers'), {
      query: { email: wanted, limit: 10 },
      parse: (json) => {
        const list = parseList(json, parseCustomer);
        // `{ found }` because undefined is how a parser says "wrong shape".
        return list === undefined ? undefined : { found: list.items.find((customer) => sameEmail(customer.email, wanted)) };
      },
      notFoundMeans: 'not_found',
      call,
    }).then((result) => (result.ok ? { ok: true, value: result.value.found } : result));
  }

  /**
   * `GET /api/tickets?customer_id=`: the customer's tickets, most recently updated first unless
   * `orderBy` says otherwise. Tickets that name another customer are dropped, for the same reason as in
   * findCustomerByEmail.
   */
  listCustomerTickets(
    creds: GorgiasCredentials,
    customerId: number,
    options: Omit<ListTicketsOptions, 'cursor'> = {},
    call?: CallOptions,
  ): Promise<GorgiasResult<TicketPage>> {
    if (!isValidId(customerId)) return Promise.resolve(invalidInput('A customer id must be a positive whole number.'));
    return this.request(creds, 'GET', apiPath('tickets'), {
      query: { customer_id: customerId, limit: pageSize(options.limit), order_by: options.orderBy ?? 'updated_datetime:desc' },
      parse: (json) => {
        const page = parseTicketPage(json);
        if (page === undefined) return undefined;
        const tickets = page.tickets.filter((ticket) => ticket.customer?.id === customerId);
        return page.nextCursor === undefined ? { tickets } : { tickets, nextCursor: page.nextCursor };
      },
      notFoundMeans: 'not_found',
      call,
    });
  }

  /**
   * `POST /api/customers`. An email Gorgias already knows fails as `rejected` with status 409 (see
   * isConflict); find that customer with findCustomerByEmail.
   */
  createCustomer(creds: GorgiasCredentials, customer: NewCustomer, call?: CallOptions): Promise<GorgiasResult<Customer>> {
    if (isBlank(customer.name) || isBlank(customer.email)) {
      return Promise.resolve(invalidInput('A new customer needs a name and an email address.'));
    }
    return this.request(creds, 'POST', apiPath('customers'), {
      body: { name: customer.name.trim(), email: customer.email.trim() },
      parse: parseCustomer,
      notFoundMeans: 'not_found',
      call,
    });
  }

  /** Releases pooled sockets. Later calls, and calls still queued, fail as `unavailable` without touching the network. */
  close(): void {
    this.closed = true;
    this.rateLimiter.close();
    for (const wake of [...this.sleepers]) wake();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.oneOffHttpAgent.destroy();
    this.oneOffHttpsAgent.destroy();
  }

  /**
   * Every call goes through here: the account's rate budget, then the HTTP exchange, then (for a
   * read answered 429 with a short Retry-After) one retry. Never throws.
   *
   * A 429 with a Retry-After holds the whole account until then (AccountRateLimiter.hold), since
   * Gorgias counts the budget per account, shared with other integrations: sending anything sooner
   * only earns another 429. A call that finds the account held waits only as long as a read would
   * wait by itself after a 429 of its own (maxAutoRetryAfterSeconds, and never beyond
   * maxQueueWaitMs), announced through onQueued like any queue wait; a longer hold fails at once as
   * `rate_limited` with the seconds left, without a request, just as the 429 that began it was
   * reported. So everyone on that account hears the same "try again in N seconds", and nobody is
   * kept waiting half a minute on Gorgias's say-so.
   */
  private async request<T>(
    creds: GorgiasCredentials,
    method: HttpMethod,
    path: string,
    options: RequestOptions<T>,
  ): Promise<GorgiasResult<T>> {
    if (this.closed) return fail({ kind: 'unavailable', reason: 'connection' });
    if (!isValidSubdomain(creds.subdomain)) return fail({ kind: 'no_account', reason: 'not_found' });

    let url: string;
    try {
      url = buildGorgiasUrl(this.urlTemplate, creds.subdomain, path, options.query);
    } catch {
      // Only our own code chooses paths and queries, so this is a bug; status 0 means "never sent".
      return fail({ kind: 'rejected', status: 0, message: 'The request could not be built.' });
    }

    let busyNoticeSent = false;
    const onQueued = options.call?.onQueued;
    const noticeBusy = (waitMs: number): void => {
      if (busyNoticeSent || onQueued === undefined) return;
      busyNoticeSent = true;
      onQueued(waitMs);
    };

    let first = await this.sendWithinBudget(creds, method, url, options, noticeBusy);
    if (first.staleConnection && method === 'GET') {
      // A kept-alive connection the server had just closed: the request never got an answer. A read is
      // safe to send again, on a new connection of its own; a write might have been performed, so it is not.
      first = await this.sendWithinBudget(creds, method, url, options, noticeBusy, { newConnection: true });
    }
    if (!first.fromServer || first.result.ok || first.result.failure.kind !== 'rate_limited') return first.result;
    const retryAfterSeconds = first.result.failure.retryAfterSeconds;
    // A write that got a 429 was not performed, but retrying writes is never our call to make.
    if (method !== 'GET' || retryAfterSeconds > this.maxAutoRetryAfterSeconds) return first.result;

    const waitMs = retryAfterSeconds * 1000;
    if (waitMs > this.busyNoticeMs) notifySafely(noticeBusy, waitMs);
    await this.sleep(waitMs);
    if (this.closed) return fail({ kind: 'unavailable', reason: 'connection' });
    return (await this.sendWithinBudget(creds, method, url, options, noticeBusy)).result;
  }

  /**
   * One HTTP exchange inside a rate-budget slot. `fromServer` is false when the queue refused the call;
   * `staleConnection` is true when it failed on a reused keep-alive connection before any answer.
   */
  private async sendWithinBudget<T>(
    creds: GorgiasCredentials,
    method: HttpMethod,
    url: string,
    options: RequestOptions<T>,
    noticeBusy: (waitMs: number) => void,
    transport: { newConnection?: boolean } = {},
  ): Promise<{ result: GorgiasResult<T>; fromServer: boolean; staleConnection?: boolean }> {
    const slot = await this.rateLimiter.acquire(creds.subdomain, {
      maxWaitMs: this.maxQueueWaitMs,
      maxHoldWaitMs: Math.min(this.maxQueueWaitMs, this.maxAutoRetryAfterSeconds * 1000),
      longWaitMs: this.busyNoticeMs,
      onLongWait: noticeBusy,
    });
    if (!slot.ok) {
      // Refused for a long queue or a long hold alike: either way, nothing was sent.
      const result: GorgiasResult<T> =
        slot.reason === 'closed'
          ? fail({ kind: 'unavailable', reason: 'connection' })
          : fail({ kind: 'rate_limited', status: 429, retryAfterSeconds: Math.max(1, Math.ceil(slot.estimatedWaitMs / 1000)) });
      return { result, fromServer: false };
    }
    try {
      const { holdMs, ...sent } = await this.send(creds, method, url, options, transport);
      // Before the release, which would otherwise hand the slot to a waiting call at once.
      if (holdMs !== undefined) this.rateLimiter.hold(creds.subdomain, holdMs);
      return { ...sent, fromServer: true };
    } finally {
      slot.release();
    }
  }

  private async send<T>(
    creds: GorgiasCredentials,
    method: HttpMethod,
    url: string,
    options: RequestOptions<T>,
    transport: { newConnection?: boolean },
  ): Promise<{ result: GorgiasResult<T>; staleConnection?: boolean; holdMs?: number }> {
    // Checked again: the call may have waited in the queue while the client was closed.
    if (this.closed) return { result: fail({ kind: 'unavailable', reason: 'connection' }) };
    const basicToken = Buffer.from(`${creds.email}:${creds.apiKey}`, 'utf8').toString('base64');
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      Authorization: `Basic ${basicToken}`,
    };
    let data: string | undefined;
    if (options.body !== undefined) {
      data = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }

    let response;
    try {
      response = await this.axiosInstance.request<unknown>({
        method,
        url,
        data,
        headers,
        // axios's `timeout` is a socket idle timer; a server that trickles bytes never trips it.
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(transport.newConnection ? { httpAgent: this.oneOffHttpAgent, httpsAgent: this.oneOffHttpsAgent } : {}),
      });
    } catch (error) {
      let failure = classifyTransportError(error);
      // A 2xx to a write whose body was too large to read: performed all the same.
      if (failure.kind === 'bad_response' && method !== 'GET' && isSuccess(answeredStatus(error))) {
        failure = { ...failure, writeAccepted: true };
      }
      return { result: fail(failure), staleConnection: droppedOnReusedConnection(error) };
    }

    const result = classifyResponse(method, response.status, response.headers, response.data, options, [creds.apiKey, basicToken]);
    // Only a Retry-After Gorgias really sent holds the account, not the default guessed without one.
    const holdSeconds = response.status === 429 ? readRetryAfterSeconds(headerValue(response.headers, 'retry-after'), Date.now()) : undefined;
    return holdSeconds === undefined ? { result } : { result, holdMs: holdSeconds * 1000 };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

/** True for the failure of creating something Gorgias already has (a customer's email: 409). */
export function isConflict(failure: GorgiasFailure): boolean {
  return failure.kind === 'rejected' && failure.status === 409;
}

/** Calls a caller's callback without letting it break the call (see CallOptions.onQueued). */
function notifySafely(callback: (waitMs: number) => void, waitMs: number): void {
  try {
    const returned: unknown = callback(waitMs);
    if (returned instanceof Promise) returned.catch(() => undefined);
  } catch {
    // Telling the user about the wait is a courtesy; the call goes on.
  }
}

function invalidTicketId<T>(): GorgiasResult<T> {
  return invalidInput('A ticket id must be a positive whole number.');
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_TICKET_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

/** Cursors come back to us from card buttons, which a user can forge: keep them short and printable. */
function isPlausibleCursor(cursor: string): boolean {
  return cursor !== '' && cursor.length <= MAX_CURSOR_LENGTH && /^[\x21-\x7e]+$/.test(cursor);
}

function parseTicketPage(json: unknown): TicketPage | undefined {
  const list = parseList<TicketSummary>(json, parseTicketSummary);
  if (list === undefined) return undefined;
  return list.nextCursor === undefined ? { tickets: list.items } : { tickets: list.items, nextCursor: list.nextCursor };
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

/**
 * The status of an answer whose body then failed (too large), read from the error without keeping it.
 * axios attaches no response to that error, only the request, on which Node records the answer.
 */
function answeredStatus(error: unknown): number | undefined {
  const holder = error as { response?: { status?: unknown }; request?: { res?: { statusCode?: unknown } } } | null;
  const status = holder?.response?.status ?? holder?.request?.res?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function classifyResponse<T>(
  method: HttpMethod,
  status: number,
  headers: AxiosResponseHeaders | RawAxiosResponseHeaders,
  text: unknown,
  options: RequestOptions<T>,
  secrets: readonly string[],
): GorgiasResult<T> {
  const isAuthCheck = options.notFoundMeans === 'no_account';
  if (isSuccess(status)) {
    // A 2xx to a write means Gorgias did it; only the answer is unusable, and the caller must not send it again.
    const unreadable = (reason: BadResponseReason): GorgiasFailure =>
      method === 'GET' ? { kind: 'bad_response', reason } : { kind: 'bad_response', reason, writeAccepted: true };
    const body = parseJsonBody(text);
    if (!body.isJson || (body.value === undefined && options.parse(undefined) === undefined)) {
      return fail(isAuthCheck ? { kind: 'no_account', reason: 'not_json' } : unreadable('not_json'));
    }
    const value = options.parse(body.value);
    if (value === undefined) return fail(unreadable('unexpected_shape'));
    return { ok: true, value };
  }
  if (status >= 300 && status < 400) {
    return fail(isAuthCheck ? { kind: 'no_account', reason: 'redirect' } : { kind: 'bad_response', reason: 'unexpected_shape' });
  }
  switch (status) {
    case 401:
      return fail({ kind: 'unauthorized', status: 401 });
    case 403:
      return fail({ kind: 'forbidden', status: 403 });
    case 404:
      return fail(isAuthCheck ? { kind: 'no_account', reason: 'not_found' } : { kind: 'not_found', status: 404 });
    case 429:
      return fail({
        kind: 'rate_limited',
        status: 429,
        retryAfterSeconds: parseRetryAfterSeconds(headerValue(headers, 'retry-after')),
      });
  }
  if (status >= 500 && status < 600) {
    return fail({ kind: 'unavailable', reason: 'server_error', status });
  }
  if (status >= 400 && status < 500) {
    const body = parseJsonBody(text);
    const message = body.isJson ? gorgiasMessage(body.value, secrets) : undefined;
    return fail(message === undefined ? { kind: 'rejected', status } : { kind: 'rejected', status, message });
  }
  return fail({ kind: 'bad_response', reason: 'unexpected_shape' });
}

function parseAccount(json: unknown): GorgiasAccount | undefined {
  if (!isRecord(json) || typeof json.domain !== 'string' || json.domain === '') return undefined;
  const account: GorgiasAccount = { domain: json.domain };
  if (isRecord(json.status) && typeof json.status.status === 'string') {
    account.status = json.status.status;
  } else if (typeof json.status === 'string') {
    account.status = json.status;
  }
  if (typeof json.created_datetime === 'string') account.createdDatetime = json.created_datetime;
  return account;
}
