/**
 * Many messages of one conversation posted at once to one bot instance (the real server, SQLite storage).
 * The per-conversation queue runs them one after another, so none fails, none is lost, and the user is
 * never asked to resend: within one process there is nobody to conflict with.
 */
import { EmulatorConversation, visibleText, type TurnReply } from '../support/emulator';
import { e2eFixture } from '../support/e2eFixture';
import { askedToResend, repliesTo, sendAtOnce, type ParallelTurn, type SentTurn } from '../support/parallelTurns';

const EMAIL = 'agent@acme.com';
const API_KEY = 'concurrent-secret-key-0123456789abcdef';

const textOf = (reply: TurnReply): string => reply.messages.map(visibleText).join('\n');

describe('turns of one conversation posted at once to one instance', () => {
  const { gorgias, channel, bot } = e2eFixture({
    accounts: [{ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] }],
    // The default storage, in a throwaway DATA_DIR.
    env: { STORAGE: 'sqlite' },
  });

  /** Every POST got a 200 and at least one message in reply; nobody was asked to resend. */
  function expectAllAnswered(chat: EmulatorConversation, sent: SentTurn[]): Array<{ turn: SentTurn; text: string }> {
    return sent.map((turn) => {
      const replies = repliesTo(channel, chat.id, turn.activityId);
      expect({ label: turn.label, status: turn.status }).toEqual({ label: turn.label, status: 200 });
      expect({ label: turn.label, answered: replies.length > 0 }).toEqual({ label: turn.label, answered: true });
      expect({ label: turn.label, askedToResend: askedToResend(replies) }).toEqual({ label: turn.label, askedToResend: false });
      return { turn, text: replies.map(visibleText).join('\n') };
    });
  }

  function expectNoConflictOrError(): void {
    const events = bot.logs.map((line) => (JSON.parse(line) as { event?: string }).event);
    expect(events).not.toContain('state.etag_conflict');
    expect(events).not.toContain('turn.error');
    expect(events).not.toContain('http.turn_failed');
  }

  async function connect(chat: EmulatorConversation): Promise<void> {
    await chat.conversationUpdate();
    await chat.say('connect');
    await chat.say('acme');
    await chat.say(EMAIL);
    expect(textOf(await chat.submit({ apiKey: API_KEY }))).toContain("You're connected");
  }

  test('20 status and help messages at once to a connected conversation: all answered, profile intact', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await connect(chat);

    const turns: ParallelTurn[] = Array.from({ length: 20 }, (_, index) => ({ chat, text: index % 2 === 0 ? 'status' : 'help' }));
    const answered = expectAllAnswered(chat, await sendAtOnce(turns));

    for (const { turn, text } of answered) {
      if (turn.label.endsWith('status')) expect(text).toContain("You're connected to Gorgias");
      else expect(text).toContain('Here is what I understand');
    }
    expect(textOf(await chat.say('status'))).toContain(EMAIL);
    expectNoConflictOrError();
  });

  test('the connect answers racing with other messages: every step lands, and the profile is saved', async () => {
    const chat = new EmulatorConversation(bot.url, channel);
    await chat.conversationUpdate();
    const helpAtOnce = (count: number): ParallelTurn[] => Array.from({ length: count }, () => ({ chat, text: 'help' }));

    // Each answer arrives together with messages that do not move the dialog on (help) or that are
    // rejected and re-asked (too short to be a key), which also rewrite the conversation's state.
    const steps: Array<{ answer: ParallelTurn; others: ParallelTurn[]; next: RegExp }> = [
      { answer: { chat, text: 'connect', label: 'connect' }, others: helpAtOnce(4), next: /subdomain/i },
      { answer: { chat, text: 'acme', label: 'subdomain' }, others: helpAtOnce(4), next: /email/i },
      { answer: { chat, text: EMAIL, label: 'email' }, others: helpAtOnce(4), next: /API key/i },
      {
        answer: { chat, value: { apiKey: API_KEY }, label: 'key' },
        others: [...helpAtOnce(3), { chat, text: 'status' }, { chat, text: 'x' }, { chat, text: 'nope' }, { chat, text: 'status' }],
        next: /You're connected to the Gorgias account \*\*acme\*\*/,
      },
    ];
    for (const step of steps) {
      const sent = await sendAtOnce([step.answer, ...step.others]);
      const answered = expectAllAnswered(chat, sent);
      expect(answered[0].text).toMatch(step.next);
    }

    const status = textOf(await chat.say('status'));
    expect(status).toContain("You're connected to Gorgias");
    expect(status).toContain(EMAIL);
    expect(gorgias.requests.filter((request) => request.apiPath === '/api/account' && request.subdomain === 'acme').length).toBeGreaterThanOrEqual(1);
    expectNoConflictOrError();
  });

  test('two conversations posting at once do not wait for, or mix with, each other', async () => {
    const first = new EmulatorConversation(bot.url, channel);
    const second = new EmulatorConversation(bot.url, channel);
    await connect(first);
    await second.conversationUpdate();

    const sent = await sendAtOnce([
      ...Array.from({ length: 6 }, () => ({ chat: first, text: 'status', label: 'first: status' })),
      ...Array.from({ length: 6 }, () => ({ chat: second, text: 'status', label: 'second: status' })),
    ]);
    for (const turn of sent) {
      const chat = turn.label.startsWith('first') ? first : second;
      const text = repliesTo(channel, chat.id, turn.activityId).map(visibleText).join('\n');
      expect(turn.status).toBe(200);
      expect(text).toMatch(chat === first ? /You're connected to Gorgias/ : /haven't connected/);
    }
    expectNoConflictOrError();
  });
});
