/**
 * Reads what a storage really holds, bypassing the bot and botbuilder: the rows of the SQLite file and
 * the bodies of the blobs. Tests use it to check what is at rest (sealed keys, deleted profiles).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
// A dependency of botbuilder-azure-blobs, used here only to look at the blobs the bot wrote.
import { BlobServiceClient } from '@azure/storage-blob';
import { SQLITE_FILE_NAME } from '../../src/storage/createStorage';

export interface RawRecord {
  key: string;
  /** The stored document exactly as the store holds it (JSON text). */
  text: string;
}

/** Every row of `<dataDir>/state.sqlite`. Safe while a bot process has the file open (WAL readers do not block). */
export function readSqliteRows(dataDir: string): RawRecord[] {
  const db = new Database(path.join(dataDir, SQLITE_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { key: string; json: string }>('SELECT key, json FROM bot_state ORDER BY key').all().map((row) => ({ key: row.key, text: row.json }));
  } finally {
    db.close();
  }
}

/** Every blob of one container, downloaded as text. */
export async function readBlobs(connectionString: string, container: string): Promise<RawRecord[]> {
  const containerClient = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  const records: RawRecord[] = [];
  for await (const blob of containerClient.listBlobsFlat()) {
    const body = await containerClient.getBlobClient(blob.name).downloadToBuffer();
    records.push({ key: blob.name, text: body.toString('utf8') });
  }
  return records;
}

/** The stored conversation-state document of one conversation, parsed, from a list of raw records. */
export function conversationDocument(records: RawRecord[], conversationId: string): Record<string, unknown> | undefined {
  // The blob store escapes the key (BlobsStorage's sanitizeBlobKey), so match on the decoded name.
  const record = records.find((candidate) => {
    const name = safeDecode(candidate.key);
    return name.includes('/conversations/') && name.includes(conversationId);
  });
  return record ? (JSON.parse(record.text) as Record<string, unknown>) : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
