import { holdsKeyLikeWord, looksLikeAKey } from './apiKey';
import { classifyHiddenCharacter, type Parsed } from './result';

/**
 * Reduces what a person typed as "their Gorgias" to the bare subdomain (`acme` for
 * https://acme.gorgias.com), or explains why it can't be one.
 *
 * The parsing is done by hand on the raw text rather than with `new URL`: WHATWG URL parsing
 * rewrites hosts (IDNA mapping of look-alike letters, backslashes read as slashes,
 * percent-decoding, dotted-decimal IPv4 normalisation), so a check on its output can be fooled
 * by text that merely turns into a valid host. Instead every character of the raw text is
 * checked first, and only plain ASCII survives into the structural checks.
 *
 * Reasons never quote the input back: it is shown in a chat, and hostile text should not be
 * rendered there.
 */

const MAX_INPUT_LENGTH = 2048;
/** The DNS limit for one label; Gorgias subdomains are a single label. */
const MAX_SUBDOMAIN_LENGTH = 63;
const EXAMPLE = 'e.g. acme for https://acme.gorgias.com';

/**
 * Replies to a yes/no or try-again question, typed where the subdomain is asked (after "I couldn't find
 * an account there", "retry" meant try again): looked up, each would cost one of the attempts.
 */
const ANSWER_WORDS = new Set(['yes', 'y', 'yeah', 'yep', 'no', 'n', 'nope', 'ok', 'okay', 'sure', 'retry', 'again', 'try', 'try again']);

const REASONS = {
  empty: `Please type your Gorgias subdomain, ${EXAMPLE}.`,
  tooLong: `That is far too long to be a Gorgias address; please type just your subdomain, ${EXAMPLE}.`,
  http: 'Your Gorgias address must start with https://, not http://; type https://acme.gorgias.com or just the subdomain, e.g. acme.',
  otherScheme: `Only an https:// link to your Gorgias account works here; please type just your subdomain, ${EXAMPLE}.`,
  malformedHttps: 'That link is not written correctly; it should look like https://acme.gorgias.com, or type just the subdomain, e.g. acme.',
  startsWithSlash: `That starts with a slash, which a Gorgias address never does; please type just your subdomain, ${EXAMPLE}.`,
  missingHost: `There is no address in that link; please type just your subdomain, ${EXAMPLE}.`,
  controlCharacter: `That contains invisible control characters (such as a tab or a line break); please type your subdomain again, ${EXAMPLE}.`,
  invisibleCharacter: `That contains invisible characters, often picked up when copying text; please type your subdomain again, ${EXAMPLE}.`,
  space: `Your Gorgias subdomain can't contain spaces; please type it as one word, ${EXAMPLE}.`,
  nonAscii: `Please use only plain letters a to z, digits and hyphens (letters from other alphabets can look the same but are different), ${EXAMPLE}.`,
  percent: `That contains percent-encoding (%), which a Gorgias address never has; please type your subdomain as plain text, ${EXAMPLE}.`,
  at: `That contains an @, which a Gorgias address never has (if you typed your email, I need your Gorgias subdomain here instead), ${EXAMPLE}.`,
  queryOrFragment: `Please leave out anything from ? or # onwards and type just your subdomain, ${EXAMPLE}.`,
  backslash: `That contains a backslash, which a Gorgias address never has; please type just your subdomain, ${EXAMPLE}.`,
  ipAddress: `That looks like an IP address, but I need the name of your Gorgias account, ${EXAMPLE}.`,
  localhost: `That points to this computer (localhost), not to Gorgias; please type your Gorgias subdomain, ${EXAMPLE}.`,
  port: `Please leave out the port number (the : and digits after the address) and type just your subdomain, ${EXAMPLE}.`,
  emptyLabel: `That address has two dots in a row or starts with a dot; please type just your subdomain, ${EXAMPLE}.`,
  notGorgias: `That isn't a Gorgias address: it should end in .gorgias.com, ${EXAMPLE}.`,
  gorgiasItself: `That is Gorgias's own address; I need the part in front of it that names your account, ${EXAMPLE}.`,
  nested: `A Gorgias subdomain is a single word in front of .gorgias.com, with no further dots, ${EXAMPLE}.`,
  invalidCharacter: `Your Gorgias subdomain can only contain letters, digits and hyphens, ${EXAMPLE}.`,
  subdomainTooLong: `That is longer than any Gorgias subdomain can be (at most ${MAX_SUBDOMAIN_LENGTH} characters); please check it, ${EXAMPLE}.`,
  punycode: `Gorgias subdomains are plain letters, digits and hyphens, so one starting with xn-- (an encoded international name) can't be yours; please check it, ${EXAMPLE}.`,
  edgeHyphen: `A Gorgias subdomain can't start or end with a hyphen; please check it, ${EXAMPLE}.`,
  answerWord: `That reads like an answer to another question, not a subdomain. Please type your Gorgias subdomain, ${EXAMPLE}.`,
  looksLikeKey: `That looks like an API key, not a subdomain; I'll ask for the key last. Please type your Gorgias subdomain, ${EXAMPLE}.`,
} as const;

