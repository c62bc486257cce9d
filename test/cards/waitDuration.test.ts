import { waitDuration } from '../../src/messages/duration';
import { rateLimited } from '../../src/messages/connect';
import { explainFailure } from '../../src/messages/tickets';

test.each([
  [0, '1 second'],
  [1, '1 second'],
  [2.2, '3 seconds'],
  [89, '89 seconds'],
  [90, '2 minutes'],
  [600, '10 minutes'],
  [3_540, '59 minutes'],
  [3_600, '1 hour'],
  [5_399, '1.5 hours'],
  [7_200, '2 hours'],
  [86_400, '24 hours'],
  [Number.NaN, '1 second'],
])('%s s reads "%s"', (seconds, text) => {
  expect(waitDuration(seconds)).toBe(text);
});

test('the rate-limit messages use it, not raw seconds', () => {
  expect(rateLimited(600)).toContain('about **10 minutes**');
  expect(explainFailure({ kind: 'rate_limited', status: 429, retryAfterSeconds: 3_600 }, { topic: { kind: 'tickets' }, keyOwner: 'user' })).toContain(
    'try again in about 1 hour',
  );
});
