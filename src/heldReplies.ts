/**
 * Replies held back until the turn's state is saved.
 *
 * A turn sends its replies while it runs, and the bot saves conversation state after. Were the save to
 * fail (a full disk, a storage outage, another instance's newer version), the user would already have
 * read "You're connected" for a profile that was never stored, and then "something went wrong", which
 * for a typed key means pasting it once more. So a turn's messages wait until the save has succeeded;
 * a failed turn drops them, and only the error's own answer is sent.
 *
 * Some replies are true whatever becomes of the save, and go out at once with sendNow, after anything
 * held before them (so the order is kept): what Gorgias did ("Ticket #5012 created": a user who never
 * saw it would create it again) and progress notices ("waiting for Gorgias", useless late). Typing
 * indicators are never held.
 */
import { ActivityTypes, MessageFactory, type Activity, type ResourceResponse, type TurnContext } from 'botbuilder';

const HELD_REPLIES = Symbol('heldReplies');
/**
 * Marks an activity to go out at once. A symbol-keyed property: TurnContext copies activities with
 * spread, which keeps it, and the connector serializes only the activity's own schema fields.
 */
const SEND_NOW = Symbol('heldReplies.sendNow');

type Outgoing = Partial<Activity> & { [SEND_NOW]?: true };

export class HeldReplies {
  private held: Partial<Activity>[] = [];
  private holding = true;
  private change: GorgiasChange | undefined;
  private keyNotice: string | undefined;

  constructor(private readonly context: TurnContext) {
    context.turnState.set(HELD_REPLIES, this);
    context.onSendActivities(async (_context, activities, next) => {
      if (!this.holding || activities.every((activity) => isTyping(activity) || (activity as Outgoing)[SEND_NOW] === true)) return next();
      this.held.push(...activities);
      // The SDK's prompts re-ask after a refused answer only if nothing was sent yet: held counts as sent.
      if (activities.some((activity) => activity.type !== ActivityTypes.Trace)) context.responded = true;
      // No channel has the message yet, so there is no id to give: nothing in this bot reads one.
      return activities.map((): ResourceResponse => ({ id: '' }));
    });
  }

  /**
   * What this turn did in Gorgias, as marked by markGorgiasChange: `done` when it changed something and
   * said so, `maybe` when a change got no answer and may have happened. A read, a failure report or a
   * busy notice changes nothing.
   */
  get gorgiasChange(): GorgiasChange | undefined {
    return this.change;
  }

  /** What the user was told about a key they typed into the chat, if anything (see noteKeyNotice). */
  get keyVisibleNotice(): string | undefined {
    return this.keyNotice;
  }

  noteKeyNotice(notice: string): void {
    this.keyNotice = notice;
  }

  markGorgiasChange(change: GorgiasChange): void {
    // `done` is the stronger statement: a turn that did one thing for sure and may have done another did something.
    if (this.change !== 'done') this.change = change;
  }

  /** Sends what was held, in order; later sends of the turn go straight out. */
  async release(): Promise<void> {
    this.holding = false;
    await this.flush();
  }

  /** Forgets what was held (the turn failed); later sends of the turn go straight out. */
  discard(): void {
    this.holding = false;
    this.held = [];
  }

  /** Sends what was held, then `activity`, now; later replies are held again. */
  async sendNow(activity: Partial<Activity> | string): Promise<void> {
    await this.flush();
    await this.context.sendActivity(markedNow(typeof activity === 'string' ? MessageFactory.text(activity) : activity));
  }

  private async flush(): Promise<void> {
    const held = this.held;
    this.held = [];
    if (held.length > 0) await this.context.sendActivities(held.map(markedNow));
  }
}

export type GorgiasChange = 'done' | 'maybe';

/**
 * Notes that this turn changed something in Gorgias (`done`), or asked for a change whose answer never
 * came (`maybe`): should the turn's state then not be saved, the stored dialog still waits for the answer
 * just acted on, and the bot must not let it act twice (see GorgiasBot.run).
 */
export function markGorgiasChange(context: TurnContext, change: GorgiasChange): void {
  (context.turnState.get(HELD_REPLIES) as HeldReplies | undefined)?.markGorgiasChange(change);
}

/**
 * Notes what the user is told about a key they typed into the chat ("please delete that message"). It is
 * said with the turn's next question, which a failed save drops: the bot then says it with its answer.
 */
export function noteKeyNotice(context: TurnContext, notice: string): void {
  (context.turnState.get(HELD_REPLIES) as HeldReplies | undefined)?.noteKeyNotice(notice);
}

/** Sends a reply that is true whatever becomes of the turn's save (see above), with what was held before it. */
export async function sendNow(context: TurnContext, activity: Partial<Activity> | string): Promise<void> {
  const replies = context.turnState.get(HELD_REPLIES) as HeldReplies | undefined;
  if (replies) await replies.sendNow(activity);
  else await context.sendActivity(activity);
}

function markedNow(activity: Partial<Activity>): Outgoing {
  return { ...activity, [SEND_NOW]: true };
}

function isTyping(activity: Partial<Activity>): boolean {
  return activity.type === ActivityTypes.Typing;
}
