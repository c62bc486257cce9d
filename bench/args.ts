/** Command-line options of `npm run bench` and `npm run soak`: `--name value` pairs and flags, nothing else. */
import { assertLoopbackUrl } from './loopback';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface OptionSpec {
  /** Options that take a value. */
  values: string[];
  /** Options that take none. */
  flags: string[];
}

export function parseArgs(argv: string[], spec: OptionSpec): { values: Map<string, string>; flags: Set<string> } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let index = 0; index < argv.length; index += 1) {
    const [name, inline] = argv[index].split(/=(.*)/s, 2);
    if (name === '--bot-url' || name === '--target' || name === '--url') {
      // There is no remote mode: say why, and say it plainly for a non-loopback address.
      const value = inline ?? argv[index + 1] ?? '';
      try {
        assertLoopbackUrl(value, name);
      } catch (refusal) {
        throw new UsageError((refusal as Error).message);
      }
      throw new UsageError(`${name} is not supported: the bench and the soak start their own bot on 127.0.0.1 and drive only that`);
    }
    if (spec.flags.includes(name)) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      flags.add(name);
    } else if (spec.values.includes(name)) {
      const value = inline ?? argv[index + 1];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
      if (inline === undefined) index += 1;
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option ${argv[index]}; options: ${[...spec.values.map((v) => `${v} <value>`), ...spec.flags].join(', ')}`);
    }
  }
  return { values, flags };
}

export function positiveNumber(raw: string | undefined, name: string, fallback: number, options: { integer?: boolean; max?: number } = {}): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const valid = Number.isFinite(value) && value > 0 && (!options.integer || Number.isInteger(value)) && (options.max === undefined || value <= options.max);
  if (!valid) throw new UsageError(`${name} must be a positive ${options.integer ? 'whole ' : ''}number${options.max !== undefined ? ` up to ${options.max}` : ''} (got "${raw}")`);
  return value;
}
