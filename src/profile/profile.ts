/**
 * A user's verified Gorgias connection, in memory (`ConnectedProfile`, key in clear) and at rest
 * (`StoredProfile`, key sealed). SDK-free: the bot layer decides where a StoredProfile is kept.
 */
import type { GorgiasAccount, GorgiasCredentials } from '../gorgias/types';
import type { SecretBox } from '../security/secretBox';

export interface ConnectedProfile extends GorgiasCredentials {
  /** The chat user who connected it; nobody else may act with it. */
  ownerId: string;
  account: GorgiasAccount;
  /** ISO-8601 time of the last successful verification. */
  verifiedAt: string;
  /** Who set it up: a chat user, or the bot's operator through configuration. */
  source: 'user' | 'operator';
}

/** What is written to storage: every field but the key is plain, the key is sealed and bound to them. */
export interface StoredProfile {
  v: 1;
  subdomain: string;
  email: string;
  ownerId: string;
  accountDomain: string;
  accountStatus?: string;
  verifiedAt: string;
  sealedKey: string;
  /** Set when a Gorgias call answered 401 with this key: it has been revoked or rotated. */
  needsReconnect?: boolean;
}

/** Binds a sealed key to the account, user and owner it belongs to, so it cannot be moved to another profile. */
function profileAssociatedData(subdomain: string, email: string, ownerId: string): string {
  return `gorgias-profile/v1|${subdomain}|${email}|${ownerId}`;
}

export function sealProfile(box: SecretBox, profile: ConnectedProfile): StoredProfile {
  return {
    v: 1,
    subdomain: profile.subdomain,
    email: profile.email,
    ownerId: profile.ownerId,
    accountDomain: profile.account.domain,
    ...(profile.account.status ? { accountStatus: profile.account.status } : {}),
    verifiedAt: profile.verifiedAt,
    sealedKey: box.seal(profile.apiKey, profileAssociatedData(profile.subdomain, profile.email, profile.ownerId)),
  };
}

export type OpenedProfile =
  | { state: 'connected'; profile: ConnectedProfile; resealed?: StoredProfile }
  | { state: 'unreadable' };

/**
 * Opens a stored profile. A profile that cannot be opened (other key, tampered, unknown format) is
 * reported as unreadable, never thrown: the user is simply asked to reconnect. A profile sealed with the
 * previous encryption key comes back resealed with the current one, for the caller to write back.
 */
export function openProfile(box: SecretBox, stored: unknown): OpenedProfile {
  if (!isStoredProfile(stored)) return { state: 'unreadable' };
  const opened = box.open(stored.sealedKey, profileAssociatedData(stored.subdomain, stored.email, stored.ownerId));
  if (!opened) return { state: 'unreadable' };
  const profile: ConnectedProfile = {
    subdomain: stored.subdomain,
    email: stored.email,
    apiKey: opened.plaintext,
    ownerId: stored.ownerId,
    account: { domain: stored.accountDomain, ...(stored.accountStatus ? { status: stored.accountStatus } : {}) },
    verifiedAt: stored.verifiedAt,
    source: 'user',
  };
  if (!opened.sealedWithPrevious) return { state: 'connected', profile };
  return { state: 'connected', profile, resealed: { ...sealProfile(box, profile), ...(stored.needsReconnect ? { needsReconnect: true } : {}) } };
}

function isStoredProfile(value: unknown): value is StoredProfile {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate.v === 1 &&
    ['subdomain', 'email', 'ownerId', 'accountDomain', 'verifiedAt', 'sealedKey'].every((field) => typeof candidate[field] === 'string')
  );
}

/** `••••3f9a`: enough to tell two keys apart, never enough to use one. Short keys show less. */
export function maskApiKey(apiKey: string): string {
  const visible = apiKey.length >= 16 ? 4 : apiKey.length >= 10 ? 2 : 0;
  return `••••${visible > 0 ? apiKey.slice(-visible) : ''}`;
}
