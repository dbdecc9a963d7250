/**
 * The stack file's constants that code outside validation uses, in a module
 * without the schema library: importing one of them must not load zod (see
 * modelCache.ts).
 */

/** The default handler source; the pre-traffic check is on by default only for it. */
export const BUILT_IN_HANDLER_ENTRY = 'lambda/src/handler.ts';

/** Lambda's default batch size for a DynamoDB stream mapping. */
export const DEFAULT_BATCH_SIZE = 100;
