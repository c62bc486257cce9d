/**
 * The logger's last line of defence: should a secret ever be handed to it under a usual name, or inside
 * an error or a request object, it does not reach the output.
 */
import { createLogger } from '../../src/logger';

const KEY = 'logger-secret-key-13579bdf';
const TOKEN = Buffer.from(`agent@acme.com:${KEY}`).toString('base64');

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('trace', { write: (line: string) => void lines.push(line) }) };
}

describe('createLogger redaction', () => {
  test.each([
    ['apiKey', { apiKey: KEY }],
    ['a nested apiKey', { credentials: { apiKey: KEY } }],
    ['key', { key: KEY }],
    ['password', { profile: { password: KEY } }],
    ['an Authorization header', { headers: { Authorization: `Basic ${TOKEN}` } }],
    ['a nested authorization header', { request: { headers: { authorization: `Basic ${TOKEN}` } } }],
    ['the text of a message', { activity: { text: KEY } }],
    ['the value of a card', { activity: { value: { apiKey: KEY } } }],
    ['a sealed key', { profile: { sealedKey: `v1.abcd1234.${KEY}` } }],
    ['a body', { body: `{"text":"${KEY}"}` }],
  ])('%s is redacted', (_name, fields) => {
    const { lines, logger } = capture();
    logger.info(fields, 'something happened');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(KEY);
    expect(lines[0]).not.toContain(TOKEN);
    expect(lines[0]).toContain('[Redacted]');
  });

  test('an error keeps its type, message and code, drops what libraries attach, and scrubs credentials in its text', () => {
    const { lines, logger } = capture();
    const error = Object.assign(new Error(`Request failed with header Authorization: Basic ${TOKEN}`), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: `Basic ${TOKEN}` }, auth: { username: 'agent@acme.com', password: KEY } },
      request: { _header: `GET /api/account HTTP/1.1\r\nAuthorization: Basic ${TOKEN}` },
      response: { data: KEY },
    });
    logger.error({ err: error }, 'call failed');
    const entry = JSON.parse(lines[0] ?? '{}') as { err: Record<string, unknown> };
    expect(entry.err).toMatchObject({ type: 'Error', code: 'ECONNRESET' });
    expect(entry.err.message).toContain('Basic [Redacted]');
    expect(Object.keys(entry.err).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(lines[0]).not.toContain(KEY);
    expect(lines[0]).not.toContain(TOKEN);
  });

  test('request and response objects (as restify logs them) keep only method, path and status', () => {
    const { lines, logger } = capture();
    const req = { method: 'POST', url: '/api/messages?token=abc', headers: { authorization: `Bearer ${TOKEN}` }, body: { text: KEY } };
    const res = { statusCode: 401, req, _headers: { 'set-cookie': KEY } };
    logger.warn({ req, res }, 'error retrieving formatter');
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry.req).toEqual({ method: 'POST', url: '/api/messages' });
    expect(entry.res).toEqual({ statusCode: 401 });
    expect(lines[0]).not.toContain(KEY);
    expect(lines[0]).not.toContain(TOKEN);
  });
});
