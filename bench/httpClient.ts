/**
 * The harness's own HTTP client: node:http with one keep-alive agent, which costs less CPU per request
 * than fetch, so the harness takes as little as possible of the machine's two cores from the bot.
 */
import http from 'node:http';
import { assertLoopbackUrl } from './loopback';

export interface HttpAnswer {
  status: number;
  body: string;
}

export class HttpClient {
  private readonly agent: http.Agent;

  constructor(maxSockets: number) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  postJson(url: string, value: unknown): Promise<HttpAnswer> {
    return this.post(url, 'application/json', JSON.stringify(value));
  }

  /** Any body and content type, for the malformed requests of the soak. */
  post(url: string, contentType: string, body: string | Buffer): Promise<HttpAnswer> {
    return this.request('POST', url, { 'content-type': contentType }, body);
  }

  get(url: string): Promise<HttpAnswer> {
    return this.request('GET', url, {}, undefined);
  }

  close(): void {
    this.agent.destroy();
  }

  private request(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    retried = false,
  ): Promise<HttpAnswer> {
    assertLoopbackUrl(url, 'target');
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = http.request(
        url,
        {
          method,
          agent: this.agent,
          headers: payload === undefined ? headers : { ...headers, 'content-length': String(payload.length) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        // The server closed a kept-alive connection just as it was reused (its idle timeout ran out while
        // the other bot had its round): the request never reached it, so it is sent once more.
        const dropped = request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        if (dropped && !retried) this.request(method, url, headers, body, true).then(resolve, reject);
        else reject(error);
      });
      request.end(payload);
    });
  }
}
