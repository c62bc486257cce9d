/**
 * DialogContexts whose memory scopes are built once per process instead of once per turn.
 *
 * Every DialogContext gets a DialogStateManager, and the first one of a turn builds its configuration:
 * a component registration with a dependency graph, nine memory scopes and five path resolvers, checked
 * with zod. That was about 0.05 ms of every dialog turn in `npm run bench -- --profile`. The scopes and
 * resolvers keep nothing between turns (what they read lives in the turn's state), and the SDK itself
 * shares one configuration between all the DialogContexts of a turn through the turn's state. So the
 * configuration built on the first turn is handed to later turns the same way.
 *
 * The turn-state key the SDK shares it under is not public, so it is found, not assumed: after the
 * first DialogContext is built, the key whose value is that context's configuration. Should a later SDK
 * share it differently, nothing is found and every turn builds its own again, as without this class.
 *
 * What the first turn found is what every turn gets: memory scopes or path resolvers that a later turn
 * put in its turn state (`memoryScopes`, `pathResolvers`), or components registered after it, would be
 * ignored. This bot adds none.
 */
import type { TurnContext } from 'botbuilder';
import type { DialogContext, DialogSet, DialogStateManagerConfiguration } from 'botbuilder-dialogs';

export class DialogContexts {
  private shared?: { key: string | symbol; configuration: DialogStateManagerConfiguration };
  private looked = false;

  constructor(private readonly dialogs: DialogSet) {}

  async create(context: TurnContext): Promise<DialogContext> {
    const shared = this.shared;
    if (shared && !context.turnState.has(shared.key)) context.turnState.set(shared.key, shared.configuration);
    const dc = await this.dialogs.createContext(context);
    if (!this.looked) {
      this.looked = true;
      this.shared = sharedConfigurationOf(context, dc);
    }
    return dc;
  }

  /** True once later turns reuse the configuration of the first (for tests). */
  get reusesConfiguration(): boolean {
    return this.shared !== undefined;
  }
}

function sharedConfigurationOf(context: TurnContext, dc: DialogContext): DialogContexts['shared'] {
  const configuration = dc.state.configuration;
  for (const [key, value] of context.turnState) {
    if (value === configuration && (typeof key === 'string' || typeof key === 'symbol')) return { key, configuration };
  }
  return undefined;
}
