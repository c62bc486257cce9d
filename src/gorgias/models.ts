/**
 * Tickets and customers as the bot uses them, read defensively from Gorgias's JSON.
 *
 * Gorgias objects are large and their fields are often `null` (a customer's `name`, a ticket's
 * `assignee_user`). The parsers here keep only what the bot shows, tolerate missing fields, and
 * drop values of the wrong type instead of failing the whole answer. Only an object without a
 * usable id is refused: without it the bot can neither link to it nor act on it.
 */

/** Someone on a ticket: the customer, the assigned agent, or a message's sender. */
export interface PersonSummary {
  id?: number;
  email?: string;
  /** Gorgias's `name`, else `firstname lastname`, when either is set. */
  name?: string;
}

export interface TicketMessage {
  id?: number;
  /** Plain text of the message (Gorgias's `body_text`, else `stripped_text`, else `body_html` without tags). */
  text?: string;
  fromAgent?: boolean;
  channel?: string;
  sender?: PersonSummary;
  createdDatetime?: string;
}

/** A ticket as listed by `GET /api/tickets`. */
export interface TicketSummary {
  id: number;
  subject?: string;
  /** Usually `open` or `closed`; other values are kept as Gorgias sent them. */
  status?: string;
  channel?: string;
  customer?: PersonSummary;
  assignee?: PersonSummary;
  /** Tag names, in Gorgias's order, without duplicates. Always present, possibly empty. */
  tags: string[];
  createdDatetime?: string;
  updatedDatetime?: string;
}

/** A ticket as returned by `GET /api/tickets/{id}` (and by create and update). */
export interface TicketDetail extends TicketSummary {
  via?: string;
  assigneeTeam?: string;
  /** The most recent message: Gorgias's `last_message`, else the newest of `messages`. */
  lastMessage?: TicketMessage;
  /** How many messages the answer carried (undefined when it carried none). */
  messageCount?: number;
}

export interface Customer {
  id: number;
  email?: string;
  name?: string;
  createdDatetime?: string;
  updatedDatetime?: string;
}

export interface TicketPage {
  tickets: TicketSummary[];
  /** Set when Gorgias has a next page; pass it back as `cursor`. */
  nextCursor?: string;
}

export type TicketStatusChange = 'open' | 'closed';

export type TicketOrder = 'updated_datetime:desc' | 'updated_datetime:asc' | 'created_datetime:desc' | 'created_datetime:asc';

/** Gorgias ids are positive integers; 0, negatives, fractions and unsafe integers are nobody's id. */
export function isValidId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * Reads an id typed by a person: `123`, `#123`, with surrounding spaces. Anything else (signs,
 * decimals, exponents, other digits than ASCII) is not an id.
 */