const refuse = (reason: string): Parsed<string> => ({ ok: false, reason });

export function parseSubdomain(input: string): Parsed<string> {
  // Runtime guard: the value comes from chat activity payloads, which are not type-checked.
  if (typeof input !== 'string') return refuse(REASONS.empty);
  if (input.length > MAX_INPUT_LENGTH) return refuse(REASONS.tooLong);

  const text = input.trim();
  if (text === '') return refuse(REASONS.empty);
  const word = text.toLowerCase().replace(/[.!?]+$/, '');
  if (ANSWER_WORDS.has(word) && /^[a-z]+$/.test(word)) {
    return refuse(`${REASONS.answerWord} If your address really is https://${word}.gorgias.com, type it like that.`);
  }
  if (ANSWER_WORDS.has(word)) return refuse(REASONS.answerWord);

  const scheme = readScheme(text);
  let remainder = text;
  if (scheme !== undefined) {
    const lowerScheme = scheme.toLowerCase();
    if (lowerScheme === 'http') return refuse(REASONS.http);
    if (lowerScheme !== 'https') return refuse(REASONS.otherScheme);
    const afterColon = text.slice(scheme.length + 1);
    // WHATWG accepts `https:acme.gorgias.com` and `https:\\acme...`; nobody types those on purpose.
    if (!afterColon.startsWith('//')) return refuse(REASONS.malformedHttps);
    remainder = afterColon.slice(2);
  }

  const characterProblem = findForbiddenCharacter(text);
  if (characterProblem !== undefined) return refuse(characterProblem);
  // Before lower-casing: capitals mixed with small letters and digits are part of what marks a key.
  if (holdsKeyLikeWord(text)) return refuse(REASONS.looksLikeKey);

  // From here on the text is printable ASCII from a small set, so lower-casing can't map
  // anything (such as the Kelvin sign) onto a Latin letter.
  if (remainder.startsWith('/')) return refuse(scheme === undefined ? REASONS.startsWithSlash : REASONS.missingHost);

  const slashIndex = remainder.indexOf('/');
  const hasPath = slashIndex >= 0;
  const authority = (hasPath ? remainder.slice(0, slashIndex) : remainder).toLowerCase();

  const colonCount = authority.split(':').length - 1;
  if (colonCount > 1) return refuse(REASONS.ipAddress);
  if (colonCount === 1) return refuse(REASONS.port);

  // A trailing dot is the fully qualified form of the same host name.
  const host = authority.endsWith('.') ? authority.slice(0, -1) : authority;
  if (host === '') return refuse(scheme === undefined ? REASONS.empty : REASONS.missingHost);

  const labels = host.split('.');
  if (labels.some((label) => label === '')) return refuse(REASONS.emptyLabel);
  if (endsInNumber(labels)) return refuse(REASONS.ipAddress);
  if (labels[labels.length - 1] === 'localhost') return refuse(REASONS.localhost);

  const subdomain = pickSubdomain(labels, scheme !== undefined || hasPath);
  if (!subdomain.ok) return subdomain;
  return checkSubdomainLabel(subdomain.value);
}

