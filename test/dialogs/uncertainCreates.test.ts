import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { UncertainCreates, draftDigest, type UncertainCreate } from '../../dialogs/uncertainCreates';

/** An accessor over one variable: what conversation state would hold for one conversation. */
function memoryAccessor(): StatePropertyAccessor<UncertainCreate[] | undefined> & { value: UncertainCreate[] | undefined } {
  const accessor = {
    value: undefined as UncertainCreate[] | undefined,
    async get() {
      return accessor.value;
    },
    async set(_context: TurnContext, value: UncertainCreate[] | undefined) {
      accessor.value = value;
    },
    async delete() {
      accessor.value = undefined;
    },
  };
  return accessor;
}

const context = { activity: { channelId: 'test', conversation: { id: 'c-1' } } } as unknown as TurnContext;
const now = (): string => new Date().toISOString();

test('the digest tells drafts apart, and holds none of their text', () => {
  const a = draftDigest('newTicket', ['jane@shop.com', 'Parcel', 'Crushed']);
  expect(draftDigest('newTicket', ['jane@shop.com', 'Parcel', 'Crushed'])).toBe(a);
  expect(draftDigest('newTicket', ['jane@shop.com', 'Parcel', 'Crushed!'])).not.toBe(a);
  expect(draftDigest('newCustomer', ['jane@shop.com', 'Parcel', 'Crushed'])).not.toBe(a);
  expect(a).not.toMatch(/jane|Parcel/);
});

test('remembered until forgotten; an hour old is forgotten by itself', async () => {
  const accessor = memoryAccessor();
  const uncertain = new UncertainCreates(accessor);
  const since = now();
  await uncertain.remember(context, 'd1', since);
  expect(await uncertain.sinceFor(context, 'd1')).toBe(since);
  expect(await uncertain.sinceFor(context, 'd2')).toBeUndefined();
  await uncertain.forget(context, 'd1');
  expect(accessor.value).toBeUndefined();

  await uncertain.remember(context, 'old', new Date(Date.now() - 61 * 60_000).toISOString());
  expect(await uncertain.sinceFor(context, 'old')).toBeUndefined();
});

test('at most five, the oldest dropped; garbage in state is ignored', async () => {
  const accessor = memoryAccessor();
  const uncertain = new UncertainCreates(accessor);
  for (const digest of ['a', 'b', 'c', 'd', 'e', 'f']) await uncertain.remember(context, digest, now());
  expect(accessor.value?.map((entry) => entry.digest)).toEqual(['b', 'c', 'd', 'e', 'f']);

  const garbage = memoryAccessor();
  garbage.value = [{ digest: 7, since: null }, null] as unknown as UncertainCreate[];
  expect(await new UncertainCreates(garbage).sinceFor(context, 'a')).toBeUndefined();
});

test('kept in memory too, for a turn whose state was never saved; only for its own conversation', async () => {
  const accessor = memoryAccessor();
  const uncertain = new UncertainCreates(accessor);
  const since = now();
  await uncertain.remember(context, 'd1', since);
  // The save failed: the next turn reads the state as it was before.
  accessor.value = undefined;
  expect(await uncertain.sinceFor(context, 'd1')).toBe(since);
  expect(await uncertain.sinceFor({ activity: { channelId: 'test', conversation: { id: 'c-2' } } } as unknown as TurnContext, 'd1')).toBeUndefined();
  // Another process (another instance, a restart) has no such memory.
  expect(await new UncertainCreates(accessor).sinceFor(context, 'd1')).toBeUndefined();
  await uncertain.forget(context, 'd1');
  expect(await uncertain.sinceFor(context, 'd1')).toBeUndefined();
});
