/** What each Bot Framework channel can do, where it matters to the bot. SDK-free: channel ids are strings. */

/**
 * Channels known to render Adaptive Cards 1.5 with a masked input. Elsewhere the bot asks for the key
 * as plain text; the card would show as nothing or as JSON.
 */
const ADAPTIVE_CARD_CHANNELS = new Set(['emulator', 'webchat', 'directline', 'msteams']);

export function channelRendersAdaptiveCards(channelId: string | undefined): boolean {
  return channelId !== undefined && ADAPTIVE_CARD_CHANNELS.has(channelId);
}

/** Channels where a bot can delete a user's message; elsewhere `deleteActivity` fails or is silently not shown. */
const CHANNELS_THAT_DELETE_USER_MESSAGES = new Set(['slack', 'telegram']);

export function channelDeletesUserMessages(channelId: string | undefined): boolean {
  return channelId !== undefined && CHANNELS_THAT_DELETE_USER_MESSAGES.has(channelId);
}
