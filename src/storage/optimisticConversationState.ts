/**
 * ConversationState that writes with the eTag it read, instead of botbuilder's `*` (last writer wins).
 * When another instance changed the conversation in between, the write is rejected with an eTag
 * conflict instead of silently undoing that instance's turn; the bot then asks the user to resend.
 *
 * It keeps its own per-turn cache rather than BotState's, for two reasons: the eTag it read must survive
 * clear(), and BotState tells a changed state by hashing it (a replacer-driven stringify and a SHA-256) on
 * every load and save, which was about 4% of a turn's CPU in `npm run bench -- --profile`. Here the
 * state's JSON, as the storage will write it, is compared with the JSON read: one native
 * JSON.stringify per load and per save, and exact, since it is what the storage stores.
 */
import { ConversationState, type TurnContext } from 'botbuilder';

type State = Record<string, unknown>;

/** What this turn holds: the state object, the eTag to write against, and the JSON the storage has. */
interface TurnRecord {
  state: State;
  /** Undefined for a conversation not stored yet (the write is then unconditional); `*` after this turn wrote. */
  eTag: string | undefined;
  /** The state's JSON as last read or written; empty after clear(), so the cleared state is always written. */
  stored: string;
}

/**
 * The state as JSON, as the storage will write it. The eTag it was read with is included: nothing in a
 * turn changes it (writes carry it on a copy), and leaving it in spares a copy of the state.
 */
function storedForm(state: State): string {
  return JSON.stringify(state);
}

export class OptimisticConversationState extends ConversationState {
  // One per instance, as BotState does, so two states on one turn cannot read each other's cache.
  private readonly turnKey = Symbol('optimisticConversationState');

  override async load(context: TurnContext, force = false): Promise<State> {
    const cached = this.recordOf(context);
    if (cached && !force) return cached.state;
    const key = await this.storageKey(context);
    const items = await this.storage.read([key]);
    const state = (items[key] ?? {}) as State;
    const eTag = typeof state.eTag === 'string' ? state.eTag : undefined;
    context.turnState.set(this.turnKey, { state, eTag, stored: storedForm(state) } satisfies TurnRecord);
    return state;
  }

  override async saveChanges(context: TurnContext, force = false): Promise<void> {
    const record = this.recordOf(context);
    if (!record) {
      // As BotState does: forced with nothing loaded writes an empty state.
      if (force) await this.writeRecord(context, { state: {}, eTag: undefined, stored: '' }, true);
      return;
    }
    await this.writeRecord(context, record, force);
  }

  /** Empties the state; the next save writes the empty state against the version this turn read. */
  override async clear(context: TurnContext): Promise<void> {
    context.turnState.set(this.turnKey, { state: {}, eTag: this.recordOf(context)?.eTag, stored: '' } satisfies TurnRecord);
  }

  override async delete(context: TurnContext): Promise<void> {
    context.turnState.delete(this.turnKey);
    await this.storage.delete([await this.storageKey(context)]);
  }

  override get(context: TurnContext): State | undefined {
    return this.recordOf(context)?.state;
  }

  private recordOf(context: TurnContext): TurnRecord | undefined {
    return context.turnState.get(this.turnKey) as TurnRecord | undefined;
  }

  private async writeRecord(context: TurnContext, record: TurnRecord, force: boolean): Promise<void> {
    const stored = storedForm(record.state);
    if (!force && stored === record.stored) return;
    const key = await this.storageKey(context);
    // Undefined for a conversation not stored yet: the storage then writes unconditionally.
    await this.storage.write({ [key]: { ...record.state, eTag: record.eTag } });
    // This turn now holds the latest version, so a second save in the same turn (the turn-error reset) may overwrite it.
    context.turnState.set(this.turnKey, { state: record.state, eTag: '*', stored } satisfies TurnRecord);
  }
}