/**
 * The scheme, if the text starts with one. `acme:8443` and `fe80::1` are a host with a port
 * and an IPv6 address, not schemes, so a colon followed by a digit, another colon or nothing
 * does not count. Dots are left out of the scheme pattern (RFC 3986 allows them) so that
 * `acme.gorgias.com:8443` reads as a host with a port.
 */
function readScheme(text: string): string | undefined {
  const match = /^([A-Za-z][A-Za-z0-9+-]*):(.?)/.exec(text);
  if (match === null) return undefined;
  const firstAfterColon = match[2] ?? '';
  if (firstAfterColon === '' || firstAfterColon === ':' || /[0-9]/.test(firstAfterColon)) return undefined;
  return match[1];
}

/** Letters, digits and `-` make up the subdomain; `.`, `:` and `/` the URL around it; `_` and `~` may appear in a pasted path. */
const ALLOWED_CHARACTER = /^[A-Za-z0-9.\-/:_~]$/;

function findForbiddenCharacter(text: string): string | undefined {
  // for...of walks code points, so a character outside the BMP is judged once, whole.
  for (const character of text) {
    if (ALLOWED_CHARACTER.test(character)) continue;
    return describeForbiddenCharacter(character);
  }
  return undefined;
}

function describeForbiddenCharacter(character: string): string {
  switch (classifyHiddenCharacter(character)) {
    case 'control':
      return REASONS.controlCharacter;
    case 'invisible':
      return REASONS.invisibleCharacter;
    case 'space':
      return REASONS.space;
    case undefined:
      break;
  }
  if ((character.codePointAt(0) ?? 0) > 0x7f) return REASONS.nonAscii;
  switch (character) {
    case '%':
      return REASONS.percent;
    case '@':
      return REASONS.at;
    case '?':
    case '#':
      return REASONS.queryOrFragment;
    case '\\':
      return REASONS.backslash;
    case '[':
    case ']':
      return REASONS.ipAddress;
    default:
      return REASONS.invalidCharacter;
  }
}

/**
 * WHATWG URL treats a host whose last label is a number (decimal, octal or 0x hex) as an IPv4
 * address, so `2130706433` and `0x7f.1` both mean 127.0.0.1. Refuse anything it would read so.
 */
function endsInNumber(labels: string[]): boolean {
  const last = labels[labels.length - 1] ?? '';
  return /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/.test(last);
}

function pickSubdomain(labels: string[], typedAsLink: boolean): Parsed<string> {
  const first = labels[0] ?? '';
  if (labels.length === 1) {
    // `acme` alone is the subdomain; `https://acme` or `acme/tickets` is a link to some other host.
    return typedAsLink ? refuse(REASONS.notGorgias) : { ok: true, value: first };
  }
  const endsWithGorgias = labels[labels.length - 2] === 'gorgias' && labels[labels.length - 1] === 'com';
  if (!endsWithGorgias) return refuse(REASONS.notGorgias);
  if (labels.length === 2) return refuse(REASONS.gorgiasItself);
  if (labels.length > 3) return refuse(REASONS.nested);
  return { ok: true, value: first };
}

function checkSubdomainLabel(label: string): Parsed<string> {
  if (label.length > MAX_SUBDOMAIN_LENGTH) return refuse(REASONS.subdomainTooLong);
  if (!/^[a-z0-9-]+$/.test(label)) return refuse(REASONS.invalidCharacter);
  if (label.startsWith('xn--')) return refuse(REASONS.punycode);
  if (label.startsWith('-') || label.endsWith('-')) return refuse(REASONS.edgeHyphen);
  // Accepted, a key pasted here would be shown back, logged and looked up as <key>.gorgias.com.
  if (looksLikeAKey(label)) return refuse(REASONS.looksLikeKey);
  return { ok: true, value: label };
}