export function parseId(input: string): number | undefined {
  const match = /^\s*#?\s*(\d{1,15})\s*$/.exec(input);
  if (!match) return undefined;
  const id = Number(match[1]);
  return isValidId(id) ? id : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-blank string, trimmed; anything else is treated as absent. */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function optionalId(value: unknown): number | undefined {
  return isValidId(value) ? value : undefined;
}

/** Sets `target[key]` only when the value is defined, so absent fields stay absent (not `undefined`). */
function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function displayName(record: Record<string, unknown>): string | undefined {
  const name = text(record.name);
  if (name !== undefined) return name;
  const parts = [text(record.firstname), text(record.lastname)].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** A customer's email: `email`, else the preferred (or first) email channel's address. */
function emailOf(record: Record<string, unknown>): string | undefined {
  const direct = text(record.email);
  if (direct !== undefined) return direct;
  if (!Array.isArray(record.channels)) return undefined;
  const emailChannels = record.channels.filter(
    (channel): channel is Record<string, unknown> => isRecord(channel) && channel.type === 'email' && text(channel.address) !== undefined,
  );
  const preferred = emailChannels.find((channel) => channel.preferred === true) ?? emailChannels[0];
  return preferred === undefined ? undefined : text(preferred.address);
}

export function parsePerson(json: unknown): PersonSummary | undefined {
  if (!isRecord(json)) return undefined;
  const person: PersonSummary = {};
  assign(person, 'id', optionalId(json.id));
  assign(person, 'email', emailOf(json));
  assign(person, 'name', displayName(json));
  return Object.keys(person).length > 0 ? person : undefined;
}

const MAX_TAGS = 100;

function parseTags(json: unknown): string[] {
  if (!Array.isArray(json)) return [];
  const names = new Set<string>();
  for (const tag of json) {
    // Gorgias sends tag objects; some integrations and older answers use bare names.
    const name = isRecord(tag) ? text(tag.name) : text(tag);
    if (name !== undefined) names.add(name);
    if (names.size >= MAX_TAGS) break;
  }
  return [...names];
}

/**
 * Elements whose content is code, not text a person wrote. Their end tag is found the way a browser
 * finds it (`</script` then whitespace, `/` or `>`, in any case); without one the rest is theirs.
 */
const RAW_TEXT_END: ReadonlyMap<string, RegExp> = new Map([
  ['script', /<\/script[\s/>]/gi],
  ['style', /<\/style[\s/>]/gi],
]);

/** Tags that end a line: `<br>` and the end of a block. */
function isLineBreak(name: string, isEndTag: boolean): boolean {
  return name === 'br' || (isEndTag && (name === 'p' || name === 'div' || name === 'li' || /^h\d$/.test(name)));
}

/** `<` opens markup only before a letter, `/`, `!` or `?` (HTML's tag-open state); else it is text. */
function opensMarkup(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x2f || code === 0x21 || code === 0x3f;
}

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function tagNameAt(html: string, start: number, end: number): string {
  let stop = start;
  while (stop < end && isAsciiAlphanumeric(html.charCodeAt(stop))) stop += 1;
  return html.slice(start, stop).toLowerCase();
}

/** Entity names are case-sensitive in HTML; these are the ones messages use. */
const ENTITIES: ReadonlyMap<string, string> = new Map([
  ['nbsp', ' '],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['amp', '&'],
]);

function decodeEntity(entity: string, body: string): string {
  if (body.charAt(0) !== '#') return ENTITIES.get(body) ?? entity;
  const code = body.charAt(1) === 'x' || body.charAt(1) === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  // NUL, surrogates and values beyond Unicode are not characters: keep the entity as written.
  const isCharacter = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
  return isCharacter ? String.fromCodePoint(code) : entity;
}

/**
 * The text of an HTML message body, for display: tags, comments, scripts and styles removed, `<br>`
 * and the ends of blocks as line breaks, the usual entities decoded.
 *
 * One forward pass with indexOf, never a regex that can backtrack over the body: Gorgias accepts
 * bodies of any shape and the client reads up to 1 MiB, and tag-stripping regexes such as `<[^>]*>`
 * take time in the square of the input on a body full of unclosed `<` (100 KB took 6.9 s, blocking
 * every conversation). Each character is looked at a bounded number of times.
 */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  let textStart = 0;
  let position = 0;
  while (position < html.length) {
    const open = html.indexOf('<', position);
    if (open < 0) break;
    if (!opensMarkup(html.charCodeAt(open + 1))) {
      position = open + 1;
      continue;
    }
    parts.push(html.slice(textStart, open));
    if (html.startsWith('<!--', open)) {
      const close = html.indexOf('-->', open + 4);
      // An unclosed comment hides the rest of the page in a browser; it does here too.
      textStart = position = close < 0 ? html.length : close + 3;
      parts.push(' ');
      continue;
    }
    const close = html.indexOf('>', open + 1);
    if (close < 0) {
      // No later `<` can be closed either: the rest is text, as a lone `<` always was.
      textStart = open;
      break;
    }
    const isEndTag = html.charAt(open + 1) === '/';
    const name = tagNameAt(html, open + (isEndTag ? 2 : 1), close);
    const rawTextEnd = isEndTag ? undefined : RAW_TEXT_END.get(name);
    let next = close + 1;
    if (rawTextEnd !== undefined) {
      rawTextEnd.lastIndex = next;
      const endTag = rawTextEnd.exec(html);
      const endClose = endTag === null ? -1 : html.indexOf('>', endTag.index);
      next = endClose < 0 ? html.length : endClose + 1;
    }
    parts.push(isLineBreak(name, isEndTag) ? '\n' : ' ');
    textStart = position = next;
  }
  parts.push(html.slice(textStart));
  return parts
    .join('')
    .replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,6});/g, decodeEntity)
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ *\n */g, '\n');
}

