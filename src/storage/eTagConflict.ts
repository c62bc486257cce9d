/** True for the error every botbuilder storage raises when a write's eTag is stale. */
export function isETagConflict(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /etag conflict/i.test(error.message) || (error as { statusCode?: number }).statusCode === 412;
}
