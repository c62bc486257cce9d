/**
 * The only place Gorgias URLs are made. A URL template such as `https://{subdomain}.gorgias.com`
 * (production) or `http://127.0.0.1:4010/{subdomain}` (tests, local fake) is combined with a
 * validated subdomain and an already-encoded absolute path.
 */
import { isLoopbackHost } from '../validation/loopback';

export const SUBDOMAIN_PLACEHOLDER = '{subdomain}';

const SUBDOMAIN_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Stands in for the placeholder while locating it: a valid host label and path segment that no
 * sensible template contains by itself.
 */
const PLACEHOLDER_MARKER = 'subdomain-placeholder-0f3a9c';

export function isValidSubdomain(subdomain: string): boolean {
  return SUBDOMAIN_PATTERN.test(subdomain);
}

/** Returns a sentence explaining what is wrong with the template, or undefined when it is usable. */
export function validateUrlTemplate(template: string): string | undefined {
  const occurrences = template.split(SUBDOMAIN_PLACEHOLDER).length - 1;
  if (occurrences !== 1) {
    return `The Gorgias URL template must contain ${SUBDOMAIN_PLACEHOLDER} exactly once.`;
  }
  if (/\s/.test(template)) {
    return 'The Gorgias URL template must not contain whitespace.';
  }
  // Checked on the raw text because the URL parser drops an empty `?` or `#`.
  if (template.includes('?') || template.includes('#')) {
    return 'The Gorgias URL template must not have a query or a fragment.';
  }
  let parsed: URL;
  try {
    parsed = new URL(template.replace(SUBDOMAIN_PLACEHOLDER, 'x'));
  } catch {
    return 'The Gorgias URL template is not a valid URL.';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return 'The Gorgias URL template must use https.';
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'The Gorgias URL template must not contain credentials.';
  }
  const located = new URL(template.replace(SUBDOMAIN_PLACEHOLDER, PLACEHOLDER_MARKER));
  const inHost = located.hostname.split('.').includes(PLACEHOLDER_MARKER);
  const inPath = located.pathname.split('/').includes(PLACEHOLDER_MARKER);
  if (!inHost && !inPath) {
    return `The Gorgias URL template must have ${SUBDOMAIN_PLACEHOLDER} as a whole host label or a whole path segment.`;
  }
  if (parsed.protocol === 'http:' && (inHost || !isLoopbackHost(parsed.hostname))) {
    return 'The Gorgias URL template must use https unless its host is a loopback address.';
  }
  return undefined;
}

/**
 * Builds `/api/...` from segments, each percent-encoded. Numbers must be non-negative integers
 * (ids; `0` is meaningful, e.g. `/api/users/0`).
 */
export function apiPath(...segments: (string | number)[]): string {
  const encoded = segments.map((segment) => {
    if (typeof segment === 'number') {
      if (!Number.isSafeInteger(segment) || segment < 0) {
        throw new Error('A numeric Gorgias path segment must be a non-negative integer.');
      }
      return String(segment);
    }
    // encodeURIComponent leaves dots alone, so `..` would otherwise climb out of /api.
    if (segment === '' || segment === '.' || segment === '..') {
      throw new Error('A Gorgias path segment must not be empty, "." or "..".');
    }
    return encodeURIComponent(segment);
  });
  return ['', 'api', ...encoded].join('/');
}

/**
 * Templates already found valid: checking one parses it as a URL twice, and every request of a process
 * uses the same one or two (from its settings). Bounded, in case a caller passes many.
 */
const VALID_TEMPLATES = new Set<string>();
const MAX_REMEMBERED_TEMPLATES = 16;

function rememberValidTemplate(template: string): void {
  if (VALID_TEMPLATES.size >= MAX_REMEMBERED_TEMPLATES) VALID_TEMPLATES.clear();
  VALID_TEMPLATES.add(template);
}

export function buildGorgiasUrl(
  template: string,
  subdomain: string,
  path: string,
  query?: Record<string, string | number | undefined>,
): string {
  if (!isValidSubdomain(subdomain)) {
    throw new Error('Refusing to build a Gorgias URL for an invalid subdomain.');
  }
  if (!VALID_TEMPLATES.has(template)) {
    const templateError = validateUrlTemplate(template);
    if (templateError !== undefined) {
      throw new Error(templateError);
    }
    rememberValidTemplate(template);
  }
  if (!/^(?:\/[^/?#\\]+)+\/?$/.test(path)) {
    throw new Error('A Gorgias path must be absolute, without empty segments, query or fragment.');
  }
  const base = template.replace(SUBDOMAIN_PLACEHOLDER, subdomain).replace(/\/+$/, '');
  const url = new URL(base + path);
  // The parser silently rewrites dot segments (also `%2e`) and re-encodes odd characters; any
  // rewrite means the caller's path is not what will be requested, so refuse rather than guess.
  const expectedPathname = new URL(base).pathname.replace(/\/+$/, '') + path;
  if (url.pathname !== expectedPathname) {
    throw new Error('A Gorgias path must be already encoded and free of dot segments.');
  }
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new Error(`The Gorgias query parameter ${name} must be a finite number.`);
    }
    url.searchParams.append(name, String(value));
  }
  return url.href;
}

/** Where an agent sees the ticket in Gorgias's web app. */
export function ticketWebUrl(template: string, subdomain: string, id: number | string): string {
  if (typeof id === 'number' && (!Number.isSafeInteger(id) || id < 0)) {
    throw new Error('A ticket id must be a non-negative integer.');
  }
  if (id === '' || id === '.' || id === '..') {
    throw new Error('A ticket id must not be empty, "." or "..".');
  }
  return buildGorgiasUrl(template, subdomain, `/app/ticket/${encodeURIComponent(String(id))}`);
}
