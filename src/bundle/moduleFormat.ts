import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type ModuleFormat = 'esm' | 'cjs';

/** How a handler source is read, and why: said in messages about what it exports. */
export interface ModuleFormatDecision {
  format: ModuleFormat;
  /** E.g. `.cjs extension`, `"type": "module" in /app/package.json`. */
  reason: string;
}

/** The nearest package.json (stopping at node_modules, as Lambda's loader does) and its `type`. */
export function nearestPackageJson(dir: string): { file: string; type: string | undefined } | undefined {
  for (let folder = path.resolve(dir); ; folder = path.dirname(folder)) {
    if (path.basename(folder) === 'node_modules') return undefined;
    const file = path.join(folder, 'package.json');
    if (existsSync(file)) {
      try {
        const type = (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type;
        return { file, type: typeof type === 'string' ? type : undefined };
      } catch {
        // Lambda ignores an unreadable package.json for module detection.
        return { file, type: undefined };
      }
    }
    if (path.dirname(folder) === folder) return undefined;
  }
}

/**
 * The module format Node.js (and so Lambda's nodejs22.x runtime) reads a file
 * in: `.mjs`/`.mts` are ES modules and `.cjs`/`.cts` CommonJS by extension; a
 * `.js` (or `.ts`, as Node's type stripping reads it) follows the nearest
 * package.json `type`. Without a `type`, Node 22 detects ES module syntax
 * (`import`/`export`) and otherwise reads CommonJS: `syntax` is what the file
 * uses (esbuild's metafile says).
 */
export function moduleFormatOf(file: string, syntax: ModuleFormat | undefined): ModuleFormatDecision {
  const ext = path.extname(file);
  if (ext === '.mjs' || ext === '.mts') return { format: 'esm', reason: `${ext} extension` };
  if (ext === '.cjs' || ext === '.cts') return { format: 'cjs', reason: `${ext} extension` };
  const pkg = nearestPackageJson(path.dirname(file));
  if (pkg?.type === 'module') return { format: 'esm', reason: `"type": "module" in ${pkg.file}` };
  if (pkg?.type === 'commonjs') return { format: 'cjs', reason: `"type": "commonjs" in ${pkg.file}` };
  const where = pkg ? `${pkg.file} has no "type"` : 'no package.json';
  if (syntax === 'esm') return { format: 'esm', reason: `${where}, and the file uses import/export` };
  return { format: 'cjs', reason: `${where}: CommonJS` };
}

export const MODULE_FORMAT_NAMES: Record<ModuleFormat, string> = { esm: 'ES module', cjs: 'CommonJS' };
