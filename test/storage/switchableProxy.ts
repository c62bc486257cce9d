/** A loopback TCP proxy that can stop answering, for tests of what the bot's clients do then. */
import net from 'node:net';

export interface SwitchableProxy {
  port: number;
  /** From now on connections are accepted and never answered; the open ones are dropped. */
  blackHole(): void;
  /** From now on connections reach the target again. */
  forward(): void;
  /** Stops listening (later connections are refused) and drops every connection. */
  close(): Promise<void>;
}

/** A loopback TCP proxy in front of Azurite that can turn into a black hole, to test client timeouts. */
export async function startSwitchableProxy(targetPort: number): Promise<SwitchableProxy> {
  let mode: 'forward' | 'black-hole' = 'forward';
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode === 'black-hole') return;
    const upstream = net.connect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    port,
    blackHole() {
      mode = 'black-hole';
      sockets.forEach((socket) => socket.destroy());
    },
    forward() {
      mode = 'forward';
      sockets.forEach((socket) => socket.destroy());
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        sockets.forEach((socket) => socket.destroy());
      });
      return closed;
    },
  };
}
