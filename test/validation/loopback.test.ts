import { isLoopbackAddress, isLoopbackUrl } from '../../src/validation/loopback';

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

describe('isLoopbackAddress (a peer, as Node reports it)', () => {
  test.each(['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1'])('%s is this machine', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  test.each(['192.0.2.2', '::ffff:192.0.2.2', 'fe80::1', '0.0.0.0', '', undefined])('%j is not', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});
