/**
 * Gorgias URLs are built from a validated subdomain and encoded path segments: whatever text ends up in
 * a segment (an id, a tag, an email typed in chat), the request stays on the account's host and under
 * /api/<resource>/, as exactly one segment.
 */
import { apiPath, buildGorgiasUrl, isValidSubdomain } from '../../src/gorgias/urls';
import { hostileSubdomainInputs } from '../support/hostileSubdomains';

const TEMPLATES = ['https://{subdomain}.gorgias.com', 'http://127.0.0.1:4010/{subdomain}'];
const SEGMENTS = [
  ...hostileSubdomainInputs.filter((input) => input !== '' && input !== '.'),
  '../../admin',
  '..%2f..%2fadmin',
  '%2e%2e',
  'a/b',
  'a?b=c',
  'a#b',
  'a\\b',
  '@evil.com',
  'x\r\nHost: evil.com',
];

describe('path segments are encoded, never interpreted', () => {
  test.each(TEMPLATES)('with %s', (template) => {
    const base = new URL(buildGorgiasUrl(template, 'acme', apiPath('customers')));
    for (const segment of SEGMENTS) {
      let built: URL;
      try {
        built = new URL(buildGorgiasUrl(template, 'acme', apiPath('customers', segment)));
      } catch {
        // Refusing is fine (e.g. "..", which encoding cannot make harmless); going elsewhere is not.
        continue;
      }
      expect(built.origin).toBe(base.origin);
      expect(built.search).toBe('');
      expect(built.hash).toBe('');
      expect(built.pathname.startsWith(`${base.pathname}/`)).toBe(true);
      const rest = built.pathname.slice(base.pathname.length + 1);
      expect(rest).not.toContain('/');
      expect(decodeURIComponent(rest)).toBe(segment);
    }
  });

  test('dot segments are refused rather than encoded into something a server may still resolve', () => {
    for (const segment of ['.', '..']) expect(() => apiPath('tickets', segment)).toThrow();
  });
});

describe('the URL builder is a second line of defence behind the subdomain parser', () => {
  test('a hostile answer is refused, or (a plain label such as "localhost") stays one label of the configured host', () => {
    for (const input of hostileSubdomainInputs) {
      if (!isValidSubdomain(input)) {
        for (const template of TEMPLATES) expect(() => buildGorgiasUrl(template, input, '/api/account')).toThrow(/subdomain/);
        continue;
      }
      expect(new URL(buildGorgiasUrl(TEMPLATES[0] as string, input, '/api/account')).hostname).toBe(`${input}.gorgias.com`);
      const local = new URL(buildGorgiasUrl(TEMPLATES[1] as string, input, '/api/account'));
      expect([local.host, local.pathname]).toEqual(['127.0.0.1:4010', `/${input}/api/account`]);
    }
  });
});
