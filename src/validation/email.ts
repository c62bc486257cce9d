import { findHiddenCharacter, type Parsed } from './result';

/**
 * A pragmatic check of the email a person logs in to Gorgias with. It catches typing and
 * pasting mistakes; it is not RFC 5322: Gorgias itself is the judge of whether the address
 * and API key belong together.
 *
 * Reasons never quote the input back, so nothing typed into the chat is rendered again.
 */

const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const MAX_DOMAIN_LABEL_LENGTH = 63;
const EXAMPLE = 'e.g. jane@acme.com';
const NOT_AN_EMAIL = "That doesn't look like an email address:";
const USE_LOGIN = `Use the email you log in to Gorgias with, ${EXAMPLE}.`;

const REASONS = {
  empty: `Please type the email you log in to Gorgias with, ${EXAMPLE}.`,
  tooLong: `That is too long for an email address (at most ${MAX_EMAIL_LENGTH} characters). ${USE_LOGIN}`,
  controlCharacter: `That email address contains invisible control characters (such as a tab or a line break). ${USE_LOGIN}`,
  invisibleCharacter: `That email address contains invisible characters, often picked up when copying text. ${USE_LOGIN}`,
  space: `An email address can't contain spaces. ${USE_LOGIN}`,
  noAt: `${NOT_AN_EMAIL} it has no @. ${USE_LOGIN}`,
  severalAts: `${NOT_AN_EMAIL} it has more than one @. ${USE_LOGIN}`,
  emptyLocalPart: `${NOT_AN_EMAIL} nothing comes before the @. ${USE_LOGIN}`,
  emptyDomain: `${NOT_AN_EMAIL} nothing comes after the @. ${USE_LOGIN}`,
  localPartTooLong: `The part before the @ is too long for an email address (at most ${MAX_LOCAL_PART_LENGTH} characters). ${USE_LOGIN}`,
  domainWithoutDot: `${NOT_AN_EMAIL} the part after the @ has no dot, as in acme.com. ${USE_LOGIN}`,
  emptyDomainLabel: `${NOT_AN_EMAIL} the part after the @ has two dots in a row, or starts or ends with a dot. ${USE_LOGIN}`,
  edgeHyphen: `${NOT_AN_EMAIL} a part of the domain after the @ starts or ends with a hyphen. ${USE_LOGIN}`,
  domainLabelTooLong: `${NOT_AN_EMAIL} a part of the domain after the @ is too long. ${USE_LOGIN}`,
  domainCharacter: `${NOT_AN_EMAIL} the part after the @ can only contain letters, digits, hyphens and dots. ${USE_LOGIN}`,
  numericDomain: `${NOT_AN_EMAIL} the part after the @ should be a domain name such as acme.com, not a number or IP address. ${USE_LOGIN}`,
} as const;

const refuse = (reason: string): Parsed<string> => ({ ok: false, reason });

export function parseEmail(input: string): Parsed<string> {
  // Runtime guard: the value comes from chat activity payloads, which are not type-checked.
  if (typeof input !== 'string') return refuse(REASONS.empty);
  // A link copied from a mail client or a web page: the address is what follows `mailto:`.
  const text = input.trim().replace(/^mailto:/i, '');
  if (text === '') return refuse(REASONS.empty);
  if (text.length > MAX_EMAIL_LENGTH) return refuse(REASONS.tooLong);

  const hiddenCharacter = findHiddenCharacter(text);
  if (hiddenCharacter === 'control') return refuse(REASONS.controlCharacter);
  if (hiddenCharacter === 'invisible') return refuse(REASONS.invisibleCharacter);
  if (hiddenCharacter === 'space') return refuse(REASONS.space);

  const parts = text.split('@');
  if (parts.length === 1) return refuse(REASONS.noAt);
  if (parts.length > 2) return refuse(REASONS.severalAts);
  const [localPart = '', rawDomain = ''] = parts;
  if (localPart === '') return refuse(REASONS.emptyLocalPart);
  if (rawDomain === '') return refuse(REASONS.emptyDomain);
  if (localPart.length > MAX_LOCAL_PART_LENGTH) return refuse(REASONS.localPartTooLong);

  // Domains are case-insensitive; the local part may not be, so it is kept as typed.
  const domain = rawDomain.toLowerCase();
  const domainProblem = checkDomain(domain);
  if (domainProblem !== undefined) return refuse(domainProblem);

  return { ok: true, value: `${localPart}@${domain}` };
}

/** Letters of any script are let through: internationalised domains are real email domains. */
const DOMAIN_LABEL_CHARACTERS = /^[\p{L}\p{M}\p{N}-]+$/u;

function checkDomain(domain: string): string | undefined {
  if (!domain.includes('.')) return REASONS.domainWithoutDot;
  const labels = domain.split('.');
  for (const label of labels) {
    if (label === '') return REASONS.emptyDomainLabel;
    if (label.length > MAX_DOMAIN_LABEL_LENGTH) return REASONS.domainLabelTooLong;
    if (!DOMAIN_LABEL_CHARACTERS.test(label)) return REASONS.domainCharacter;
    if (label.startsWith('-') || label.endsWith('-')) return REASONS.edgeHyphen;
  }
  // No top-level domain is numeric, so `jane@10.0.0.1` is an IP address, not a mail domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return REASONS.numericDomain;
  return undefined;
}
