import { isLoopbackUrl } from '../../src/validation/loopback';

describe('isLoopbackUrl', () => {
  test.each(['http://localhost:51234', 'http://127.0.0.1:51234/', 'https://127.0.0.1/', 'http://127.1.2.3:9000/x', 'http://[::1]:8080/', 'http://LOCALHOST:1/'])('%s is on this machine', (url) => {
    expect(isLoopbackUrl(url)).toBe(true);
  });

  test.each([
    'https://smba.trafficmanager.net/teams/',
    'http://10.0.0.5/',
    'http://127.0.0.1.attacker.example/',
    'http://localhost.attacker.example/',
    'http://0.0.0.0:1/',
    'ftp://127.0.0.1/',
    'file:///etc/passwd',
    'localhost:3978',
    '',
  ])('%j is not', (url) => {
    expect(isLoopbackUrl(url)).toBe(false);
  });
});
