/**
 * ConversationState that writes with the eTag it read, instead of botbuilder's `*` (last writer wins).
 * When another instance changed the conversation in between, the write is rejected with an eTag
 * conflict instead of silently undoing that instance's turn; the bot then asks the user to resend.
 */
import { ConversationState, calculateChangeHash, type TurnContext } from 'botbuilder';

/** What this turn read: the state object, its eTag, and its hash to tell whether the turn changed it. */
interface ReadRecord {
  state: object;
  eTag: string | undefined;
  hash: string;
}

const READ_RECORD = Symbol('optimisticConversationState.read');

export class OptimisticConversationState extends ConversationState {
  override async load(context: TurnContext, force = false): Promise<Record<string, unknown>> {
    // BotState reads storage only when forced or when the turn has no cached state. A load served from
    // the cache, such as the empty state clear() leaves, must keep the eTag of the version actually read.
    const readsStorage = force || this.get(context) === undefined;
    const state = (await super.load(context, force)) as Record<string, unknown>;
    if (readsStorage) {
      const eTag = typeof state.eTag === 'string' ? state.eTag : undefined;
      context.turnState.set(READ_RECORD, { state, eTag, hash: calculateChangeHash(state) } satisfies ReadRecord);
    }
    return state;
  }

  override async saveChanges(context: TurnContext, force = false): Promise<void> {
    const state = this.get(context) as Record<string, unknown> | undefined;
    if (!state) {
      if (force) await super.saveChanges(context, true);
      return;
    }
    const record = context.turnState.get(READ_RECORD) as ReadRecord | undefined;
    // Hashing serializes the whole state: done once here and kept for the record below (see npm run bench --profile).
    const hash = calculateChangeHash(state);
    if (!force && record?.state === state && record.hash === hash) return;

    const key = await this.storageKey(context);
    // Undefined for a conversation not stored yet: the storage then writes unconditionally.
    await this.storage.write({ [key]: { ...state, eTag: record?.eTag } });
    // This turn now holds the latest version, so a second save in the same turn (the turn-error reset) may overwrite it.
    context.turnState.set(READ_RECORD, { state, eTag: '*', hash } satisfies ReadRecord);
  }
}

/** True for the error every botbuilder storage raises when a write's eTag is stale. */
export function isETagConflict(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /etag conflict/i.test(error.message) || (error as { statusCode?: number }).statusCode === 412;
}
