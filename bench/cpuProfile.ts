/**
 * Reads the .cpuprofile files `node --cpu-prof` writes and says where the CPU went: self time per
 * package (botbuilder and its SDK packages, restify, axios, pino, better-sqlite3, our src/ and dialogs/,
 * Node itself, the garbage collector) and the busiest functions of each.
 */
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfileFile {
  nodes: ProfileNode[];
  /** Microseconds on the machine's monotonic clock, the one process.hrtime reads in every process. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A span of the monotonic clock (process.hrtime), in microseconds: only samples inside it count. */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
}

export interface FunctionTime {
  name: string;
  /** Package (or src/, dialogs/) and file, with the line. */
  where: string;
  selfMs: number;
}

export interface GroupTime {
  group: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
  /** The packages seen in this group, with their self time. */
  packages: Record<string, number>;
  top: FunctionTime[];
}

export interface ProfileSummary {
  files: string[];
  busyMs: number;
  idleMs: number;
  groups: GroupTime[];
  topFunctions: FunctionTime[];
  /** The same time by what the turn was doing (see STAGES), in ms. */
  stages: Record<string, number>;
}

/**
 * What a turn spends its time on. A sample counts for the stage of the innermost frame on its stack
 * that one of these tests recognizes (so SQLite under state loading counts as storage, zod under the
 * dialogs as dialogs); samples no test recognizes count as "other".
 */
