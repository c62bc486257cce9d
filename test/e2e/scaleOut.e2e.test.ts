/**
 * Scale-out end to end: two bot processes on different ports share one Azure Blob Storage container
 * (Azurite) and one STATE_ENCRYPTION_KEY, as instances behind Azure Bot Service would. No sticky
 * sessions: the turns of one conversation go to either instance.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { FakeGorgias } from '../support/fakeGorgias';
import { ChannelRecorder, EmulatorConversation, visibleText, type TurnReply } from '../support/emulator';
import { isNodeRuntimeWarning, startBotProcess, type BotProcess } from '../support/botProcess';
import { startAzurite, type AzuriteHandle } from '../support/azurite';
import { askedToResend, repliesTo, sendAtOnce, type ParallelTurn, type SentTurn } from '../support/parallelTurns';
import { conversationDocument, readBlobs } from '../support/rawState';

const EMAIL = 'agent@acme.com';
const API_KEY = 'scaleout-secret-key-0123456789abcdef';
const BASIC_TOKEN = Buffer.from(`${EMAIL}:${API_KEY}`).toString('base64');

const textOf = (reply: TurnReply): string => reply.messages.map(visibleText).join('\n');

/** `status`, asked through each instance, shows the connected profile. */
async function expectConnectedOnEveryInstance(...chats: EmulatorConversation[]): Promise<void> {
  for (const chat of chats) {
    const status = textOf(await chat.say('status'));
    expect(status).toContain("You're connected to Gorgias");
    expect(status).toContain(EMAIL);
  }
}

