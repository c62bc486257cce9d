/** A wait as a person reads it: "45 seconds", "10 minutes", "1.5 hours" (seconds and minutes rounded up, never "0"). */
export function waitDuration(seconds: number): string {
  const whole = Math.max(1, Math.ceil(Number.isFinite(seconds) ? seconds : 1));
  if (whole < 90) return plural(whole, 'second');
  const minutes = Math.ceil(whole / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  // To the nearest half hour: "about 1.5 hours" reads better than "about 90 minutes".
  const hours = Math.round(minutes / 30) / 2;
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
