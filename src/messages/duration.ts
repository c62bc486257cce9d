/** A wait as a person reads it: "45 seconds", "10 minutes", "2 hours" (rounded up, never "0"). */
export function waitDuration(seconds: number): string {
  const whole = Math.max(1, Math.ceil(Number.isFinite(seconds) ? seconds : 1));
  if (whole < 90) return plural(whole, 'second');
  const minutes = Math.ceil(whole / 60);
  if (minutes < 90) return plural(minutes, 'minute');
  return plural(Math.ceil(minutes / 60), 'hour');
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
