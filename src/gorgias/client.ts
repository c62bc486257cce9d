import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponseHeaders, type RawAxiosResponseHeaders } from 'axios';
import type { GorgiasAccount, GorgiasCredentials, GorgiasFailure, GorgiasResult } from './types';
import { buildGorgiasUrl, isValidSubdomain, validateUrlTemplate } from './urls';

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
}

const DEFAULT_AUTH_CHECK_PATH = '/api/account';
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_RETRY_AFTER_SECONDS = 20;
const MIN_RETRY_AFTER_SECONDS = 1;
const MAX_RETRY_AFTER_SECONDS = 3600;
const MAX_MESSAGE_LENGTH = 200;

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED', 'ABORT_ERR', 'UND_ERR_CONNECT_TIMEOUT']);

/** e.g. `gorgias-bot/0.1.0 (+Bot Framework; node/20.x)`. Only the major Node version is disclosed. */
export function userAgentFor(name: string, version: string): string {
  const nodeMajor = process.versions.node.split('.')[0];
  return `${name}/${version} (+Bot Framework; node/${nodeMajor}.x)`;
}

function fail<T>(failure: GorgiasFailure): GorgiasResult<T> {
  return { ok: false, failure };
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

/** Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfterSeconds(header: unknown, nowMs: number = Date.now()): number {
  const clamp = (seconds: number): number =>
    Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, Math.ceil(seconds)));
  if (typeof header !== 'string') return DEFAULT_RETRY_AFTER_SECONDS;
  const value = header.trim();
  if (/^\d+$/.test(value)) return clamp(Number(value));
  // All HTTP-date forms start with a day name; without this guard Date.parse accepts "1.5".
  if (/^[A-Za-z]{3,9},?\s/.test(value)) {
    const dateMs = Date.parse(value);
    if (!Number.isNaN(dateMs)) return clamp((dateMs - nowMs) / 1000);
  }
  return DEFAULT_RETRY_AFTER_SECONDS;
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
  message = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
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
  private readonly axiosInstance: AxiosInstance;
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
    });
  }

  /** Checks the email and key against the account; the usual first call after a user pastes them. */
  verifyAccount(creds: GorgiasCredentials): Promise<GorgiasResult<GorgiasAccount>> {
    return this.request(creds, 'GET', this.authCheckPath, { parse: parseAccount, notFoundMeans: 'no_account' });
  }

  /** Releases pooled sockets. Later calls fail as `unavailable` without touching the network. */
  close(): void {
    this.closed = true;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  // Will be used by the ticket and customer calls; kept generic so each call is a parser and a path.
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
      });
    } catch (error) {
      return fail(classifyTransportError(error));
    }

    return classifyResponse(response.status, response.headers, response.data, options, [
      creds.apiKey,
      basicToken,
    ]);
  }
}

function classifyResponse<T>(
  status: number,
  headers: AxiosResponseHeaders | RawAxiosResponseHeaders,
  text: unknown,
  options: RequestOptions<T>,
  secrets: readonly string[],
): GorgiasResult<T> {
  const isAuthCheck = options.notFoundMeans === 'no_account';
  if (status >= 200 && status < 300) {
    const body = parseJsonBody(text);
    if (!body.isJson || (body.value === undefined && options.parse(undefined) === undefined)) {
      return fail(isAuthCheck ? { kind: 'no_account', reason: 'not_json' } : { kind: 'bad_response', reason: 'not_json' });
    }
    const value = options.parse(body.value);
    if (value === undefined) return fail({ kind: 'bad_response', reason: 'unexpected_shape' });
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
