import { rename, writeFile } from 'node:fs/promises';

/**
 * Writes `text` to a temp file beside `file` (named for this process, so two
 * writers never share one) and renames it over `file`: a reader or a crash
 * sees the old content or the new, never half of it.
 */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
