/** Small numeric helpers for the reports. */

/** The value below which `p` percent of the samples fall (nearest rank). */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Runs `task(index)` for every index in [from, to) with at most `concurrency` at a time; stops early when `stop()` says so. */
export async function runPool(from: number, to: number, concurrency: number, task: (index: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to && !stop()) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, to - from)) }, worker));
}
