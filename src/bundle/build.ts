/**
 * Builds the function bundle: one self-contained ESM file plus a zip whose
 * bytes depend only on the bundle's contents, so the same source always gives
 * the same sha256 (Terraform then sees no change and redeploys nothing).
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BuildFailure, Message } from 'esbuild';
import yazl from 'yazl';
import { BundleError } from './errors.js';

export interface BuildOptions {
  /** The handler source (TypeScript or JavaScript), absolute or relative to the current directory. */
  entry: string;
  /** Where `index.mjs` and `function.zip` are written (created if missing), e.g. `<state dir>/build`. */
  outDir: string;
  /** The exported function the runtime calls (default `handler`). */
  handlerExport?: string;
  /** Minify the bundle (default false: readable stack traces in the function's logs). */
  minify?: boolean;
}

export interface BuildResult {
  /** Absolute path of the bundle, `<outDir>/index.mjs`. */
  bundleFile: string;
  /** Absolute path of the deployment zip, `<outDir>/function.zip`. */
  zipFile: string;
  /** Hex sha256 of the zip. */
  sha256: string;
  /** Base64 sha256 of the zip: what Terraform's `filebase64sha256` returns (`source_code_hash`). */
  sha256Base64: string;
  /** The Lambda handler setting, e.g. `index.handler`. */
  handler: string;
}

export const BUNDLE_FILE_NAME = 'index.mjs';
export const ZIP_FILE_NAME = 'function.zip';

/**
 * Zip entries get this timestamp and mode whatever the files on disk say. The
 * date is built from local-time parts because zip (DOS) timestamps are local
 * time: the stored fields are then 1980-01-01 00:00 in every time zone.
 */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const ZIP_MODE = 0o100644;

// Lets bundled CommonJS dependencies call require() (for node: builtins) from ESM.
const CJS_BANNER = [
  "import { createRequire as __ddbIngestCreateRequire } from 'node:module';",
  'const require = __ddbIngestCreateRequire(import.meta.url);',
].join('\n');

/**
 * The node_modules our own dependencies live in (found from where one of them
 * resolves, so it also works when npm hoisted them): a user's handler outside
 * this project can then import the packages we ship (AWS SDK, Powertools)
 * without installing them. The entry's own node_modules still win.
 */
function ownNodeModules(): string[] {
  try {
    const resolved = createRequire(import.meta.url).resolve('@aws-sdk/client-dynamodb');
    const marker = `${path.sep}node_modules${path.sep}`;
    return [resolved.slice(0, resolved.lastIndexOf(marker) + marker.length - 1)];
  } catch {
    return [];
  }
}

function describeMessage(message: Message): string {
  const loc = message.location;
  const where = loc ? `${loc.file}:${loc.line}:${loc.column + 1}: ` : '';
  const source = loc?.lineText ? `\n    ${loc.lineText.trim()}` : '';
  return `${where}${message.text}${source}`;
}

function isBuildFailure(err: unknown): err is BuildFailure {
  return err instanceof Error && Array.isArray((err as BuildFailure).errors);
}

/** Deterministic zip: sorted entries, fixed timestamp and mode, no extended timestamps. */
export async function deterministicZip(files: { name: string; content: Buffer }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    zip.addBuffer(file.content, file.name, { mtime: ZIP_MTIME, mode: ZIP_MODE, forceDosTimestamp: true });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Bundles `entry` with everything it imports, the AWS SDK included. Lambda's
 * runtime ships an SDK, but the local runtime runs the bundle from the state
 * directory where no node_modules exist, and a pinned SDK behaves the same on
 * both targets; the price is a bigger zip and a slightly slower cold start.
 */
export async function buildBundle(options: BuildOptions): Promise<BuildResult> {
  const entry = path.resolve(options.entry);
  const outDir = path.resolve(options.outDir);
  const handlerExport = options.handlerExport ?? 'handler';
  try {
    await access(entry);
  } catch {
    throw new BundleError('bundle.entry-missing', `Handler entry ${entry} does not exist.`, {
      details: { entry },
    });
  }
  await mkdir(outDir, { recursive: true });
  const bundleFile = path.join(outDir, BUNDLE_FILE_NAME);

  const esbuild = await import('esbuild');
  let exports: string[];
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      outfile: bundleFile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      // ESM builds of dependencies tree-shake better (the SDK ships both).
      mainFields: ['module', 'main'],
      banner: { js: CJS_BANNER },
      minify: options.minify ?? false,
      sourcemap: false,
      legalComments: 'none',
      // Paths in the output's comments are relative to this: the same source
      // tree gives the same bytes wherever the command runs from.
      absWorkingDir: path.dirname(entry),
      nodePaths: ownNodeModules(),
      metafile: true,
      logLevel: 'silent',
      write: true,
    });
    const output = Object.values(result.metafile.outputs)[0];
    exports = output?.exports ?? [];
  } catch (err) {
    if (!isBuildFailure(err)) throw err;
    const details = err.errors.slice(0, 5).map(describeMessage).join('\n  ');
    throw new BundleError('bundle.build-failed', `Cannot build the handler ${entry}:\n  ${details}`, {
      cause: err,
      details: { entry },
    });
  }
  if (!exports.includes(handlerExport)) {
    throw new BundleError(
      'bundle.export-missing',
      `The handler ${entry} does not export "${handlerExport}" (it exports: ${exports.join(', ') || 'nothing'}).`,
      { details: { entry, handlerExport, exports } },
    );
  }

  const zipFile = path.join(outDir, ZIP_FILE_NAME);
  const zip = await deterministicZip([{ name: BUNDLE_FILE_NAME, content: await readFile(bundleFile) }]);
  await writeFile(zipFile, zip);
  const digest = createHash('sha256').update(zip).digest();
  return {
    bundleFile,
    zipFile,
    sha256: digest.toString('hex'),
    sha256Base64: digest.toString('base64'),
    handler: `${path.basename(BUNDLE_FILE_NAME, '.mjs')}.${handlerExport}`,
  };
}
