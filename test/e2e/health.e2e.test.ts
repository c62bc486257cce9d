/**
 * `/healthz` tells a storage that fails every turn: the real bot, real SQLite storage, broken underneath
 * the bot by closing its database, as a disk or mount that went away would.
 */
import { EmulatorConversation, visibleText } from '../support/emulator';
import { e2eFixture } from '../support/e2eFixture';
import { FAILURES_BEFORE_UNHEALTHY } from '../../src/storage/healthTrackingStorage';
import { SqliteStorage } from '../../src/storage/sqliteStorage';
import { STORAGE_FAILED } from '../../src/messages/bot';

describe('/healthz and the state storage', () => {
  const { channel, bot } = e2eFixture({ env: { STORAGE: 'sqlite' } });

  test('200 while storage works; 503 once it has failed several turns in a row, with GET and HEAD', async () => {
    const healthy = await fetch(`${bot.url}/healthz`);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toMatchObject({ status: 'ok', storage: { healthy: true } });

    expect(bot.app.storage).toBeInstanceOf(SqliteStorage);
    (bot.app.storage as SqliteStorage).close();

    for (let turn = 0; turn < FAILURES_BEFORE_UNHEALTHY; turn += 1) {
      const chat = new EmulatorConversation(bot.url, channel);
      const reply = await chat.say('status');
      expect(reply.messages.map(visibleText).join('\n')).toContain(STORAGE_FAILED);
    }
    const failing = await fetch(`${bot.url}/healthz`);
    expect(failing.status).toBe(503);
    expect(await failing.json()).toMatchObject({ status: 'storage failing', storage: { healthy: false } });
    expect((await fetch(`${bot.url}/healthz`, { method: 'HEAD' })).status).toBe(503);
  });
});