const STAGES: Array<[stage: string, test: (frame: CallFrame) => boolean]> = [
  ['socket writes (kernel, loopback)', (f) => f.url === '' && /^(writev|writeLatin1String|writeUtf8String|writeBuffer)$/.test(f.functionName)],
  ['garbage collector', (f) => f.url === '' && f.functionName === '(garbage collector)'],
  ['Gorgias call (axios, rate limiter)', (f) => /\/node_modules\/axios\/|\/dist\/src\/gorgias\//.test(f.url)],
  ['storage: SQLite read/write', (f) => /\/node_modules\/better-sqlite3\/|\/dist\/src\/storage\/sqliteStorage/.test(f.url)],
  ['state: change hash (stringify + sha256)', (f) => f.functionName === 'calculateChangeHash'],
  ['state: load/save plumbing', (f) => /botbuilder-core\/lib\/botState|\/dist\/src\/storage\/optimisticConversationState|\/dist\/src\/security\/failureLimiter/.test(f.url)],
  ['encryption (SecretBox)', (f) => /\/dist\/src\/security\/secretBox/.test(f.url)],
  ['dialogs (botbuilder-dialogs, dialogs/)', (f) => /\/node_modules\/(botbuilder-dialogs[^/]*|dependency-graph)\/|\/dist\/dialogs\//.test(f.url)],
  [
    'outgoing activities (connector client)',
    (f) =>
      /\/node_modules\/(@azure\/|@typespec\/)|botframework-connector\/lib\/(connectorApi|auth\/connectorFactoryImpl|auth\/userTokenClientImpl)|botbuilder-stdlib\/lib\/azureCoreHttpCompat|\/dist\/src\/clientReusingAuthentication/.test(f.url) ||
      (/botbuilder-core\/lib\/(turnContext|cloudAdapterBase)/.test(f.url) && /sendActivit|updateActivity|deleteActivity/.test(f.functionName)),
  ],
  [
    'inbound: CloudAdapter (validation, auth, TurnContext)',
    (f) => /\/node_modules\/(botbuilder\/lib\/cloudAdapter|botbuilder-core\/lib\/(cloudAdapterBase|turnContext|middlewareSet|botAdapter)|botframework-connector\/lib\/auth|botframework-schema)/.test(f.url),
  ],
  ['inbound: restify and server.ts checks', (f) => /\/node_modules\/(restify[^/]*|find-my-way)\/|\/dist\/src\/server\./.test(f.url)],
  ['bot logic (src/, ActivityHandler, echo bot)', (f) => /\/dist\/(src|bench)\/|botbuilder-core\/lib\/activityHandler/.test(f.url)],
];

function stageOf(nodeId: number, nodes: Map<number, ProfileNode>, parents: Map<number, number>): string {
  for (let id: number | undefined = nodeId; id !== undefined; id = parents.get(id)) {
    const node = nodes.get(id);
    if (!node) break;
    const stage = STAGES.find(([, test]) => test(node.callFrame));
    if (stage) return stage[0];
  }
  return 'other (Node core, promises, unattributed)';
}

/** Packages reported together: the SDK is many packages, and so is logging. */
const GROUPS: Array<[string, RegExp]> = [
  // The SDK and what only it uses here: the Azure HTTP pipeline of its connector client, zod, JWT handling.
  ['botbuilder', /^(botbuilder.*|botframework-.*|@azure\/.*|@typespec\/.*|@microsoft\/recognizers-text.*|zod|jsonwebtoken|jws|jwa|jwks-rsa|@azure\/msal.*|uuid)$/],
  ['restify', /^(restify.*|find-my-way|send|mime|negotiator|spdy|csv|formidable|http-signature|once|assert-plus|vasync|verror|ewma|escape-regexp-component|fast-decode-uri-component)$/],
  ['axios', /^(axios|follow-redirects|form-data|proxy-from-env|asynckit|combined-stream|mime-types|mime-db)$/],
  ['pino', /^(pino.*|sonic-boom|fast-redact|@pinojs\/.*|quick-format-unescaped|thread-stream|on-exit-leak-free|atomic-sleep|safe-stable-stringify|real-require|process-warning|fast-copy|slow-redact)$/],
  ['better-sqlite3', /^(better-sqlite3|bindings|file-uri-to-path)$/],
];

function packageOf(url: string): string | undefined {
  const index = url.lastIndexOf('/node_modules/');
  if (index < 0) return undefined;
  const [first, second] = url.slice(index + '/node_modules/'.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

/** The group and a short location for one call frame. */
export function classify(frame: CallFrame): { group: string; pkg: string; where: string } {
  const { url, functionName } = frame;
  const line = frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : '';
  if (url === '') {
    if (functionName === '(garbage collector)') return { group: 'garbage collector', pkg: 'gc', where: '' };
    if (functionName === '(idle)') return { group: '(idle)', pkg: 'idle', where: '' };
    // (program) and native code V8 does not attribute to a script: parsing, compiling, C++ bindings.
    return { group: 'native / unattributed', pkg: functionName, where: '' };
  }
  if (url.startsWith('node:')) return { group: 'node core', pkg: 'node', where: `${url.slice(5)}${line}` };
  const pkg = packageOf(url);
  if (pkg !== undefined) {
    const group = GROUPS.find(([, pattern]) => pattern.test(pkg))?.[0] ?? 'other packages';
    const inside = url.slice(url.lastIndexOf(`/node_modules/${pkg}/`) + `/node_modules/${pkg}/`.length);
    return { group, pkg, where: `${pkg}/${inside}${line}` };
  }
  const own = /\/dist\/(src|dialogs|bench|test)\/(.*)$/.exec(url.replace(/^file:\/\//, ''));
  if (own) {
    const group = own[1] === 'src' ? 'our src/' : own[1] === 'dialogs' ? 'our dialogs/' : 'bench/test code';
    return { group, pkg: own[1], where: `${own[1]}/${own[2]}${line}` };
  }
  return { group: 'other', pkg: 'other', where: `${path.basename(url)}${line}` };
}

export function summarizeProfiles(directory: string, windows?: ProfileWindow[], topPerGroup = 5, topOverall = 25): ProfileSummary {
  const files = fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(directory, name));
  const byFunction = new Map<string, FunctionTime & { group: string; pkg: string }>();
  let idleMicros = 0;
  let busyMicros = 0;
  const stageMicros = new Map<string, number>();

  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfileFile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    // timeDeltas[i] is the time before sample i; the time a sample stands for is the gap to the next one.
    let sampledAt = profile.startTime;
    for (let index = 0; index < profile.samples.length; index += 1) {
      sampledAt += profile.timeDeltas[index] ?? 0;
      if (windows && !windows.some((window) => sampledAt >= window.startUs && sampledAt <= window.endUs)) continue;
      const micros = profile.timeDeltas[index + 1] ?? 0;
      const node = nodes.get(profile.samples[index]);
      if (!node || micros <= 0) continue;
      const { group, pkg, where } = classify(node.callFrame);
      if (group === '(idle)') {
        idleMicros += micros;
        continue;
      }
      busyMicros += micros;
      const stage = stageOf(node.id, nodes, parents);
      stageMicros.set(stage, (stageMicros.get(stage) ?? 0) + micros);
      const name = node.callFrame.functionName || '(anonymous)';
      const key = `${group}|${name}|${where}`;
      const entry = byFunction.get(key) ?? { name, where, selfMs: 0, group, pkg };
      entry.selfMs += micros / 1000;
      byFunction.set(key, entry);
    }
  }

  const groups = new Map<string, GroupTime>();
  for (const entry of byFunction.values()) {
    const group = groups.get(entry.group) ?? { group: entry.group, selfMs: 0, percent: 0, packages: {}, top: [] };
    group.selfMs += entry.selfMs;
    group.packages[entry.pkg] = (group.packages[entry.pkg] ?? 0) + entry.selfMs;
    group.top.push({ name: entry.name, where: entry.where, selfMs: entry.selfMs });
    groups.set(entry.group, group);
  }
  const busyMs = busyMicros / 1000;
  const round = (value: number): number => Math.round(value * 10) / 10;
  const sortedGroups = [...groups.values()]
    .map((group) => ({
      ...group,
      selfMs: round(group.selfMs),
      percent: busyMs > 0 ? round((group.selfMs / busyMs) * 100) : 0,
      packages: Object.fromEntries(Object.entries(group.packages).sort((a, b) => b[1] - a[1]).map(([name, ms]) => [name, round(ms)])),
      top: group.top.sort((a, b) => b.selfMs - a.selfMs).slice(0, topPerGroup).map((fn) => ({ ...fn, selfMs: round(fn.selfMs) })),
    }))
    .sort((a, b) => b.selfMs - a.selfMs);
  const topFunctions = [...byFunction.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topOverall)
    .map(({ name, where, selfMs }) => ({ name, where, selfMs: round(selfMs) }));
  const stages = Object.fromEntries([...stageMicros].sort((a, b) => b[1] - a[1]).map(([stage, micros]) => [stage, round(micros / 1000)]));
  return { files, busyMs: round(busyMs), idleMs: round(idleMicros / 1000), groups: sortedGroups, topFunctions, stages };
}

/** Where a turn's CPU goes, stage by stage, for one or two bots side by side (ms per turn). */
export function formatStages(columns: Array<{ name: string; summary: ProfileSummary; turns: number }>): string[] {
  const stages = [...new Set(columns.flatMap((column) => Object.keys(column.summary.stages)))];
  const perTurn = (column: (typeof columns)[number], stage: string): number => (column.summary.stages[stage] ?? 0) / Math.max(1, column.turns);
  stages.sort((a, b) => perTurn(columns[0], b) - perTurn(columns[0], a));
  const lines = [`where a turn's CPU goes (main thread, ms per turn)${' '.repeat(4)}${columns.map((column) => column.name.padStart(12)).join('')}`];
  for (const stage of stages) lines.push(`  ${stage.padEnd(52)}${columns.map((column) => perTurn(column, stage).toFixed(3).padStart(12)).join('')}`);
  lines.push(`  ${'total'.padEnd(52)}${columns.map((column) => (column.summary.busyMs / Math.max(1, column.turns)).toFixed(3).padStart(12)).join('')}`);
  return lines;
}

/** Lines for the console: each group with its share and busiest functions. */
export function formatProfile(title: string, summary: ProfileSummary, turns: number): string[] {
  const lines = [`${title}: ${summary.busyMs.toFixed(0)} ms of CPU samples over ${turns} turns, ${(summary.busyMs / Math.max(1, turns)).toFixed(3)} ms per turn`];
  for (const group of summary.groups) {
    lines.push(
      `  ${group.group.padEnd(22)} ${group.selfMs.toFixed(0).padStart(7)} ms ${group.percent.toFixed(1).padStart(5)}%  ${(group.selfMs / Math.max(1, turns)).toFixed(3)} ms/turn`,
    );
    for (const fn of group.top) lines.push(`      ${fn.selfMs.toFixed(1).padStart(7)} ms  ${fn.name}  ${fn.where}`);
  }
  return lines;
}

/** Per turn, group by group: the product's self time, the echo bot's, and the difference. */
export function compareProfiles(product: ProfileSummary, productTurns: number, echo: ProfileSummary, echoTurns: number): string[] {
  const names = [...new Set([...product.groups.map((group) => group.group), ...echo.groups.map((group) => group.group)])];
  const perTurn = (summary: ProfileSummary, name: string, turns: number): number =>
    (summary.groups.find((group) => group.group === name)?.selfMs ?? 0) / Math.max(1, turns);
  const rows = names
    .map((name) => ({ name, product: perTurn(product, name, productTurns), echo: perTurn(echo, name, echoTurns) }))
    .sort((a, b) => b.product - b.echo - (a.product - a.echo));
  const lines = ['ms of CPU per turn          gorgias-bot   echo bot   difference'];
  for (const row of rows) {
    lines.push(`  ${row.name.padEnd(24)} ${row.product.toFixed(3).padStart(10)} ${row.echo.toFixed(3).padStart(10)} ${(row.product - row.echo).toFixed(3).padStart(12)}`);
  }
  const packageTimes = (summary: ProfileSummary, turns: number): Map<string, number> =>
    new Map(summary.groups.flatMap((group) => Object.entries(group.packages).map(([name, ms]): [string, number] => [`${group.group}: ${name}`, ms / Math.max(1, turns)])));
  const productPackages = packageTimes(product, productTurns);
  const echoPackages = packageTimes(echo, echoTurns);
  const packageRows = [...new Set([...productPackages.keys(), ...echoPackages.keys()])]
    .map((name) => ({ name, product: productPackages.get(name) ?? 0, echo: echoPackages.get(name) ?? 0 }))
    .sort((a, b) => Math.abs(b.product - b.echo) - Math.abs(a.product - a.echo))
    .slice(0, 15);
  const total = (summary: ProfileSummary, turns: number): number => summary.busyMs / Math.max(1, turns);
  const productTotal = total(product, productTurns);
  const echoTotal = total(echo, echoTurns);
  lines.push(`  ${'total'.padEnd(24)} ${productTotal.toFixed(3).padStart(10)} ${echoTotal.toFixed(3).padStart(10)} ${(productTotal - echoTotal).toFixed(3).padStart(12)}`);
  lines.push('largest differences by package (ms per turn):');
  for (const row of packageRows) {
    lines.push(`  ${row.name.padEnd(44)} ${row.product.toFixed(3).padStart(8)} ${row.echo.toFixed(3).padStart(8)} ${(row.product - row.echo).toFixed(3).padStart(9)}`);
  }
  return lines;
}