describe('two bot processes sharing one Azure Blob Storage container', () => {
  const gorgias = new FakeGorgias();
  const channel = new ChannelRecorder();
  const container = `scaleout-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  let azurite: AzuriteHandle;
  let instanceA: BotProcess;
  let instanceB: BotProcess;

  beforeAll(async () => {
    await gorgias.start();
    await channel.start();
    gorgias.addAccount({ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] });
    azurite = await startAzurite();
    const env = {
      STORAGE: 'blob',
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_CONTAINER: container,
      STATE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      GORGIAS_URL_TEMPLATE: gorgias.urlTemplate,
      LOG_LEVEL: 'info',
    };
    [instanceA, instanceB] = await Promise.all([startBotProcess(env), startBotProcess(env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([instanceA?.kill('SIGTERM'), instanceB?.kill('SIGTERM')]);
    await azurite?.stop();
    await channel.stop();
    await gorgias.stop();
  });

  function eventsOf(bot: BotProcess, event: string): Array<Record<string, unknown>> {
    return bot.logEvents().filter((record) => record.event === event);
  }

  /**
   * Every POST answered with 200 and at least one message. Returns the turns that were asked to resend;
   * each of those must be an eTag conflict the instance logged, never a silent overwrite.
   */
  function checkAnswered(chat: EmulatorConversation, sent: SentTurn[]): SentTurn[] {
    const resent: SentTurn[] = [];
    for (const turn of sent) {
      const replies = repliesTo(channel, chat.id, turn.activityId);
      expect({ label: turn.label, status: turn.status }).toEqual({ label: turn.label, status: 200 });
      expect({ label: turn.label, answered: replies.length > 0 }).toEqual({ label: turn.label, answered: true });
      if (askedToResend(replies)) resent.push(turn);
    }
    return resent;
  }

  /** Waits (bounded) until the instances have logged as many conflicts as users were asked to resend, then compares. */
  async function expectConflictsMatchResends(conflictsBefore: number, resent: SentTurn[]): Promise<void> {
    const conflicts = (): number => eventsOf(instanceA, 'state.etag_conflict').length + eventsOf(instanceB, 'state.etag_conflict').length - conflictsBefore;
    // Log lines are written asynchronously, so they may trail the HTTP answer by a moment.
    for (let waited = 0; conflicts() < resent.length && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(conflicts()).toBe(resent.length);
  }

  const totalConflicts = (): number => eventsOf(instanceA, 'state.etag_conflict').length + eventsOf(instanceB, 'state.etag_conflict').length;

  let connectedChat: EmulatorConversation;

  test('the two instances really are separate processes on separate ports, on blob storage', () => {
    expect(instanceA.pid).not.toBe(instanceB.pid);
    expect(instanceA.port).not.toBe(instanceB.port);
    for (const bot of [instanceA, instanceB]) {
      expect(eventsOf(bot, 'storage.ready')[0]?.storage).toBe(`Azure Blob Storage container "${container}"`);
    }
  });

  test('a conversation whose turns alternate between the instances completes the dialog', async () => {
    const onA = new EmulatorConversation(instanceA.url, channel);
    const onB = onA.via(instanceB.url);
    connectedChat = onA;

    expect((await onA.conversationUpdate()).status).toBe(200);
    expect(textOf(await onB.say('connect'))).toMatch(/subdomain/i);
    expect(textOf(await onA.say('acme'))).toMatch(/email/i);
    expect(textOf(await onB.say(EMAIL))).toMatch(/API key/i);
    expect(textOf(await onA.submit({ apiKey: API_KEY }))).toContain("You're connected to the Gorgias account **acme**");

    for (const chat of [onB, onA]) {
      const status = textOf(await chat.say('status'));
      expect(status).toContain("You're connected to Gorgias");
      expect(status).toContain(EMAIL);
      expect(status).toContain('••••cdef');
    }
    expect(gorgias.requests.filter((request) => request.apiPath === '/api/account')).toHaveLength(1);

    // At rest in the shared container the key is sealed with the shared key.
    const blobs = await readBlobs(azurite.connectionString, container);
    expect(blobs.length).toBeGreaterThan(0);
    for (const blob of blobs) {
      expect(blob.text).not.toContain(API_KEY);
      expect(blob.text).not.toContain(BASIC_TOKEN);
    }
    expect(conversationDocument(blobs, onA.id)?.gorgiasProfile).toMatchObject({ email: EMAIL, sealedKey: expect.stringMatching(/^v1\./) });
  });

  test('many messages at once, split between the instances, to a connected conversation: no 500, profile kept', async () => {
    const onA = connectedChat;
    const onB = onA.via(instanceB.url);
    const conflictsBefore = totalConflicts();
    // `reconnect` starts a dialog and `status` may then be taken as its answer, so these turns rewrite the
    // conversation's state from both instances at once; `help` only reads.
    const texts = ['status', 'help', 'reconnect', 'status', 'help', 'status', 'reconnect', 'status', 'help', 'status', 'status', 'help'];
    const turns: ParallelTurn[] = texts.flatMap((text, index) => [
      { chat: index % 2 === 0 ? onA : onB, text, label: `${text} to ${index % 2 === 0 ? 'A' : 'B'} #${index}` },
    ]);
    const sent = await sendAtOnce([...turns, ...turns.map((turn) => ({ ...turn, chat: turn.chat === onA ? onB : onA, label: `${turn.label} (other)` }))]);
    const resent = checkAnswered(onA, sent);
    await expectConflictsMatchResends(conflictsBefore, resent);

    // Leave whatever dialog the burst started; the profile was never touched by it.
    await onA.say('cancel');
    await expectConnectedOnEveryInstance(onA, onB);
  });

  test('the key racing with other answers on both instances: the profile is saved, or the user is told to resend', async () => {
    const onA = new EmulatorConversation(instanceA.url, channel);
    const onB = onA.via(instanceB.url);
    await onA.conversationUpdate();
    await onB.say('connect');
    await onA.say('acme');
    expect(textOf(await onB.say(EMAIL))).toMatch(/API key/i);
    const conflictsBefore = totalConflicts();

    // Answers too short to be a key are re-asked, which rewrites the dialog's state. Had they been
    // written over the key's turn without an eTag check, the saved profile would silently vanish.
    const others: ParallelTurn[] = Array.from({ length: 12 }, (_, index) => ({
      chat: index % 2 === 0 ? onA : onB,
      text: index % 3 === 0 ? 'help' : 'short',
      label: `other #${index}`,
    }));
    const keyTurn: ParallelTurn = { chat: onA, value: { apiKey: API_KEY }, label: 'key' };
    const sent = await sendAtOnce([...others.slice(0, 6), keyTurn, ...others.slice(6)]);
    const resent = checkAnswered(onA, sent);
    await expectConflictsMatchResends(conflictsBefore, resent);

    const key = sent.find((turn) => turn.label === 'key')!;
    const keyReplies = repliesTo(channel, onA.id, key.activityId).map(visibleText).join('\n');
    if (resent.includes(key)) {
      // The key's turn lost the race and said so, and only that: its "connected" was never sent, since
      // nothing was stored. The dialog still waits for the key, so resending it works.
      expect(keyReplies).not.toContain("You're connected");
      expect(textOf(await onB.submit({ apiKey: API_KEY }))).toContain("You're connected to the Gorgias account **acme**");
    } else {
      expect(keyReplies).toContain("You're connected to the Gorgias account **acme**");
    }
    // Either way the user, who was told they are connected (and not asked to resend, or who resent), is.
    await expectConnectedOnEveryInstance(onA, onB);
  });

  test('a turn that read the state before the other instance saved the profile is refused, not written over it, and claims nothing', async () => {
    const onA = new EmulatorConversation(instanceA.url, channel);
    const onB = onA.via(instanceB.url);
    await onA.conversationUpdate();
    await onB.say('connect');
    await onA.say('acme');
    expect(textOf(await onB.say(EMAIL))).toMatch(/API key/i);
    const conflictsOnB = eventsOf(instanceB, 'state.etag_conflict').length;

    // B's key turn reads the conversation's state, then waits for Gorgias (slowed down for it alone).
    const account = { domain: 'acme', created_datetime: '2024-01-15T10:00:00.000000+00:00', status: { status: 'active' }, settings: [] };
    gorgias.setBehaviourOnce('acme', { status: 200, body: JSON.stringify(account), delayMs: 1_500 });
    const callsBefore = gorgias.count('acme');
    const heldTurnId = randomUUID();
    const heldTurn = onB.post({ type: 'message', id: heldTurnId, value: { apiKey: API_KEY } });
    for (let waited = 0; gorgias.count('acme') === callsBefore && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));

    // Meanwhile A connects the account and saves the profile.
    const connected = await onA.submit({ apiKey: API_KEY });
    expect(textOf(connected)).toContain("You're connected to the Gorgias account **acme**");
    expect(askedToResend(connected.messages)).toBe(false);

    // B's write, based on the version without A's profile, must fail rather than write over it; and B,
    // whose turn stored nothing, says only that, never that it connected.
    expect((await heldTurn).status).toBe(200);
    const heldReplies = repliesTo(channel, onB.id, heldTurnId);
    expect(askedToResend(heldReplies)).toBe(true);
    expect(heldReplies.map(visibleText).join('\n')).not.toContain("You're connected");

    await expectConnectedOnEveryInstance(onA, onB);
    for (let waited = 0; eventsOf(instanceB, 'state.etag_conflict').length === conflictsOnB && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(eventsOf(instanceB, 'state.etag_conflict')).toHaveLength(conflictsOnB + 1);
  });

  test('disconnect on one instance deletes the sealed key from the shared container', async () => {
    const onA = connectedChat;
    const onB = onA.via(instanceB.url);
    expect(textOf(await onB.say('disconnect'))).toMatch(/forgotten your Gorgias account/);

    const stored = conversationDocument(await readBlobs(azurite.connectionString, container), onA.id);
    expect(stored).toBeDefined();
    expect(stored).not.toHaveProperty('gorgiasProfile');
    expect(JSON.stringify(stored)).not.toContain('sealedKey');
    expect(textOf(await onA.say('status'))).toMatch(/haven't connected/);
  });

  test('neither instance logged the key, failed a turn, or wrote anything unexpected to stderr', () => {
    for (const bot of [instanceA, instanceB]) {
      const output = [...bot.stdoutLines, ...bot.stderrLines].join('\n');
      expect(output).not.toContain(API_KEY);
      expect(output).not.toContain(BASIC_TOKEN);
      expect(output).not.toContain('AccountKey');
      expect(eventsOf(bot, 'turn.error')).toEqual([]);
      expect(eventsOf(bot, 'http.turn_failed')).toEqual([]);
      expect(bot.stderrLines.filter((line) => !isNodeRuntimeWarning(line))).toEqual([]);
    }
  });
});
