/**
 * End to end, the key in the chat: the masked card, typed keys (deleted where the channel can, the user
 * asked to otherwise, and never a deletion claimed that did not happen), group conversations, and members
 * of one conversation who must not reach each other's profile.
 */
import { EmulatorConversation, visibleText } from '../support/emulator';
import { e2eFixture } from '../support/e2eFixture';
import * as sayBot from '../../src/messages/bot';
import { GROUP_CONNECT_DM_SENT, GROUP_CONNECT_PRIVATE_INVITE, GROUP_CONNECT_REFUSED } from '../../src/messages/connect';
import { connectWithCard, rejoin, said, startConnect } from '../security/helpers';

const EMAIL = 'agent@acme.com';
const API_KEY = 'chat-secret-key-3e4f5a6b7c8d9e0f';
const DELETED = /deleted your message/i;
const PLEASE_DELETE = /please delete the message/i;

describe('the key in the chat', () => {
  const { gorgias, channel, bot } = e2eFixture({ accounts: [{ subdomain: 'acme', users: [{ email: EMAIL, apiKey: API_KEY }] }] });

  afterEach(() => {
    channel.deleteStatus = 200;
    channel.createConversationStatus = 200;
  });

  function deletesIn(chat: EmulatorConversation) {
    return channel.calls.filter((call) => call.method === 'DELETE' && call.conversationId === chat.id);
  }

  describe('masked entry', () => {
    test.each(['emulator', 'webchat', 'msteams'])('on %s the key is asked for in a password field of an Adaptive Card 1.5, and a submission connects', async (channelId) => {
      const chat = new EmulatorConversation(bot.url, channel, { channelId });
      const question = await startConnect(chat, 'acme', EMAIL);
      const card = question.messages[0]?.attachments as { contentType: string; content: { version: string; body: Record<string, unknown>[]; actions: unknown[] } }[];
      expect(card).toHaveLength(1);
      expect(card[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(card[0]?.content.version).toBe('1.5');
      expect(card[0]?.content.body).toContainEqual(expect.objectContaining({ type: 'Input.Text', id: 'apiKey', style: 'password' }));
      expect(card[0]?.content.actions).toContainEqual(expect.objectContaining({ type: 'Action.Submit' }));

      const connected = await chat.submit({ apiKey: API_KEY, action: 'submitApiKey' });
      expect(said(connected)).toMatch(/connected to the Gorgias account/);
      // Nothing was typed, so nothing needs deleting, and the user is not asked to.
      expect(said(connected)).not.toMatch(PLEASE_DELETE);
      expect(deletesIn(chat)).toHaveLength(0);
      expect(channel.calls.map((call) => JSON.stringify(call.activity ?? {})).join('\n')).not.toContain(API_KEY);
    });

    test('the submission of some other card is not taken for the key: the card is asked again and nothing given is lost', async () => {
      const chat = new EmulatorConversation(bot.url, channel);
      await startConnect(chat, 'acme', EMAIL);
      const other = await chat.submit({ action: 'somethingElse', choice: 'yes' });
      expect(said(other)).toMatch(/typed text|paste/i);
      expect(JSON.stringify(other.messages)).toContain('"style":"password"');
      const before = gorgias.count('acme');
      expect(said(await chat.submit({ apiKey: API_KEY }))).toMatch(/connected to the Gorgias account \*\*acme\*\* .* as \*\*agent@acme.com\*\*/);
      expect(gorgias.count('acme')).toBe(before + 1);
    });

    test('on a channel without cards (Slack) the key is asked for as text', async () => {
      const chat = new EmulatorConversation(bot.url, channel, { channelId: 'slack' });
      const question = await startConnect(chat, 'acme', EMAIL);
      expect(question.messages[0]?.attachments ?? []).toHaveLength(0);
      expect(visibleText(question.messages[0] ?? {})).toMatch(/API key/i);
      await chat.say('cancel');
    });
  });

  describe('typed keys', () => {
    test('Slack: the message holding the key is deleted, and the bot says so', async () => {
      const chat = new EmulatorConversation(bot.url, channel, { channelId: 'slack' });
      await startConnect(chat, 'acme', EMAIL);
      const reply = await chat.post({ type: 'message', text: API_KEY, id: 'slack-key-message-1' });
      expect(deletesIn(chat).map((call) => call.activityId)).toEqual(['slack-key-message-1']);
      expect(said(reply)).toMatch(DELETED);
      expect(said(reply)).not.toMatch(PLEASE_DELETE);
      expect(said(reply)).toMatch(/connected to the Gorgias account/);
    });

    test('Slack: a wrong key is deleted too', async () => {
      const chat = new EmulatorConversation(bot.url, channel, { channelId: 'slack' });
      await startConnect(chat, 'acme', EMAIL);
      const reply = await chat.post({ type: 'message', text: 'wrong-key-1234567890', id: 'slack-wrong-key' });
      expect(deletesIn(chat).map((call) => call.activityId)).toEqual(['slack-wrong-key']);
      expect(said(reply)).toMatch(DELETED);
      expect(said(reply)).toMatch(/didn't accept/);
      await chat.say('cancel');
    });

    test('Slack refusing the deletion: the user is asked to delete it, the flow goes on, and no deletion is claimed', async () => {
      channel.deleteStatus = 403;
      const chat = new EmulatorConversation(bot.url, channel, { channelId: 'slack' });
      await startConnect(chat, 'acme', EMAIL);
      const reply = await chat.post({ type: 'message', text: API_KEY, id: 'slack-key-message-2' });
      expect(deletesIn(chat).map((call) => call.activityId)).toEqual(['slack-key-message-2']);
      expect(reply.status).toBe(200);
      expect(said(reply)).toMatch(PLEASE_DELETE);
      expect(said(reply)).not.toMatch(DELETED);
      expect(said(reply)).toMatch(/connected to the Gorgias account/);
    });

    test.each(['emulator', 'msteams', 'webchat'])('%s cannot delete a user message: no attempt, the user is asked to delete it', async (channelId) => {
      const chat = new EmulatorConversation(bot.url, channel, { channelId });
      await startConnect(chat, 'acme', EMAIL);
      const reply = await chat.say(API_KEY);
      expect(deletesIn(chat)).toHaveLength(0);
      expect(said(reply)).toMatch(PLEASE_DELETE);
      expect(said(reply)).not.toMatch(DELETED);
      expect(said(reply)).toMatch(/connected to the Gorgias account/);
    });
  });

  describe('group conversations', () => {
    test.each([
      ['emulator', 'connect'],
      ['slack', 'connect'],
      ['webchat', 'reconnect'],
      ['emulator', 'login'],
    ])('on %s, "%s" in a group gets the one-to-one explanation and no question at all', async (channelId, command) => {
      const group = new EmulatorConversation(bot.url, channel, { channelId, isGroup: true });
      const created = channel.createdConversations.length;
      const reply = await group.say(command);
      expect(said(reply)).toContain(GROUP_CONNECT_REFUSED);
      expect(said(reply)).not.toContain(GROUP_CONNECT_DM_SENT);
      expect(JSON.stringify(reply.messages)).not.toMatch(/Input\.Text|subdomain\?/);
      expect(channel.createdConversations.length).toBe(created);
      // Nothing is waiting for an answer: a key-looking message gets the ordinary "didn't understand".
      const next = await group.say(API_KEY);
      expect(said(next)).toContain(sayBot.NOT_UNDERSTOOD);
    });

    test('Teams: an @mention "connect" in a group opens a one-to-one chat with that member and invites them there', async () => {
      const group = new EmulatorConversation(bot.url, channel, { channelId: 'msteams', isGroup: true });
      const reply = await group.post({
        type: 'message',
        text: '<at>Gorgias</at> connect',
        entities: [{ type: 'mention', text: '<at>Gorgias</at>', mentioned: { id: group.bot.id, name: 'Gorgias' } }],
        conversation: { id: group.id, isGroup: true, conversationType: 'groupChat', tenantId: 'tenant-1' },
      });

      expect(said(reply)).toContain(GROUP_CONNECT_REFUSED);
      expect(said(reply)).toContain(GROUP_CONNECT_DM_SENT);
      const created = channel.createdConversations[channel.createdConversations.length - 1];
      expect(created?.parameters).toMatchObject({ isGroup: false, bot: { id: group.bot.id }, members: [{ id: group.user.id }], tenantId: 'tenant-1' });
      const invitation = channel.sentTo(created?.id ?? '');
      expect(invitation).toHaveLength(1);
      expect(visibleText(invitation[0] ?? {})).toContain(GROUP_CONNECT_PRIVATE_INVITE);
      expect(JSON.stringify(invitation)).not.toMatch(/Input\.Text/);
    });

    test('Teams refusing the one-to-one chat: only the explanation, no claim that a message was sent', async () => {
      channel.createConversationStatus = 403;
      const group = new EmulatorConversation(bot.url, channel, { channelId: 'msteams', isGroup: true });
      const reply = await group.say('connect');
      expect(reply.status).toBe(200);
      expect(said(reply)).toContain(GROUP_CONNECT_REFUSED);
      expect(said(reply)).not.toContain(GROUP_CONNECT_DM_SENT);
    });

    test("another member of a conversation sees no connection, cannot disconnect it, and the owner's profile survives", async () => {
      const alice = new EmulatorConversation(bot.url, channel);
      await connectWithCard(alice, 'acme', EMAIL, API_KEY);
      const stateKey = `emulator/conversations/${alice.id}/`;
      const storedBefore = JSON.stringify((await bot.app.storage.read([stateKey]))[stateKey]?.gorgiasProfile);
      expect(storedBefore).toContain('sealedKey');

      const bob = { id: 'bob-id', name: 'Bob', role: 'user' };
      for (const isGroup of [true, false]) {
        const bobsView = rejoin(bot.url, channel, alice, { user: bob, isGroup });
        const status = said(await bobsView.say('status'));
        expect(status).toContain(isGroup ? sayBot.GROUP_NOT_CONNECTED : sayBot.NOT_CONNECTED);
        expect(status).not.toContain(EMAIL);
        expect(said(await bobsView.say('disconnect'))).toContain(sayBot.NOTHING_TO_DISCONNECT);
      }

      expect(JSON.stringify((await bot.app.storage.read([stateKey]))[stateKey]?.gorgiasProfile)).toBe(storedBefore);
      expect(said(await alice.say('status'))).toContain(EMAIL);
    });
  });
});
