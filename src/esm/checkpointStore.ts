import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The store's file in its directory (targets/local/paths.ts MAPPING_FILES names it for purge). */
export const CHECKPOINTS_FILE = 'checkpoints.json';

/** What `esm/checkpoints.json` holds. */
interface CheckpointFile {
  version: 1;
  /** Checkpoints belong to one stream: a recreated table has a new stream and starts over. */
  streamArn: string;
  shards: Record<string, { sequenceNumber?: string; finished?: boolean }>;
}

/**
 * Durable per-shard checkpoints of the local event source mapping. Every
 * change is written to a temp file and renamed over the old one before the
 * shard moves on, so a kill -9 at any moment leaves the last completed
 * checkpoint: records after it are delivered again (at-least-once), none is
 * skipped.
 */
export class CheckpointStore {
  private data: CheckpointFile;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    streamArn: string,
    loaded?: CheckpointFile,
  ) {
    this.data = loaded?.streamArn === streamArn ? loaded : { version: 1, streamArn, shards: {} };
  }

  /** Opens `<dir>/checkpoints.json` for `streamArn`; checkpoints of another stream are ignored. */
  static async open(dir: string, streamArn: string): Promise<CheckpointStore> {
    const file = path.join(dir, CHECKPOINTS_FILE);
    await mkdir(dir, { recursive: true });
    let loaded: CheckpointFile | undefined;
    try {
      loaded = JSON.parse(await readFile(file, 'utf8')) as CheckpointFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new CheckpointStore(file, streamArn, loaded);
  }

  sequenceNumber(shardId: string): string | undefined {
    return this.data.shards[shardId]?.sequenceNumber;
  }

  isFinished(shardId: string): boolean {
    return this.data.shards[shardId]?.finished === true;
  }

  /** Every record of the shard up to `sequenceNumber` is done. Resolves once on disk. */
  save(shardId: string, sequenceNumber: string): Promise<void> {
    this.data.shards[shardId] = { ...this.data.shards[shardId], sequenceNumber };
    return this.persist();
  }

  /** The shard is closed and fully processed: its children may start after a restart too. */
  finish(shardId: string): Promise<void> {
    this.data.shards[shardId] = { ...this.data.shards[shardId], finished: true };
    return this.persist();
  }

  // Writes are chained so an older snapshot can never overwrite a newer one.
  private persist(): Promise<void> {
    const snapshot = `${JSON.stringify(this.data)}\n`;
    this.writing = this.writing.then(async () => {
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, snapshot);
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