export function parseMessage(json: unknown): TicketMessage | undefined {
  if (!isRecord(json)) return undefined;
  const message: TicketMessage = {};
  assign(message, 'id', optionalId(json.id));
  // The HTML is converted only when there is no plain text: most messages have it, and it costs a pass over the body.
  const plain = text(json.body_text) ?? text(json.stripped_text);
  assign(message, 'text', plain ?? (typeof json.body_html === 'string' ? text(htmlToText(json.body_html)) : undefined));
  if (typeof json.from_agent === 'boolean') message.fromAgent = json.from_agent;
  assign(message, 'channel', text(json.channel));
  assign(message, 'sender', parsePerson(json.sender));
  assign(message, 'createdDatetime', text(json.created_datetime));
  return Object.keys(message).length > 0 ? message : undefined;
}

function timeOf(message: TicketMessage): number {
  const parsed = message.createdDatetime === undefined ? NaN : Date.parse(message.createdDatetime);
  return Number.isNaN(parsed) ? -Infinity : parsed;
}

/** The newest message by creation time; among equal or unknown times, the later one in the list. */
function newest(messages: TicketMessage[]): TicketMessage | undefined {
  let latest: TicketMessage | undefined;
  for (const message of messages) {
    if (latest === undefined || timeOf(message) >= timeOf(latest)) latest = message;
  }
  return latest;
}

export function parseTicketSummary(json: unknown): TicketSummary | undefined {
  if (!isRecord(json) || !isValidId(json.id)) return undefined;
  const ticket: TicketSummary = { id: json.id, tags: parseTags(json.tags) };
  assign(ticket, 'subject', text(json.subject));
  assign(ticket, 'status', text(json.status));
  assign(ticket, 'channel', text(json.channel));
  assign(ticket, 'customer', parsePerson(json.customer));
  assign(ticket, 'assignee', parsePerson(json.assignee_user));
  assign(ticket, 'createdDatetime', text(json.created_datetime));
  assign(ticket, 'updatedDatetime', text(json.updated_datetime));
  return ticket;
}

export function parseTicketDetail(json: unknown): TicketDetail | undefined {
  const summary = parseTicketSummary(json);
  if (summary === undefined || !isRecord(json)) return undefined;
  const ticket: TicketDetail = { ...summary };
  assign(ticket, 'via', text(json.via));
  assign(ticket, 'assigneeTeam', isRecord(json.assignee_team) ? text(json.assignee_team.name) : undefined);
  const messages = Array.isArray(json.messages)
    ? json.messages.map(parseMessage).filter((message): message is TicketMessage => message !== undefined)
    : [];
  if (messages.length > 0) ticket.messageCount = messages.length;
  assign(ticket, 'lastMessage', parseMessage(json.last_message) ?? newest(messages));
  return ticket;
}

export function parseCustomer(json: unknown): Customer | undefined {
  if (!isRecord(json) || !isValidId(json.id)) return undefined;
  const customer: Customer = { id: json.id };
  assign(customer, 'email', emailOf(json));
  assign(customer, 'name', displayName(json));
  assign(customer, 'createdDatetime', text(json.created_datetime));
  assign(customer, 'updatedDatetime', text(json.updated_datetime));
  return customer;
}

/**
 * Reads a Gorgias list answer (`{"data": [...], "meta": {"next_cursor": ...}}`). Items that do not
 * parse are dropped; a body without a `data` list is not a list answer at all.
 */
export function parseList<T>(json: unknown, parseItem: (item: unknown) => T | undefined): { items: T[]; nextCursor?: string } | undefined {
  if (!isRecord(json) || !Array.isArray(json.data)) return undefined;
  const items = json.data.map(parseItem).filter((item): item is T => item !== undefined);
  const nextCursor = isRecord(json.meta) ? text(json.meta.next_cursor) : undefined;
  return nextCursor === undefined ? { items } : { items, nextCursor };
}

/** Case-insensitive, as email addresses are in practice (and as Gorgias matches customers). */
export function sameEmail(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();
}
