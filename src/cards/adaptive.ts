/**
 * The few Adaptive Card 1.5 elements the ticket cards use, as plain JSON. Text that comes from
 * Gorgias goes into TextRuns, which hosts never read as Markdown; TextBlocks hold only our own words.
 */
import { ADAPTIVE_CARD_CONTENT_TYPE, type AdaptiveCard } from './apiKeyCard';

export type { AdaptiveCard } from './apiKeyCard';

export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const ADAPTIVE_CARD_VERSION = '1.5';

export type CardElement = Record<string, unknown>;

export interface CardAttachment {
  contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
  content: AdaptiveCard;
}

export function adaptiveCard(body: CardElement[], actions: CardElement[] = []): AdaptiveCard {
  const card: AdaptiveCard = { type: 'AdaptiveCard', $schema: ADAPTIVE_CARD_SCHEMA, version: ADAPTIVE_CARD_VERSION, body };
  if (actions.length > 0) card.actions = actions;
  return card;
}

/** The attachment shape of the Bot Framework activity schema, without depending on the SDK. */
export function asAttachment(card: AdaptiveCard): CardAttachment {
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}

/** A title in our own words (may use the Markdown subset hosts support). */
export function heading(text: string): CardElement {
  return { type: 'TextBlock', text, size: 'Medium', weight: 'Bolder', wrap: true };
}

/** A short label of ours, e.g. a section name. */
export function label(text: string, options: { separator?: boolean } = {}): CardElement {
  const block: CardElement = { type: 'TextBlock', text, weight: 'Bolder', wrap: true, spacing: 'Medium' };
  if (options.separator) block.separator = true;
  return block;
}

export interface RunStyle {
  weight?: 'Bolder';
  isSubtle?: boolean;
  italic?: boolean;
  size?: 'Small' | 'Medium' | 'Large';
  /** Makes the run a link. */
  url?: string;
}

export function textRun(text: string, style: RunStyle = {}): CardElement {
  const run: CardElement = { type: 'TextRun', text };
  if (style.weight) run.weight = style.weight;
  if (style.isSubtle) run.isSubtle = true;
  if (style.italic) run.italic = true;
  if (style.size) run.size = style.size;
  if (style.url) {
    run.color = 'Accent';
    run.selectAction = openUrl('Open', style.url);
  }
  return run;
}

/** Text shown literally (never as Markdown), made of runs. */
export function richText(runs: CardElement[], options: { spacing?: 'None' | 'Small' | 'Medium' } = {}): CardElement {
  const block: CardElement = { type: 'RichTextBlock', inlines: runs };
  if (options.spacing) block.spacing = options.spacing;
  return block;
}

/** `Label: value` on one line, the label bold; the value literal. */
export function fact(name: string, value: string): CardElement {
  return richText([textRun(`${name}: `, { weight: 'Bolder' }), textRun(value)], { spacing: 'Small' });
}

export function container(items: CardElement[], options: { separator?: boolean; url?: string } = {}): CardElement {
  const block: CardElement = { type: 'Container', items, spacing: 'Medium' };
  if (options.separator) block.separator = true;
  if (options.url) block.selectAction = openUrl('Open in Gorgias', options.url);
  return block;
}

export function openUrl(title: string, url: string): CardElement {
  return { type: 'Action.OpenUrl', title, url };
}

export function submit(title: string, data: Record<string, unknown>): CardElement {
  return { type: 'Action.Submit', title, data };
}
