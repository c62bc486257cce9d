/**
 * The usual setup of a dialog test file, registered as Jest hooks: one fake Gorgias for the file, reset
 * and seeded before each test; every harness a test opens is closed after it; and every activity and log
 * line of the whole file collected, so the file can check at its end that no secret was ever shown.
 */
import type { Activity } from 'botbuilder';
import { FakeGorgias } from './fakeGorgias';
import { BotHarness, type HarnessOptions } from './dialogHarness';

export interface DialogFixture {
  readonly fake: FakeGorgias;
  /** Every activity any harness of the file sent. */
  readonly transcript: Partial<Activity>[];
  /** Every log line any harness of the file wrote, as raw JSON text. */
  readonly logs: string[];
  /** A harness talking to the fake, closed after the test. */
  chat(options?: Partial<HarnessOptions>): BotHarness;
}

/** `seed` runs before each test, on a freshly reset fake. */
export function dialogFixture(seed: (fake: FakeGorgias) => void): DialogFixture {
  const fake = new FakeGorgias();
  const transcript: Partial<Activity>[] = [];
  const logs: string[] = [];
  const open: BotHarness[] = [];

  function chat(options: Partial<HarnessOptions> = {}): BotHarness {
    const harness = new BotHarness({ urlTemplate: fake.urlTemplate, transcript, logSink: logs, ...options });
    open.push(harness);
    return harness;
  }

  beforeAll(async () => {
    await fake.start();
  });

  beforeEach(() => {
    fake.reset();
    seed(fake);
  });

  afterEach(() => {
    for (const harness of open.splice(0)) harness.close();
  });

  afterAll(async () => {
    await fake.stop();
  });

  return { fake, transcript, logs, chat };
}
