/**
 * The key attributes of the ingestion contract (shared/spec/ingestion-contract.md),
 * in one place for the handler and the CLI's stack file defaults.
 */

/** The source table's key attribute: `source_table.hash_key`'s default (the stack may name another). */
export const DEFAULT_SOURCE_HASH_KEY = 'orderId';

/** The sink table's key attribute the built-in handler writes (`ORDER#…`, `CUSTOMER#…`). */
export const SINK_HASH_KEY = 'pk';
