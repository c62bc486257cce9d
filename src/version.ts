/** The bot's name and version, for the User-Agent Gorgias sees and for /healthz. */
import fs from 'node:fs';
import path from 'node:path';

/** Walks up from this file: it runs from `src/` in tests and from `dist/src/` once built. */
function readManifest(): { name: string; version: string } {
  let dir = __dirname;
  for (let depth = 0; depth < 4; depth += 1) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) return JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name: string; version: string };
    dir = path.dirname(dir);
  }
  return { name: 'gorgias-bot', version: '0.0.0' };
}

const manifest = readManifest();
export const BOT_NAME: string = manifest.name;
export const BOT_VERSION: string = manifest.version;
