/**
 * Imported first by index.ts. restify 11 loads spdy -> http-deceiver, which reads
 * `process.binding('http_parser')` as it loads, so Node prints a DEP0111 deprecation on every start: three
 * lines on stderr that the operator can do nothing about, and that would bury the one line saying why the
 * bot did not start. Only that warning is dropped; every other warning still reaches stderr.
 */
const emitWarning = process.emitWarning;

function isHttpParserBindingWarning(warning: string | Error, rest: unknown[]): boolean {
  const options = rest[0];
  const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : rest[1];
  const message = typeof warning === 'string' ? warning : warning.message;
  return code === 'DEP0111' && message.includes("process.binding('http_parser')");
}

process.emitWarning = function emitWarningExceptHttpParserBinding(warning: string | Error, ...rest: unknown[]): void {
  if (isHttpParserBindingWarning(warning, rest)) return;
  Reflect.apply(emitWarning, process, [warning, ...rest]);
} as typeof process.emitWarning;

export {};
