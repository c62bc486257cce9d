/**
 * Shared by the security tests: reading the bot's SQLite state behind its back, and looking for a secret
 * in every form it could leak in (plain, base64 at any alignment, hex, percent-encoded, inside a Basic token).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE_NAME } from '../../src/storage/createStorage';
import { EmulatorConversation, visibleText, type ChannelRecorder, type TurnReply } from '../support/emulator';

export interface RawRow {
  key: string;
  json: string;
}

/** Every row of the bot's state table, read with a separate connection, exactly as stored. */
export function readRawRows(dataDir: string): RawRow[] {
  const db = new Database(path.join(dataDir, SQLITE_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], RawRow>('SELECT key, json FROM bot_state ORDER BY key').all();
  } finally {
    db.close();
  }
}

/** The row of one conversation's state (`<channel>/conversations/<id>/`), parsed. */
export function conversationRow(dataDir: string, channelId: string, conversationId: string): Record<string, unknown> | undefined {
  const row = readRawRows(dataDir).find((candidate) => candidate.key === `${channelId}/conversations/${conversationId}/`);
  return row ? (JSON.parse(row.json) as Record<string, unknown>) : undefined;
}

/**
 * The texts a secret could show up as. base64 of a secret embedded in a longer text (a Basic token,
 * a JSON blob) depends on where it starts, so all three alignments are listed, minus the edge
 * characters that mix in neighbouring bytes.
 */
export function leakForms(secret: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret), Buffer.from(secret).toString('hex')]);
  for (let offset = 0; offset < 3; offset += 1) {
    const padded = Buffer.concat([Buffer.alloc(offset, 0x20), Buffer.from(secret)]);
    const encoded = padded.toString('base64').replace(/=+$/, '');
    // Characters covering the padding bytes and the last partial group are not the secret's own.
    const start = Math.ceil((offset * 4) / 3);
    const inner = encoded.slice(start, encoded.length - 2);
    forms.add(inner);
    forms.add(inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].filter((form) => form.length >= 8);
}

/** The forms of `secret` found in `haystack`; an empty list means none leaked. */
export function leaksOf(secret: string, haystack: string): string[] {
  return leakForms(secret).filter((form) => haystack.includes(form));
}

export function basicToken(email: string, apiKey: string): string {
  return Buffer.from(`${email}:${apiKey}`).toString('base64');
}

/** All that a person would see in the bot's messages of a turn. */
export function said(reply: TurnReply): string {
  return reply.messages.map(visibleText).join('\n');
}

/** Walks the connect dialog up to the key question. */
export async function startConnect(chat: EmulatorConversation, subdomain: string, email: string): Promise<TurnReply> {
  await chat.say('connect');
  await chat.say(subdomain);
  return chat.say(email);
}

/** A full connect, with the key submitted from the masked card. */
export async function connectWithCard(chat: EmulatorConversation, subdomain: string, email: string, apiKey: string): Promise<TurnReply> {
  await startConnect(chat, subdomain, email);
  return chat.submit({ apiKey, action: 'submitApiKey' });
}

/** Random base64 of 32 bytes: a valid STATE_ENCRYPTION_KEY. */
export function newEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * The same conversation as `previous` (same id), as `user` (the same person by default), e.g. after the
 * bot restarted or when a second member writes in it. EmulatorConversation makes fresh ids; these are
 * overwritten on purpose.
 */
export function rejoin(
  botUrl: string,
  channel: ChannelRecorder,
  previous: EmulatorConversation,
  options: { user?: { id: string; name: string; role: string }; isGroup?: boolean; channelId?: string } = {},
): EmulatorConversation {
  const chat = new EmulatorConversation(botUrl, channel, { isGroup: options.isGroup, channelId: options.channelId });
  Object.assign(chat, { id: previous.id, user: options.user ?? previous.user });
  return chat;
}
