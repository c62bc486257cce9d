/**
 * The usual end-to-end setup, registered as Jest hooks of the enclosing describe: a fake Gorgias with
 * the given accounts, a ChannelRecorder for the bot's replies, and the real bot (startBot) pointed at
 * the fake. Everything is stopped after the block, the bot first.
 */
import { FakeGorgias, type FakeAccountSpec } from './fakeGorgias';
import { ChannelRecorder } from './emulator';
import { startBot, type BotUnderTest } from './botUnderTest';

export interface E2eFixtureOptions {
  /** Accounts the fake Gorgias knows before the bot starts. */
  accounts?: FakeAccountSpec[];
  /** The bot's environment; GORGIAS_URL_TEMPLATE already points at the fake. */
  env?: Record<string, string>;
}

export interface E2eFixture {
  readonly gorgias: FakeGorgias;
  readonly channel: ChannelRecorder;
  /** Stands for the bot started in beforeAll, so it can be named (and destructured) at describe time. */
  readonly bot: BotUnderTest;
}

export function e2eFixture(options: E2eFixtureOptions = {}): E2eFixture {
  const gorgias = new FakeGorgias();
  const channel = new ChannelRecorder();
  let started: BotUnderTest | undefined;

  const current = (): BotUnderTest => {
    if (started === undefined) throw new Error('The bot is only there between beforeAll and afterAll.');
    return started;
  };
  const bot: BotUnderTest = {
    get url() {
      return current().url;
    },
    get app() {
      return current().app;
    },
    get dataDir() {
      return current().dataDir;
    },
    get logs() {
      return current().logs;
    },
    stop: () => current().stop(),
  };

  beforeAll(async () => {
    await gorgias.start();
    await channel.start();
    for (const account of options.accounts ?? []) gorgias.addAccount(account);
    started = await startBot({ GORGIAS_URL_TEMPLATE: gorgias.urlTemplate, ...options.env });
  });

  afterAll(async () => {
    await started?.stop();
    started = undefined;
    await channel.stop();
    await gorgias.stop();
  });

  return { gorgias, channel, bot };
}
