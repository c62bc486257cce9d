/**
 * The Adaptive Card that collects the API key in a masked field, so the key never shows up as a chat
 * message. Plain JSON, no SDK: the bot layer wraps it in an attachment.
 */
export const API_KEY_INPUT_ID = 'apiKey';
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: string;
  body: object[];
  actions?: object[];
}

export function apiKeyCard(instructions: string): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: instructions, wrap: true },
      {
        type: 'Input.Text',
        id: API_KEY_INPUT_ID,
        label: 'Password (API Key)',
        placeholder: 'Paste your API key',
        style: 'password',
        isRequired: true,
        errorMessage: 'Paste your API key here.',
        maxLength: 512,
      },
    ],
    actions: [{ type: 'Action.Submit', title: 'Connect', data: { action: 'submitApiKey' } }],
  };
}

/** Reads the key from a card submission's `value`; anything else is not a submission of this card. */
export function apiKeyFromSubmission(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = (value as Record<string, unknown>)[API_KEY_INPUT_ID];
  return typeof candidate === 'string' ? candidate : undefined;
}
