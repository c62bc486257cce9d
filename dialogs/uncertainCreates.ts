/**
 * Creates whose answer never came, remembered in conversation state beyond the dialog that tried them:
 * a user told "it may have been created anyway" who cancels and types the same ticket again gets the same
 * check as Try again (see confirmThenCreateDialog.ts). Kept as a digest of what was typed, not the text,
 * for an hour, a few at most. Also in this process's memory: the turn that tried may fail to save its
 * state (the storage down, another instance saving first), and the entry must survive that too.
 */
import { createHash } from 'node:crypto';
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';

export interface UncertainCreate {
  /** SHA-256 of the dialog's id and every answer, so only the very same draft matches. */
  digest: string;
  /** When the try started (ISO): what the check looks for is what Gorgias made since. */
  since: string;
}

const KEPT_FOR_MS = 60 * 60_000;
const MAX_KEPT = 5;
/** Entries kept in memory across all conversations of this process, the oldest dropped first. */
const MAX_IN_MEMORY = 10_000;

export function draftDigest(dialogId: string, answers: readonly (string | undefined)[]): string {
  return createHash('sha256').update(JSON.stringify([dialogId, ...answers])).digest('base64url');
}

export class UncertainCreates {
  /** `<channel>/<conversation>/<digest>` to the try's start. */
  private readonly inMemory = new Map<string, string>();

  constructor(
    private readonly accessor: StatePropertyAccessor<UncertainCreate[] | undefined>,
    private readonly maxInMemory = MAX_IN_MEMORY,
  ) {}

  /** When the same draft was tried without an answer within the hour, that try's start. */
  async sinceFor(context: TurnContext, digest: string): Promise<string | undefined> {
    const stored = (await this.current(context)).find((entry) => entry.digest === digest)?.since;
    if (stored !== undefined) return stored;
    const remembered = this.inMemory.get(memoryKey(context, digest));
    return remembered !== undefined && isRecent(remembered) ? remembered : undefined;
  }

  async remember(context: TurnContext, digest: string, since: string): Promise<void> {
    const key = memoryKey(context, digest);
    this.inMemory.delete(key);
    this.inMemory.set(key, since);
    if (this.inMemory.size > this.maxInMemory) {
      const oldest = this.inMemory.keys().next().value;
      if (oldest !== undefined) this.inMemory.delete(oldest);
    }
    const others = (await this.current(context)).filter((entry) => entry.digest !== digest);
    await this.accessor.set(context, [...others, { digest, since }].slice(-MAX_KEPT));
  }

  /** Forgets the draft once its outcome is known (created, or found made by the earlier try). */
  async forget(context: TurnContext, digest: string): Promise<void> {
    this.inMemory.delete(memoryKey(context, digest));
    const stored = await this.accessor.get(context);
    if (stored === undefined) return;
    const kept = (await this.current(context)).filter((entry) => entry.digest !== digest);
    if (kept.length === 0) await this.accessor.delete(context);
    else if (kept.length !== stored.length) await this.accessor.set(context, kept);
  }

  private async current(context: TurnContext): Promise<UncertainCreate[]> {
    const stored = await this.accessor.get(context);
    if (!Array.isArray(stored)) return [];
    return stored.filter((entry) => typeof entry?.digest === 'string' && typeof entry.since === 'string' && isRecent(entry.since));
  }
}

function isRecent(since: string): boolean {
  return Date.now() - Date.parse(since) < KEPT_FOR_MS;
}

function memoryKey(context: TurnContext, digest: string): string {
  return `${context.activity.channelId}/${context.activity.conversation?.id}/${digest}`;
}
