/**
 * The usual setup of a GorgiasClient test file, registered as Jest hooks: one fake Gorgias for the file,
 * reset and seeded before each test, and every client a test makes closed after it, once the fake has
 * answered everything, so no keep-alive socket outlives the file.
 */
import { GorgiasClient, userAgentFor } from '../../src/gorgias/client';
import { FakeGorgias } from './fakeGorgias';

export type ClientOverrides = Partial<ConstructorParameters<typeof GorgiasClient>[0]>;

export interface ClientFixture {
  readonly fake: FakeGorgias;
  /** A client of the fake (2 s timeout, the bot's user agent), closed after the test. */
  makeClient(overrides?: ClientOverrides): GorgiasClient;
}

/** `seed` runs before each test, on a freshly reset fake. */
export function clientFixture(seed: (fake: FakeGorgias) => void): ClientFixture {
  const fake = new FakeGorgias();
  const clients: GorgiasClient[] = [];

  function makeClient(overrides: ClientOverrides = {}): GorgiasClient {
    const client = new GorgiasClient({ urlTemplate: fake.urlTemplate, timeoutMs: 2000, userAgent: userAgentFor('gorgias-bot', '0.1.0'), ...overrides });
    clients.push(client);
    return client;
  }

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.reset();
    seed(fake);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await fake.waitUntilIdle();
  });

  return { fake, makeClient };
}
