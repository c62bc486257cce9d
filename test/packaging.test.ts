import { readdirSync, readFileSync, existsSync } from 'fs';
import { join } from 'path';

// npm 12 skips the install scripts of any dependency that package.json's allowScripts does not name,
// so a new dependency with a script would install silently broken for users on newer npm. This keeps
// the policy complete: every installed package with an install script has been decided on.

const root = join(__dirname, '..');
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

interface PackageJson {
  name?: string;
  scripts?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
  gypfile?: boolean;
}

function readPackage(folder: string): PackageJson | undefined {
  const file = join(folder, 'package.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
}

function packageFolders(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const folders: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const folder = join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      for (const scoped of readdirSync(folder, { withFileTypes: true })) {
        if (scoped.isDirectory()) folders.push(join(folder, scoped.name));
      }
    } else {
      folders.push(folder);
    }
  }
  // Nested copies (a second version under a package's own node_modules) run their scripts too.
  return folders.flatMap((folder) => [folder, ...packageFolders(join(folder, 'node_modules'))]);
}

function packagesWithInstallScripts(): string[] {
  const names = new Set<string>();
  for (const folder of packageFolders(join(root, 'node_modules'))) {
    const pkg = readPackage(folder);
    if (!pkg?.name) continue;
    const hasScript = INSTALL_SCRIPTS.some((script) => pkg.scripts?.[script] !== undefined);
    // npm runs `node-gyp rebuild` for a binding.gyp even without an install script.
    const implicitGyp = pkg.gypfile !== false && existsSync(join(folder, 'binding.gyp'));
    if (hasScript || implicitGyp) names.add(pkg.name);
  }
  return [...names].sort();
}

const policy = readPackage(root)?.allowScripts ?? {};

test('every installed dependency with an install script is allowed or denied in package.json', () => {
  const found = packagesWithInstallScripts();
  expect(found.length).toBeGreaterThan(0);
  expect(found.filter((name) => !(name in policy))).toEqual([]);
});

test('the install scripts the bot cannot work without are allowed', () => {
  // better-sqlite3's fetches its native binding (the default storage); botbuilder-dialogs' removes a
  // duplicate recognizers-text-number that would otherwise be loaded twice.
  expect(policy['better-sqlite3']).toBe(true);
  expect(policy['botbuilder-dialogs']).toBe(true);
});
