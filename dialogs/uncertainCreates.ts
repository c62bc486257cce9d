/**
 * Creates whose answer never came, remembered in conversation state beyond the dialog that tried them:
 * a user told "it may have been created anyway" who cancels and types the same ticket again gets the same
 * check as Try again (see confirmThenCreateDialog.ts). Kept as a digest of what was typed, not the text,
 * for an hour, a few at most.
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

export function draftDigest(dialogId: string, answers: readonly (string | undefined)[]): string {
  return createHash('sha256').update(JSON.stringify([dialogId, ...answers])).digest('base64url');
}

export class UncertainCreates {
  constructor(private readonly accessor: StatePropertyAccessor<UncertainCreate[] | undefined>) {}

  /** When the same draft was tried without an answer within the hour, that try's start. */
  async sinceFor(context: TurnContext, digest: string): Promise<string | undefined> {
    return (await this.current(context)).find((entry) => entry.digest === digest)?.since;
  }

  async remember(context: TurnContext, digest: string, since: string): Promise<void> {
    const others = (await this.current(context)).filter((entry) => entry.digest !== digest);
    await this.accessor.set(context, [...others, { digest, since }].slice(-MAX_KEPT));
  }

  /** Forgets the draft once its outcome is known (created, or found made by the earlier try). */
  async forget(context: TurnContext, digest: string): Promise<void> {
    const stored = await this.accessor.get(context);
    if (stored === undefined) return;
    const kept = (await this.current(context)).filter((entry) => entry.digest !== digest);
    if (kept.length === 0) await this.accessor.delete(context);
    else if (kept.length !== stored.length) await this.accessor.set(context, kept);
  }

  private async current(context: TurnContext): Promise<UncertainCreate[]> {
    const stored = await this.accessor.get(context);
    if (!Array.isArray(stored)) return [];
    const now = Date.now();
    return stored.filter(
      (entry) =>
        typeof entry?.digest === 'string' && typeof entry.since === 'string' && now - Date.parse(entry.since) < KEPT_FOR_MS,
    );
  }
}
