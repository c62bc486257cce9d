/**
 * The core stays free of the Bot Framework SDK (archived in favour of the Microsoft 365 Agents SDK), so a
 * later move touches only the bot and dialog layer. This reads the sources and fails on any import of it.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const CORE = [
  'src/gorgias',
  'src/validation',
  'src/security',
  'src/cards',
  'src/profile',
  'src/messages',
  'src/channels.ts',
  'src/actionCommands.ts',
  'src/conversationQueue.ts',
  'src/operatorConnection.ts',
];

function sourceFiles(relative: string): string[] {
  const full = path.join(ROOT, relative);
  if (fs.statSync(full).isFile()) return [full];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap((entry) => sourceFiles(path.join(relative, entry.name)));
}

const coreFiles = CORE.flatMap(sourceFiles).filter((file) => file.endsWith('.ts'));

test('the core has source files to check', () => {
  expect(coreFiles.length).toBeGreaterThan(20);
});

test.each(coreFiles.map((file) => [path.relative(ROOT, file)]))('%s imports nothing from botbuilder', (file) => {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const imports = [...text.matchAll(/(?:from\s+|require\(|import\()\s*['"]([^'"]+)['"]/g)].map((match) => match[1]);
  expect(imports.filter((name) => name.startsWith('botbuilder') || name.startsWith('botframework'))).toEqual([]);
  // Nor through the bot layer: the core may not reach back into it.
  expect(imports.filter((name) => /(^|\/)(bot|adapter|server|app|profileStore|turnCredentials)$/.test(name) || name.includes('dialogs/'))).toEqual([]);
});
