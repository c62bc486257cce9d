/**
 * Where a user's verified profile lives: a property of conversation state, sealed (see profile/profile.ts).
 * Only the user who connected it can use it, which matters in group conversations, where conversation
 * state is shared by every member.
 */
import type { ConversationState, StatePropertyAccessor, TurnContext } from 'botbuilder';
import { openProfile, sealProfile, type ConnectedProfile, type StoredProfile } from './profile/profile';
import type { SecretBox } from './security/secretBox';

export type ProfileLookup =
  | { state: 'none' }
  | { state: 'connected'; profile: ConnectedProfile; needsReconnect: boolean }
  /** Stored, but not openable with the current keys (rotated away, tampered, older format). */
  | { state: 'unreadable' };

export class ProfileStore {
  private readonly accessor: StatePropertyAccessor<StoredProfile | undefined>;

  constructor(
    conversationState: ConversationState,
    private readonly box: SecretBox,
  ) {
    this.accessor = conversationState.createProperty<StoredProfile | undefined>('gorgiasProfile');
  }

  async load(context: TurnContext): Promise<ProfileLookup> {
    const stored = await this.accessor.get(context);
    if (stored === undefined) return { state: 'none' };
    // Another member's profile does not exist as far as this user is concerned.
    if (belongsToSomeoneElse(stored, context)) return { state: 'none' };
    const opened = openProfile(this.box, stored);
    if (opened.state === 'unreadable') return opened;
    if (opened.resealed) await this.accessor.set(context, opened.resealed);
    return { state: 'connected', profile: opened.profile, needsReconnect: stored.needsReconnect === true };
  }

  async save(context: TurnContext, profile: ConnectedProfile): Promise<void> {
    await this.accessor.set(context, sealProfile(this.box, profile));
  }

  async markNeedsReconnect(context: TurnContext): Promise<void> {
    const stored = await this.accessor.get(context);
    if (stored && !belongsToSomeoneElse(stored, context)) await this.accessor.set(context, { ...stored, needsReconnect: true });
  }

  /**
   * Removes the whole stored profile, sealed key included: the next save of conversation state drops it.
   * An unreadable profile with no owner (an older format) goes too, so nothing undecryptable lingers.
   */
  async remove(context: TurnContext): Promise<boolean> {
    const stored = await this.accessor.get(context);
    if (stored === undefined) return false;
    if (belongsToSomeoneElse(stored, context)) return false;
    await this.accessor.delete(context);
    return true;
  }
}

/** Stored values come from outside the process: only a string owner id that differs proves someone else owns it. */
function belongsToSomeoneElse(stored: unknown, context: TurnContext): boolean {
  if (typeof stored !== 'object' || stored === null) return false;
  const ownerId = (stored as { ownerId?: unknown }).ownerId;
  return typeof ownerId === 'string' && ownerId !== context.activity.from?.id;
}
