/**
 * Version 2 stack file fragments as a user writes them, shared by the tests
 * that parse them (config), create them (dynamo) and run them (targets).
 */

/** An orders table whose stream carries both images. */
export const ORDERS_TABLE = {
  hash_key: 'orderId',
  attributes: { orderId: 'S' },
  stream_view_type: 'NEW_AND_OLD_IMAGES',
};

/** A customers table with a new-image stream. */
export const CUSTOMERS_TABLE = {
  hash_key: 'customerId',
  attributes: { customerId: 'S' },
  stream_view_type: 'NEW_IMAGE',
};

/**
 * A single-table design with every table feature but a stream: range key, a
 * GSI (its projection left to the default), an LSI projecting one attribute,
 * TTL and deletion protection.
 */
export const SINGLE_TABLE_DESIGN = {
  hash_key: 'pk',
  range_key: 'sk',
  attributes: { pk: 'S', sk: 'S', gsi1pk: 'S', createdAt: 'N' },
  global_secondary_indexes: [{ name: 'by-gsi1', hash_key: 'gsi1pk', range_key: 'createdAt' }],
  local_secondary_indexes: [
    {
      name: 'by-created',
      range_key: 'createdAt',
      projection_type: 'INCLUDE',
      non_key_attributes: ['status'],
    },
  ],
  ttl_attribute: 'expiresAt',
  deletion_protection: true,
};
