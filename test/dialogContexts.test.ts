/**
 * DialogContexts: the memory-scope configuration the SDK builds for the first DialogContext is handed to
 * later turns, while everything a turn owns (its activity, its dialog stack) stays its own.
 */
import { ConversationState, MemoryStorage, TestAdapter, TurnContext, type Activity } from 'botbuilder';
import { DialogSet, TextPrompt, type DialogContext, type DialogState } from 'botbuilder-dialogs';
import { DialogContexts } from '../src/dialogContexts';

function turnSaying(text: string, conversationId = 'conversation-1'): TurnContext {
  const activity: Partial<Activity> = {
    type: 'message',
    text,
    channelId: 'test',
    conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
    from: { id: 'user-1', name: 'User' },
    recipient: { id: 'bot', name: 'Bot' },
  };
  return new TurnContext(new TestAdapter(), activity);
}

function dialogSet(): DialogSet {
  const state = new ConversationState(new MemoryStorage());
  return new DialogSet(state.createProperty<DialogState>('dialogState')).add(new TextPrompt('ask'));
}

describe('DialogContexts', () => {
  test('later turns get the configuration the first turn built, not a new one', async () => {
    const contexts = new DialogContexts(dialogSet());

    const first = await contexts.create(turnSaying('one'));
    const second = await contexts.create(turnSaying('two'));
    const third = await contexts.create(turnSaying('three', 'conversation-2'));

    expect(contexts.reusesConfiguration).toBe(true);
    expect(second.state.configuration).toBe(first.state.configuration);
    expect(third.state.configuration).toBe(first.state.configuration);
  });

  test('without it, the SDK builds a configuration per turn (what the reuse saves)', async () => {
    const set = dialogSet();
    const first = await set.createContext(turnSaying('one'));
    const second = await set.createContext(turnSaying('two'));

    expect(second.state.configuration).not.toBe(first.state.configuration);
  });

  test("each turn still reads its own activity and keeps its own dialog stack through the shared scopes", async () => {
    const contexts = new DialogContexts(dialogSet());
    const firstTurn = turnSaying('one');
    const first = await contexts.create(firstTurn);
    await first.prompt('ask', 'What?');
    const second = await contexts.create(turnSaying('two', 'conversation-2'));

    expect(first.state.getValue('turn.activity.text')).toBe('one');
    expect(second.state.getValue('turn.activity.text')).toBe('two');
    expect(first.activeDialog?.id).toBe('ask');
    expect(second.activeDialog).toBeUndefined();
  });

  test('an SDK that does not share the configuration through the turn state is left to build its own', async () => {
    const set = dialogSet();
    // As if a later SDK kept the configuration somewhere else: nothing in the turn state is it.
    const hiding = Object.assign(Object.create(set) as DialogSet, {
      async createContext(context: TurnContext): Promise<DialogContext> {
        const dc = await set.createContext(context);
        for (const [key, value] of context.turnState) if (value === dc.state.configuration) context.turnState.delete(key);
        return dc;
      },
    });
    const contexts = new DialogContexts(hiding);

    const first = await contexts.create(turnSaying('one'));
    const second = await contexts.create(turnSaying('two'));

    expect(contexts.reusesConfiguration).toBe(false);
    expect(second.state.configuration).not.toBe(first.state.configuration);
    expect(second.state.getValue('turn.activity.text')).toBe('two');
  });
});
