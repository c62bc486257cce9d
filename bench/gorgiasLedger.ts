/**
 * Counts the fake Gorgias's requests per subdomain (each conversation of the bench has its own tenant),
 * draining the fake's request log as it goes so that memory stays flat over 20,000 conversations.
 */
import type { FakeGorgias } from '../test/support/fakeGorgias';

export class GorgiasLedger {
  private readonly counts = new Map<string, number>();
  /** Requests that were not `GET /api/account` (the only call connecting makes). */
  otherCalls = 0;

  constructor(private readonly fake: FakeGorgias) {}

  /** Requests to this subdomain so far. */
  calls(subdomain: string): number {
    this.drain();
    return this.counts.get(subdomain) ?? 0;
  }

  /** Drops a finished conversation's count. */
  forget(subdomain: string): void {
    this.counts.delete(subdomain);
  }

  private drain(): void {
    for (const request of this.fake.requests.splice(0)) {
      this.counts.set(request.subdomain, (this.counts.get(request.subdomain) ?? 0) + 1);
      if (request.method !== 'GET' || request.apiPath !== '/api/account') this.otherCalls += 1;
    }
  }
}
