/**
 * Preloaded into the bot process (`node -r dist/bench/loopbackOnly.js dist/src/index.js`): the entry
 * point `npm start` runs listens on every interface, which is right for a deployed bot but not for a
 * benchmark of a bot that accepts unauthenticated requests. This pins every listening socket of the
 * process to 127.0.0.1 and changes nothing else.
 */
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const originalListen = net.Server.prototype.listen;

// listen() has many overloads; the arguments are rewritten generically and handed on unchanged in kind.
net.Server.prototype.listen = function listenOnLoopback(this: net.Server, ...args: unknown[]): net.Server {
  const [first] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback])
    if (typeof args[1] === 'string') args[1] = LOOPBACK;
    else args.splice(1, 0, LOOPBACK);
  } else if (typeof first === 'object' && first !== null && 'port' in first) {
    args[0] = { ...(first as object), host: LOOPBACK };
  }
  return (originalListen as (...listenArgs: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;
