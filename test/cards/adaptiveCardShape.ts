/**
 * A structural check of Adaptive Card 1.5 JSON, for the element types the bot's cards use: what a
 * host would refuse or silently drop (unknown types, TextRuns outside a RichTextBlock, actions
 * without a url or data) is reported as a list of problems.
 */

type Json = Record<string, unknown>;

const ELEMENT_TYPES = new Set(['TextBlock', 'RichTextBlock', 'Container', 'ColumnSet', 'FactSet', 'Image', 'ActionSet']);
const SPACING = new Set(['None', 'Small', 'Default', 'Medium', 'Large', 'ExtraLarge', 'Padding']);
const SIZES = new Set(['Small', 'Default', 'Medium', 'Large', 'ExtraLarge']);
const WEIGHTS = new Set(['Lighter', 'Default', 'Bolder']);
const COLORS = new Set(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']);

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkCommon(element: Json, where: string, problems: string[]): void {
  if (element.spacing !== undefined && !SPACING.has(element.spacing as string)) problems.push(`${where}: bad spacing`);
  if (element.size !== undefined && !SIZES.has(element.size as string)) problems.push(`${where}: bad size`);
  if (element.weight !== undefined && !WEIGHTS.has(element.weight as string)) problems.push(`${where}: bad weight`);
  if (element.color !== undefined && !COLORS.has(element.color as string)) problems.push(`${where}: bad color`);
  if (element.separator !== undefined && typeof element.separator !== 'boolean') problems.push(`${where}: bad separator`);
}

function checkAction(action: unknown, where: string, problems: string[], allowSubmit = true): void {
  if (!isRecord(action)) return void problems.push(`${where}: not an object`);
  if (action.type === 'Action.OpenUrl') {
    if (typeof action.url !== 'string' || !/^https?:\/\//.test(action.url)) problems.push(`${where}: OpenUrl without an http(s) url`);
  } else if (action.type === 'Action.Submit' && allowSubmit) {
    if (action.data !== undefined && !isRecord(action.data)) problems.push(`${where}: Submit data is not an object`);
  } else {
    problems.push(`${where}: unexpected action type ${String(action.type)}`);
  }
  if (action.title !== undefined && (typeof action.title !== 'string' || action.title === '')) problems.push(`${where}: empty title`);
}

function checkInline(inline: unknown, where: string, problems: string[]): void {
  if (!isRecord(inline) || inline.type !== 'TextRun') return void problems.push(`${where}: not a TextRun`);
  if (typeof inline.text !== 'string') problems.push(`${where}: TextRun without text`);
  checkCommon(inline, where, problems);
  if (inline.selectAction !== undefined) checkAction(inline.selectAction, `${where}.selectAction`, problems);
}

function checkElement(element: unknown, where: string, problems: string[]): void {
  if (!isRecord(element)) return void problems.push(`${where}: not an object`);
  const type = element.type as string;
  if (!ELEMENT_TYPES.has(type)) return void problems.push(`${where}: unknown element type ${String(type)}`);
  checkCommon(element, where, problems);
  if (element.selectAction !== undefined) checkAction(element.selectAction, `${where}.selectAction`, problems);
  switch (type) {
    case 'TextBlock':
      if (typeof element.text !== 'string' || element.text === '') problems.push(`${where}: TextBlock without text`);
      break;
    case 'RichTextBlock':
      if (!Array.isArray(element.inlines) || element.inlines.length === 0) problems.push(`${where}: RichTextBlock without inlines`);
      else element.inlines.forEach((inline, index) => checkInline(inline, `${where}.inlines[${index}]`, problems));
      break;
    case 'Container':
      if (!Array.isArray(element.items) || element.items.length === 0) problems.push(`${where}: Container without items`);
      else element.items.forEach((item, index) => checkElement(item, `${where}.items[${index}]`, problems));
      break;
  }
}

export function adaptiveCardProblems(card: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(card)) return ['not an object'];
  if (JSON.stringify(JSON.parse(JSON.stringify(card))) !== JSON.stringify(card)) problems.push('not plain JSON');
  if (card.type !== 'AdaptiveCard') problems.push('type is not AdaptiveCard');
  if (card.version !== '1.5') problems.push('version is not 1.5');
  if (card.$schema !== 'http://adaptivecards.io/schemas/adaptive-card.json') problems.push('missing $schema');
  if (!Array.isArray(card.body) || card.body.length === 0) problems.push('empty body');
  else card.body.forEach((element, index) => checkElement(element, `body[${index}]`, problems));
  if (card.actions !== undefined) {
    if (!Array.isArray(card.actions) || card.actions.length === 0) problems.push('actions present but empty');
    else card.actions.forEach((action, index) => checkAction(action, `actions[${index}]`, problems));
  }
  return problems;
}

/** Every piece of text in the card, by where it is: TextBlocks (Markdown) and TextRuns (literal). */
export function cardTexts(card: unknown): { markdown: string[]; literal: string[] } {
  const markdown: string[] = [];
  const literal: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isRecord(node)) return;
    if (node.type === 'TextBlock' && typeof node.text === 'string') markdown.push(node.text);
    if (node.type === 'TextRun' && typeof node.text === 'string') literal.push(node.text);
    Object.values(node).forEach(walk);
  };
  walk(card);
  return { markdown, literal };
}

/** Every action in the card, wherever it is (card actions, select actions). */
export function cardActions(card: unknown): Json[] {
  const actions: Json[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isRecord(node)) return;
    if (typeof node.type === 'string' && node.type.startsWith('Action.')) actions.push(node);
    Object.values(node).forEach(walk);
  };
  walk(card);
  return actions;
}
