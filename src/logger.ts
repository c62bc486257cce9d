/**
 * Structured logging (pino). Secrets are kept out twice over: the bot never hands a user's message text,
 * a key or a header to the logger, and these redaction paths catch the field names a secret would travel
 * under should someone log one by mistake later.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

export const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'Authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.Authorization',
  '*.headers.Authorization',
  'text',
  '*.text',
  'value',
  '*.value',
  'MicrosoftAppPassword',
  'connectionString',
  '*.connectionString',
  'sealedKey',
  '*.sealedKey',
  'body',
  '*.body',
];

const BASIC_CREDENTIALS = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{6,}/g;

/** Only the safe parts of an error: libraries attach requests, headers and bodies to theirs. */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: scrub(String(error)) };
  const code = (error as { code?: unknown }).code;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  return {
    type: error.name,
    message: scrub(error.message),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
    stack: error.stack ? scrub(error.stack) : undefined,
  };
}

function scrub(text: string): string {
  return text.replace(BASIC_CREDENTIALS, '$1 [Redacted]');
}

/**
 * restify (which logs through this logger, see server.ts) hands over whole request and response objects;
 * their headers hold the Bot Framework token and their bodies the user's message. Keep the route only.
 */
function serializeRequest(request: unknown): Record<string, unknown> {
  const candidate = request as { method?: unknown; url?: unknown } | null;
  const url = typeof candidate?.url === 'string' ? candidate.url.split('?')[0] : undefined;
  return { method: typeof candidate?.method === 'string' ? candidate.method : undefined, url };
}

function serializeResponse(response: unknown): Record<string, unknown> {
  const statusCode = (response as { statusCode?: unknown } | null)?.statusCode;
  return { statusCode: typeof statusCode === 'number' ? statusCode : undefined };
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'gorgias-bot',
      level,
      redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
      serializers: { err: serializeError, error: serializeError, req: serializeRequest, res: serializeResponse },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
