/**
 * Builds the function bundle: one self-contained ESM file plus a zip whose
 * bytes depend only on the bundle's contents, so the same source always gives
 * the same sha256 (Terraform then sees no change and redeploys nothing).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BuildFailure, Message } from 'esbuild';
import yazl from 'yazl';
import { BundleError } from './errors.js';
import {
  MODULE_FORMAT_NAMES,
  type ModuleFormat,
  type ModuleFormatDecision,
  moduleFormatOf,
} from './moduleFormat.js';

export interface BuildOptions {
  /** The handler source (TypeScript or JavaScript), absolute or relative to the current directory. */
  entry: string;
  /** Where the bundle, its source map, `function.zip` and `manifest.json` are written (created if missing), e.g. `<state dir>/build`. */
  outDir: string;
  /**
   * The property path of the function Lambda calls in the module, e.g.
   * `handler` or `handlers.main`. @default 'handler'
   */
  handlerExport?: string | undefined;
  /**
   * The function's environment for the export check, which loads a CommonJS
   * bundle in a separate process (its exports are only known once it runs).
   * @default {} (only PATH)
   */
  env?: Record<string, string> | undefined;
  /** Minify the bundle (default false: readable stack traces in the function's logs). */
  minify?: boolean | undefined;
}

export interface BuildResult {
  /** Absolute path of the bundle, `<outDir>/index.mjs` (ES module) or `<outDir>/index.cjs` (CommonJS). */
  bundleFile: string;
  /** Absolute path of the deployment zip, `<outDir>/function.zip`. */
  zipFile: string;
  /** Hex sha256 of the zip. */
  sha256: string;
  /** Base64 sha256 of the zip: what Terraform's `filebase64sha256` returns (`source_code_hash`). */
  sha256Base64: string;
  /** The Lambda handler setting, e.g. `index.handler`. */
  handler: string;
  /** The module format of the bundle: the one Node reads the entry in. */
  format: ModuleFormat;
  /** Every file the bundle was built from (absolute paths): what `up --watch` watches. */
  inputs: string[];
}

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

/** What a build reads and writes: `<outDir>/manifest.json`, so a later `up` can tell whether sources changed. */
export interface BuildManifest {
  entry: string;
  handler: string;
  format: ModuleFormat;
  bundleFile: string;
  /** sha256 of the bundle: a rebuild that changed nothing swaps no workers. */
  bundleSha256: string;
  /** Every file esbuild read (absolute path) and the sha256 of its content. */
  inputs: Record<string, string>;
}

export const MANIFEST_FILE_NAME = 'manifest.json';

/** The bundle's file name for a format: Lambda's loader finds `index.mjs` and `index.cjs` by extension. */
export function bundleFileName(format: ModuleFormat): string {
  return format === 'esm' ? 'index.mjs' : 'index.cjs';
}

function sha256(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

async function hashInputs(files: string[]): Promise<Record<string, string>> {
  const entries = await Promise.all(files.map(async (file) => [file, sha256(await readFile(file))] as const));
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The previous build's manifest, if any (unreadable counts as none). */
export async function readBuildManifest(outDir: string): Promise<BuildManifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(outDir, MANIFEST_FILE_NAME), 'utf8')) as BuildManifest;
  } catch {
    return undefined;
  }
}

/**
 * Whether the bundle in `outDir` is out of date for this entry and handler: no
 * build yet, another entry or handler, or any file the build read has other
 * content now (or is gone). Content, not mtimes: a `touch` rebuilds nothing.
 */
export async function isBuildStale(options: {
  entry: string;
  outDir: string;
  handlerExport?: string;
}): Promise<boolean> {
  const manifest = await readBuildManifest(options.outDir);
  if (!manifest) return true;
  if (manifest.entry !== path.resolve(options.entry)) return true;
  if (manifest.handler !== (options.handlerExport ?? 'handler')) return true;
  if (!existsSync(manifest.bundleFile)) return true;
  for (const [file, digest] of Object.entries(manifest.inputs)) {
    const now = await readFile(file).then(sha256, () => undefined);
    if (now !== digest) return true;
  }
  return false;
}

/** Runs esbuild, turning its failure into our error with its messages. */
async function runEsbuild(
  esbuild: typeof import('esbuild'),
  entry: string,
  options: import('esbuild').BuildOptions,
): Promise<import('esbuild').BuildResult & { metafile: import('esbuild').Metafile }> {
  try {
    const result = await esbuild.build({ ...options, metafile: true, logLevel: 'silent' });
    return result as import('esbuild').BuildResult & { metafile: import('esbuild').Metafile };
  } catch (err) {
    if (!isBuildFailure(err)) throw err;
    const details = err.errors.slice(0, 5).map(describeMessage).join('\n  ');
    throw new BundleError('bundle.build-failed', `Cannot build the handler ${entry}:\n  ${details}`, {
      cause: err,
      details: { entry },
    });
  }
}

