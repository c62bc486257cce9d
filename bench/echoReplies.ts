/** What the echo bot says, shared with the harness that checks it (which must not load botbuilder itself). */
export const ECHO_WELCOME = 'Hello and welcome!';

export function echoOf(text: string): string {
  return `Echo: ${text}`;
}
