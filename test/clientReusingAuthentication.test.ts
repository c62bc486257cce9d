/**
 * The adapter's authentication keeps the SDK's connector and user-token clients across turns instead of
 * building new ones every turn, without mixing up service URLs or growing without bound.
 */
import type { Activity } from 'botbuilder';
import { BoundedPromiseCache, ClientReusingAuthentication, MAX_CACHED_CLIENTS } from '../src/clientReusingAuthentication';

function activityFrom(serviceUrl: string): Activity {
  return {
    type: 'message',
    channelId: 'emulator',
    serviceUrl,
    conversation: { id: 'conversation-1' },
    from: { id: 'user-1' },
    recipient: { id: 'bot-1' },
  } as Activity;
}

/** What CloudAdapter does on each turn: authenticate, then get a connector client and a user-token client. */
async function clientsForTurn(auth: ClientReusingAuthentication, serviceUrl: string) {
  const result = await auth.authenticateRequest(activityFrom(serviceUrl), '');
  const connector = await result.connectorFactory!.create(serviceUrl, result.audience);
  const userToken = await auth.createUserTokenClient(result.claimsIdentity);
  return { result, connector, userToken };
}

describe('ClientReusingAuthentication (anonymous, as with the Emulator)', () => {
  test('a second turn gets the same connector and user-token clients as the first', async () => {
    const auth = new ClientReusingAuthentication({});
    const first = await clientsForTurn(auth, 'http://127.0.0.1:9001');
    const second = await clientsForTurn(auth, 'http://127.0.0.1:9001');
    expect(second.connector).toBe(first.connector);
    expect(second.userToken).toBe(first.userToken);
    // createConnectorFactory (used to open conversations) shares the same clients.
    const viaFactory = await auth.createConnectorFactory(first.result.claimsIdentity).create('http://127.0.0.1:9001', first.result.audience);
    expect(viaFactory).toBe(first.connector);
  });

  test('each service URL gets its own connector client, pointed at that URL', async () => {
    const auth = new ClientReusingAuthentication({});
    const one = await clientsForTurn(auth, 'http://127.0.0.1:9001');
    const two = await clientsForTurn(auth, 'http://127.0.0.1:9002');
    expect(two.connector).not.toBe(one.connector);
    expect((one.connector as unknown as { baseUri?: string }).baseUri).toBe('http://127.0.0.1:9001');
    expect((two.connector as unknown as { baseUri?: string }).baseUri).toBe('http://127.0.0.1:9002');
  });

  test('service URLs chosen by the sender cannot grow the cache without bound', async () => {
    const auth = new ClientReusingAuthentication({});
    const first = await clientsForTurn(auth, 'http://127.0.0.1:10000');
    for (let port = 10001; port <= 10000 + MAX_CACHED_CLIENTS; port += 1) await clientsForTurn(auth, `http://127.0.0.1:${port}`);
    // The least recently used client was dropped; asking again builds a new one.
    expect((await clientsForTurn(auth, 'http://127.0.0.1:10000')).connector).not.toBe(first.connector);
  });
});

describe('BoundedPromiseCache', () => {
  test('keeps at most its size, dropping the least recently used', async () => {
    const cache = new BoundedPromiseCache<string>(2);
    let built = 0;
    const make = (value: string) => () => {
      built += 1;
      return Promise.resolve(value);
    };
    await cache.get('a', make('a'));
    await cache.get('b', make('b'));
    await cache.get('a', make('a again'));
    await cache.get('c', make('c'));
    expect(cache.size).toBe(2);
    expect(built).toBe(3);
    expect(await cache.get('a', make('a rebuilt'))).toBe('a');
    expect(await cache.get('b', make('b rebuilt'))).toBe('b rebuilt');
  });

  test('forgets a failed creation, so the next call tries again', async () => {
    const cache = new BoundedPromiseCache<string>(4);
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(cache.size).toBe(0);
    expect(await cache.get('k', () => Promise.resolve('up'))).toBe('up');
  });
});
