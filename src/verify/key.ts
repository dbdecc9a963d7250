import { readFile } from 'node:fs/promises';
import { keyFromSecretText } from '../../lambda/src/lib/secret.js';
import { RuntimeError } from '../errors.js';

/** The local PII key from its 0600 file (same bytes the handler uses). */
export async function readLocalPiiKey(file: string): Promise<Buffer> {
  try {
    return keyFromSecretText(await readFile(file, 'utf8'));
  } catch (err) {
    throw new RuntimeError(
      `Cannot read the local PII key ${file}: ${(err as Error).message}`,
      'Run `ddb-ingest up` to create it.',
    );
  }
}
