/**
 * Smoke runs of `npm run bench` and `npm run soak` (a few conversations, ten seconds), so they cannot
 * silently break. Only that they work is asserted here, never a speed: the machine is shared.
 * The bot runs from dist/ (`npm test` builds it first; with jest alone run `npm run build` before).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBench } from '../../bench/run';
import { runSoak, SCENARIOS } from '../../bench/soak';
import { parseArgs, UsageError } from '../../bench/args';
import { assertLoopbackUrl } from '../../bench/loopback';
import { productFlow, echoFlow, type GorgiasTally } from '../../bench/flows';
import { GorgiasLedger } from '../../bench/gorgiasLedger';
import type { TurnResult } from '../../bench/conversation';
import { FakeGorgias } from '../support/fakeGorgias';
import { ASK_EMAIL, connected } from '../../src/messages/connect';

describe('npm run bench and npm run soak', () => {
  let workDir: string;

  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gorgias-bench-smoke-'));
  });

  afterAll(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  test('the bench drives both bots through every turn, checks the replies and writes its JSON', async () => {
    const out = path.join(workDir, 'results', 'bench.json');
    const report = await runBench({ conversations: 5, concurrency: 2, warmup: 1, out, log: () => undefined });

    expect(report.failures.first).toEqual([]);
    expect(report.flowOk).toBe(true);
    // Every conversation, warm-up included, connected with exactly one Gorgias call and none on status.
    expect(report.product.authorizations).toBe(6);
    expect(report.product.gorgiasCallsPerAuthorization).toBe(1);
    expect(report.product.gorgiasCallsOnStatus).toBe(0);
    expect(report.product.turns).toBe(30);
    expect(report.echo?.turns).toBe(30);
    expect(report.product.storedRows).toBe(6);
    expect(report.product.storedBytesPerProfile).toBeGreaterThan(0);
    expect(report.ratioToEcho).toBeGreaterThan(0);
    // The measured conversations ran in alternating rounds, one ratio each.
    expect(report.options.rounds).toBe(5);
    expect(report.product.roundTurnsPerSecond).toHaveLength(5);
    expect(report.echo?.roundTurnsPerSecond).toHaveLength(5);
    expect(report.ratioByRound).toHaveLength(5);

    const written = JSON.parse(fs.readFileSync(out, 'utf8')) as typeof report;
    expect(written.flowOk).toBe(true);
    expect(written.targets.map((target) => target.name)).toEqual(['throughput', 'storage', 'memory']);
    // Five conversations are far too few to judge memory growth.
    expect(written.targets[2].verdict).toBe('NOT MEASURED');
  }, 120_000);

  test('the soak runs every scenario for ten seconds without an unexpected reply', async () => {
    const out = path.join(workDir, 'soak.json');
    const report = await runSoak({ minutes: 10 / 60, concurrency: 4, out, log: () => undefined });

    expect(report.unexpected.first).toEqual([]);
    expect(report.ok).toBe(true);
    for (const name of SCENARIOS) expect(report.scenarios[name]).toBeGreaterThanOrEqual(1);
    expect(report.rss.length).toBeGreaterThanOrEqual(2);
    expect((JSON.parse(fs.readFileSync(out, 'utf8')) as typeof report).ok).toBe(true);
  }, 120_000);

  test('a wrong reply, a second Gorgias call or a Gorgias call on status fails the flow', () => {
    const fake = new FakeGorgias();
    const ledger = new GorgiasLedger(fake);
    const tally: GorgiasTally = { authorizations: 0, verifyCalls: 0, statusCalls: 0 };
    const tenant = { subdomain: 'acme', email: 'agent@acme.com', apiKey: 'key-0123456789abcdef' };
    const [, , subdomain, , key, status] = productFlow(tenant, ledger, tally);
    const reply = (text: string, status = 200): TurnResult => {
      const message = { type: 'message', text };
      return { status, activities: [message], messages: [message], ms: 1 };
    };
    const gorgiasCall = (): void => {
      fake.requests.push({ method: 'GET', path: '/acme/api/account', apiPath: '/api/account', query: {}, headers: {}, subdomain: 'acme', body: '', receivedAt: 0, rateLimited: false });
    };

    expect(subdomain.check(reply(ASK_EMAIL))).toBeUndefined();
    expect(subdomain.check(reply('Sorry, something went wrong'))).toMatch(/expected the email question/);
    expect(subdomain.check(reply(ASK_EMAIL, 500))).toMatch(/HTTP 500/);
    expect(subdomain.check({ status: 200, activities: [], messages: [], ms: 1 })).toMatch(/no message/);

    const connectedReply = reply(connected('acme', 'acme', 'agent@acme.com'));
    expect(key.check(connectedReply)).toMatch(/0 Gorgias calls/);
    gorgiasCall();
    gorgiasCall();
    expect(key.check(connectedReply)).toMatch(/2 Gorgias calls/);
    expect(key.check(reply(`${connected('acme', 'acme', 'agent@acme.com')} key-0123456789abcdef`))).toMatch(/contains the API key/);

    fake.requests.splice(0);
    const fresh = productFlow({ ...tenant, subdomain: 'other' }, ledger, tally);
    fake.requests.push({ method: 'GET', path: '/other/api/account', apiPath: '/api/account', query: {}, headers: {}, subdomain: 'other', body: '', receivedAt: 0, rateLimited: false });
    expect(fresh[4].check(reply(connected('other', 'other', 'agent@acme.com')))).toBeUndefined();
    fake.requests.push({ method: 'GET', path: '/other/api/account', apiPath: '/api/account', query: {}, headers: {}, subdomain: 'other', body: '', receivedAt: 0, rateLimited: false });
    expect(fresh[5].check(reply('- Subdomain: **other**\n- Email: **agent@acme.com**'))).toMatch(/status called Gorgias 1 time/);
    expect(status.check(reply("You haven't connected a Gorgias account yet."))).toMatch(/expected the status/);

    const echoWelcome = echoFlow(tenant)[0];
    expect(echoWelcome.check(reply('Hello and welcome!'))).toBeUndefined();
    expect(echoFlow(tenant)[4].check(reply('Echo: something else'))).toMatch(/expected the echo/);
  });

  test('targets off loopback are refused', () => {
    expect(() => assertLoopbackUrl('http://10.1.2.3:3978', 'target')).toThrow(/loopback/);
    expect(() => assertLoopbackUrl('http://example.com/api/messages', 'target')).toThrow(/loopback/);
    expect(() => assertLoopbackUrl('http://127.0.0.1.example.com/', 'target')).toThrow(/loopback/);
    expect(() => assertLoopbackUrl('http://127.0.0.1:3978', 'target')).not.toThrow();
    expect(() => assertLoopbackUrl('http://[::1]:3978', 'target')).not.toThrow();
    const spec = { values: ['--conversations'], flags: ['--skip-echo'] };
    expect(() => parseArgs(['--bot-url', 'https://bot.example.com'], spec)).toThrow(/refusing --bot-url https:\/\/bot\.example\.com: only servers on loopback/);
    expect(() => parseArgs(['--bot-url=http://192.168.1.5:3978'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--conversations', '5', '--skip-echo'], spec)).not.toThrow();
  });
});
