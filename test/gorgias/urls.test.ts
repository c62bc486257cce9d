import { apiPath, buildGorgiasUrl, isValidSubdomain, ticketWebUrl, validateUrlTemplate } from '../../src/gorgias/urls';

const PRODUCTION = 'https://{subdomain}.gorgias.com';
const LOCAL = 'http://127.0.0.1:4010/{subdomain}';

describe('validateUrlTemplate', () => {
  test.each([
    PRODUCTION,
    `${PRODUCTION}/`,
    'https://{subdomain}.gorgias.com:8443',
    LOCAL,
    `${LOCAL}/`,
    'http://localhost:4010/{subdomain}',
    'http://127.5.6.7/{subdomain}',
    'http://[::1]:4010/{subdomain}',
    'https://gorgias.example.com/tenants/{subdomain}/',
  ])('accepts %s', (template) => {
    expect(validateUrlTemplate(template)).toBeUndefined();
  });

  test.each([
    ['no placeholder', 'https://acme.gorgias.com', /exactly once/],
    ['two placeholders', 'https://{subdomain}.gorgias.com/{subdomain}', /exactly once/],
    ['not a URL', '{subdomain}.gorgias.com', /not a valid URL/],
    ['placeholder in the port', 'http://127.0.0.1:{subdomain}', /not a valid URL/],
    ['plain http to a public host', 'http://{subdomain}.gorgias.com', /https/],
    ['http with the placeholder in the host', 'http://{subdomain}.localhost:4010', /https/],
    ['http to a private but not loopback host', 'http://10.0.0.1/{subdomain}', /https/],
    ['another scheme', 'ftp://{subdomain}.gorgias.com', /https/],
    ['a query', 'https://{subdomain}.gorgias.com/?a=1', /query/],
    ['an empty query', 'https://{subdomain}.gorgias.com/?', /query/],
    ['a fragment', 'https://{subdomain}.gorgias.com/#top', /fragment/],
    ['credentials', 'https://user:pass@{subdomain}.gorgias.com', /credentials/],
    ['a user name only', 'https://user@{subdomain}.gorgias.com', /credentials/],
    ['part of a host label', 'https://x{subdomain}.gorgias.com', /whole host label/],
    ['part of a path segment', 'https://gorgias.example.com/t-{subdomain}', /whole host label/],
    ['whitespace', ' https://{subdomain}.gorgias.com', /whitespace/],
  ])('refuses %s', (_name, template, message) => {
    expect(validateUrlTemplate(template)).toMatch(message);
  });
});

describe('apiPath', () => {
  test.each([
    [['account'], '/api/account'],
    [['tickets', 12, 'tags'], '/api/tickets/12/tags'],
    [['users', 0], '/api/users/0'],
    [['customers', 'a b/c?d#e'], '/api/customers/a%20b%2Fc%3Fd%23e'],
  ] as [(string | number)[], string][])('%j -> %s', (segments, expected) => {
    expect(apiPath(...segments)).toBe(expected);
  });

  test.each([[['..']], [['.']], [['']], [[-1]], [[1.5]], [[Number.NaN]]] as [(string | number)[]][])(
    'refuses %j',
    (segments) => {
      expect(() => apiPath(...segments)).toThrow();
    },
  );
});

describe('buildGorgiasUrl', () => {
  test.each([
    [PRODUCTION, '/api/account', undefined, 'https://acme.gorgias.com/api/account'],
    [`${PRODUCTION}/`, '/api/account', undefined, 'https://acme.gorgias.com/api/account'],
    [LOCAL, '/api/account', undefined, 'http://127.0.0.1:4010/acme/api/account'],
    [`${LOCAL}/`, '/api/account', undefined, 'http://127.0.0.1:4010/acme/api/account'],
    [
      PRODUCTION,
      apiPath('tickets'),
      { limit: 30, order_by: 'created_datetime:desc', cursor: undefined },
      'https://acme.gorgias.com/api/tickets?limit=30&order_by=created_datetime%3Adesc',
    ],
    [PRODUCTION, apiPath('customers'), { email: 'a+b@x.com' }, 'https://acme.gorgias.com/api/customers?email=a%2Bb%40x.com'],
  ] as [string, string, Record<string, string | number | undefined> | undefined, string][])(
    '%s + %s',
    (template, path, query, expected) => {
      expect(buildGorgiasUrl(template, 'acme', path, query)).toBe(expected);
    },
  );

  test.each(['acme', 'a', 'a1', 'my-shop', 'x'.repeat(63)])('accepts subdomain %s', (subdomain) => {
    expect(isValidSubdomain(subdomain)).toBe(true);
    expect(buildGorgiasUrl(PRODUCTION, subdomain, '/api/account')).toBe(`https://${subdomain}.gorgias.com/api/account`);
  });

  test.each(['', 'Acme', '-acme', 'acme-', 'ac.me', 'acme.gorgias.com', 'ac_me', 'x'.repeat(64), 'evil.com/', 'a b'])(
    'refuses subdomain %j',
    (subdomain) => {
      expect(isValidSubdomain(subdomain)).toBe(false);
      expect(() => buildGorgiasUrl(PRODUCTION, subdomain, '/api/account')).toThrow(/subdomain/);
    },
  );

  test.each([
    'api/account',
    '/api//account',
    '//evil.com/api',
    '/api/../secret',
    '/api/%2e%2e/secret',
    '/api/./account',
    '/api/account?x=1',
    '/api/account#x',
    '/api\\account',
    '/api/a b',
    '',
  ])('refuses path %j', (path) => {
    expect(() => buildGorgiasUrl(PRODUCTION, 'acme', path)).toThrow();
  });

  test('refuses an invalid template', () => {
    expect(() => buildGorgiasUrl('http://{subdomain}.gorgias.com', 'acme', '/api/account')).toThrow(/https/);
  });

  test('refuses an invalid template every time, also after valid ones were used', () => {
    const invalid = 'http://{subdomain}.gorgias.com';
    for (let round = 0; round < 3; round += 1) {
      for (let n = 0; n < 20; n += 1) buildGorgiasUrl(`https://{subdomain}.example${n}.com`, 'acme', '/api/account');
      expect(() => buildGorgiasUrl(invalid, 'acme', '/api/account')).toThrow(/https/);
    }
    expect(buildGorgiasUrl(PRODUCTION, 'acme', '/api/account')).toBe('https://acme.gorgias.com/api/account');
  });

  test('refuses a non-finite number in the query', () => {
    expect(() => buildGorgiasUrl(PRODUCTION, 'acme', '/api/tickets', { limit: Number.NaN })).toThrow(/finite/);
  });
});

describe('ticketWebUrl', () => {
  test.each([
    [PRODUCTION, 'https://acme.gorgias.com/app/ticket/42'],
    [`${LOCAL}/`, 'http://127.0.0.1:4010/acme/app/ticket/42'],
  ])('%s', (template, expected) => {
    expect(ticketWebUrl(template, 'acme', 42)).toBe(expected);
  });

  test.each([-1, 1.5, '..', ''])('refuses id %j', (id) => {
    expect(() => ticketWebUrl(PRODUCTION, 'acme', id)).toThrow();
  });
});
