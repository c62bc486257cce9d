/**
 * "The credentials for this turn": the one place that knows whether the bot acts with each user's own
 * verified profile or with the operator's pre-authorized one. Everything that calls Gorgias on someone's
 * behalf asks here, and nowhere else branches on GORGIAS_AUTH_MODE.
 */
import type { TurnContext } from 'botbuilder';
import type { ConnectedProfile } from './profile/profile';
import type { GorgiasFailure } from './gorgias/types';
import type { OperatorConnection } from './operatorConnection';
import type { ProfileStore } from './profileStore';

export type TurnCredentials =
  | { state: 'connected'; profile: ConnectedProfile; needsReconnect: boolean }
  | { state: 'not_connected' }
  /** A stored profile exists but cannot be opened with the bot's current encryption keys. */
  | { state: 'unreadable' }
  /**
   * Pre-authorized mode, and Gorgias could not confirm the operator's credentials just now. `host` and
   * `email` say which connection the operator set up, so users can be told even then.
   */
  | { state: 'operator_unavailable'; failure: GorgiasFailure; host: string; email: string };

export interface CredentialsSource {
  /** True when the operator, not the chat user, connects and disconnects the account. */
  readonly managedByOperator: boolean;
  forTurn(context: TurnContext): Promise<TurnCredentials>;
  /** The account host users are told about in the welcome, when it is fixed. */
  readonly fixedHost?: string;
  /** Gorgias answered 401 with this turn's key: it was revoked or rotated, and must not be trusted as connected. */
  markKeyRejected(context: TurnContext): Promise<void>;
}

export class UserProfileCredentials implements CredentialsSource {
  readonly managedByOperator = false;

  constructor(private readonly profiles: ProfileStore) {}

  /** The user reconnects: the profile is marked, and `status` and every action say so. */
  markKeyRejected(context: TurnContext): Promise<void> {
    return this.profiles.markNeedsReconnect(context);
  }

  async forTurn(context: TurnContext): Promise<TurnCredentials> {
    const lookup = await this.profiles.load(context);
    switch (lookup.state) {
      case 'none':
        return { state: 'not_connected' };
      case 'unreadable':
        return { state: 'unreadable' };
      case 'connected':
        return { state: 'connected', profile: lookup.profile, needsReconnect: lookup.needsReconnect };
    }
  }
}

export class OperatorCredentials implements CredentialsSource {
  readonly managedByOperator = true;

  constructor(private readonly operator: OperatorConnection) {}

  get fixedHost(): string {
    return this.operator.host;
  }

  /** Only the operator can fix it: until Gorgias accepts the key again, every turn says so without calling it. */
  async markKeyRejected(): Promise<void> {
    this.operator.markKeyRejected();
  }

  /** Why the connection failed at its last check, if it did, without calling Gorgias (for menus). */
  knownFailure(): GorgiasFailure | undefined {
    return this.operator.knownFailure();
  }

  async forTurn(): Promise<TurnCredentials> {
    const result = await this.operator.profile();
    if (result.ok) return { state: 'connected', profile: result.profile, needsReconnect: false };
    return { state: 'operator_unavailable', failure: result.failure, host: this.operator.host, email: this.operator.credentials.email };
  }
}
