/**
 * Many turns of one conversation POSTed at the same moment, as a user double-sending or a channel
 * redelivering would, possibly to different bot instances. Each turn gets its own activity id, and the
 * bot's replies are matched to it through the id they reply to (the path of the channel call).
 */
import { randomUUID } from 'node:crypto';
import { RESEND_PLEASE } from '../../src/messages/bot';
import type { ChannelRecorder, EmulatorConversation } from './emulator';

export interface ParallelTurn {
  /** The conversation, pointed at the instance this turn goes to (see EmulatorConversation.via). */
  chat: EmulatorConversation;
  text?: string;
  /** A card submission instead of text. */
  value?: Record<string, unknown>;
  /** A name for failure messages, e.g. 'key to A'. */
  label?: string;
}

export interface SentTurn {
  label: string;
  activityId: string;
  botUrl: string;
  /** The HTTP status the bot answered the POST with. */
  status: number;
}

/** Sends every turn at once and waits for every HTTP answer. */
export async function sendAtOnce(turns: ParallelTurn[]): Promise<SentTurn[]> {
  return Promise.all(
    turns.map(async (turn, index) => {
      const activityId = randomUUID();
      const fields: Record<string, unknown> = { type: 'message', id: activityId };
      if (turn.text !== undefined) fields.text = turn.text;
      if (turn.value !== undefined) fields.value = turn.value;
      const reply = await turn.chat.post(fields);
      return { label: turn.label ?? `turn ${index}: ${turn.text ?? 'submission'}`, activityId, botUrl: turn.chat.botUrl, status: reply.status };
    }),
  );
}

/** The messages (not typing indicators) the bot sent in reply to one activity. */
export function repliesTo(channel: ChannelRecorder, conversationId: string, activityId: string): Record<string, unknown>[] {
  return channel.calls
    .filter((call) => call.method === 'POST' && call.conversationId === conversationId && call.activityId === activityId)
    .map((call) => call.activity ?? {})
    .filter((activity) => activity.type === 'message');
}

/** True when one of the replies asks the user to send the message again (the eTag-conflict answer). */
export function askedToResend(replies: Record<string, unknown>[]): boolean {
  return replies.some((reply) => reply.text === RESEND_PLEASE);
}