/** What the entry's own syntax is (esbuild's reading of that one file). */
async function entrySyntax(
  esbuild: typeof import('esbuild'),
  entry: string,
): Promise<ModuleFormat | undefined> {
  const { metafile } = await runEsbuild(esbuild, entry, {
    entryPoints: [entry],
    bundle: false,
    write: false,
    platform: 'node',
    absWorkingDir: path.dirname(entry),
  });
  return Object.values(metafile.inputs)[0]?.format;
}

/** The bundle loaded in a fresh Node process by Lambda's rules: what its module object holds. */
async function probeBundle(
  bundleFile: string,
  handlerPath: string,
  env: Record<string, string>,
): Promise<
  | { ok: true; exports: string[]; kind: string }
  | { ok: false; errorType: string; errorMessage: string }
  | undefined
> {
  const [{ spawn }, { workerScriptPath }] = await Promise.all([
    import('node:child_process'),
    import('../runtime/localRuntime.js'),
  ]);
  const child = spawn(process.execPath, [workerScriptPath(), bundleFile, handlerPath, '--probe'], {
    stdio: ['ignore', 'ignore', 'ignore', 'ignore', 'pipe'],
    cwd: path.dirname(bundleFile),
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let text = '';
  (child.stdio[4] as import('node:stream').Readable | null)
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => {
      text += chunk;
    });
  // Lambda gives init 10 s; a module that takes longer is not ours to judge here.
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  clearTimeout(timer);
  for (const line of text.split('\n')) {
    try {
      const message = JSON.parse(line) as {
        type: string;
        exports?: string[];
        kind?: string;
        errorType?: string;
        errorMessage?: string;
      };
      if (message.type === 'probe')
        return { ok: true, exports: message.exports ?? [], kind: message.kind ?? '' };
      if (message.type === 'probeError') {
        return {
          ok: false,
          errorType: message.errorType ?? 'Error',
          errorMessage: message.errorMessage ?? '',
        };
      }
    } catch {
      // Not a message line.
    }
  }
  return undefined;
}

function missingExport(
  entry: string,
  decision: ModuleFormatDecision,
  handlerPath: string,
  exports: string[],
  detail = 'does not export',
): BundleError {
  const listed = exports.length > 0 ? exports.join(', ') : 'nothing';
  return new BundleError(
    'bundle.export-missing',
    `The handler ${entry} (read as ${MODULE_FORMAT_NAMES[decision.format]}: ${decision.reason}) ${detail} "${handlerPath}" (it exports: ${listed}).`,
    { details: { entry, handlerExport: handlerPath, exports, format: decision.format } },
  );
}

/**
 * Bundles `entry` with everything it imports, the AWS SDK included, in the
 * module format Node reads the entry in (so the module object Lambda's loader
 * sees is the one the user wrote). Lambda's runtime ships an SDK, but the
 * local runtime runs the bundle from the state directory where no
 * node_modules exist, and a pinned SDK behaves the same on both targets; the
 * price is a bigger zip and a slightly slower cold start.
 */
export async function buildBundle(options: BuildOptions): Promise<BuildResult> {
  const entry = path.resolve(options.entry);
  const outDir = path.resolve(options.outDir);
  const handlerPath = options.handlerExport ?? 'handler';
  try {
    await access(entry);
  } catch {
    throw new BundleError('bundle.entry-missing', `Handler entry ${entry} does not exist.`, {
      details: { entry },
    });
  }
  await mkdir(outDir, { recursive: true });
  const esbuild = await import('esbuild');
  const syntax = await entrySyntax(esbuild, entry);
  const decision = moduleFormatOf(entry, syntax);
  // TypeScript is compiled to the format either way (as tsc does); JavaScript must already be in it.
  const javascript = ['.js', '.cjs', '.mjs'].includes(path.extname(entry));
  if (javascript && syntax && syntax !== decision.format) {
    const uses = syntax === 'esm' ? 'import/export' : 'require/module.exports';
    throw new BundleError(
      'bundle.format-mismatch',
      `The handler ${entry} uses ${uses} but Node reads it as ${MODULE_FORMAT_NAMES[decision.format]} (${decision.reason}); it would fail to load on Lambda.`,
      { details: { entry, format: decision.format, syntax } },
    );
  }
  const bundleName = bundleFileName(decision.format);
  const bundleFile = path.join(outDir, bundleName);
  const result = await runEsbuild(esbuild, entry, {
    entryPoints: [entry],
    outfile: bundleFile,
    bundle: true,
    platform: 'node',
    format: decision.format,
    target: 'node22',
    // ESM builds of dependencies tree-shake better (the SDK ships both).
    mainFields: ['module', 'main'],
    ...(decision.format === 'esm' ? { banner: { js: CJS_BANNER } } : {}),
    minify: options.minify ?? false,
    // Stack traces name the user's files (the runtime enables source maps);
    // the sources themselves stay out of the zip.
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // Paths in the output's comments are relative to this: the same source
    // tree gives the same bytes wherever the command runs from.
    absWorkingDir: path.dirname(entry),
    nodePaths: ownNodeModules(),
    // Written by us: staged, checked, then renamed into place, so a failed
    // build leaves the previous bundle whole and a worker starting meanwhile
    // never reads half a file.
    write: false,
  });
  const { metafile } = result;
  const output =
    metafile.outputs[path.relative(path.dirname(entry), bundleFile)] ??
    Object.values(metafile.outputs).find((o) => o.entryPoint);
  const [first = ''] = handlerPath.split('.');
  if (decision.format === 'esm' && !(output?.exports ?? []).includes(first)) {
    throw missingExport(entry, decision, handlerPath, output?.exports ?? []);
  }

  const staging = await mkdtemp(path.join(outDir, '.staging-'));
  try {
    const contents = new Map<string, Uint8Array>();
    for (const file of result.outputFiles ?? []) contents.set(path.basename(file.path), file.contents);
    const code = contents.get(bundleName);
    const map = contents.get(`${bundleName}.map`);
    if (!code || !map) throw new Error(`esbuild produced no ${bundleName} and source map`);
    await writeFile(path.join(staging, bundleName), code);
    await writeFile(path.join(staging, `${bundleName}.map`), map);
    // CommonJS exports (and nested paths) are only known once the module runs.
    if (decision.format === 'cjs' || handlerPath.includes('.')) {
      const probe = await probeBundle(path.join(staging, bundleName), handlerPath, options.env ?? {});
      if (probe?.ok && probe.kind !== 'function') {
        throw missingExport(
          entry,
          decision,
          handlerPath,
          probe.exports,
          probe.kind === 'undefined' ? 'does not export' : 'exports a non-function at',
        );
      }
    }
    const zip = await deterministicZip([
      { name: bundleName, content: Buffer.from(code) },
      { name: `${bundleName}.map`, content: portableSourceMap(map, outDir, path.dirname(entry)) },
    ]);
    await writeFile(path.join(staging, ZIP_FILE_NAME), zip);
    const manifest: BuildManifest = {
      entry,
      handler: handlerPath,
      format: decision.format,
      bundleFile,
      bundleSha256: sha256(Buffer.from(code)),
      inputs: await hashInputs(
        Object.keys(metafile.inputs).map((file) => path.resolve(path.dirname(entry), file)),
      ),
    };
    await writeFile(path.join(staging, MANIFEST_FILE_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
    // The map before the code that names it; the manifest, which says a build is done, last.
    for (const name of [`${bundleName}.map`, bundleName, ZIP_FILE_NAME, MANIFEST_FILE_NAME]) {
      await rename(path.join(staging, name), path.join(outDir, name));
    }
    // A bundle of the other format left by an earlier build would be found first by Lambda's loader.
    const other = bundleFileName(decision.format === 'esm' ? 'cjs' : 'esm');
    await Promise.all([other, `${other}.map`].map((name) => rm(path.join(outDir, name), { force: true })));
    const digest = createHash('sha256').update(zip).digest();
    return {
      bundleFile,
      zipFile: path.join(outDir, ZIP_FILE_NAME),
      sha256: digest.toString('hex'),
      sha256Base64: digest.toString('base64'),
      handler: `${path.parse(bundleName).name}.${handlerPath}`,
      format: decision.format,
      inputs: Object.keys(manifest.inputs),
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The source map as it goes into the zip: its `sources` relative to the entry's
 * folder instead of the build folder, so the zip's bytes do not depend on
 * where the state directory is.
 */
function portableSourceMap(map: Uint8Array, mapDir: string, entryDir: string): Buffer {
  const parsed = JSON.parse(Buffer.from(map).toString('utf8')) as { sources?: string[] };
  parsed.sources = (parsed.sources ?? []).map((source) =>
    path.relative(entryDir, path.resolve(mapDir, source)).split(path.sep).join('/'),
  );
  return Buffer.from(JSON.stringify(parsed));
}
