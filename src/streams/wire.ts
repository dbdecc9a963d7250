import type { _Record, AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb-streams';
import { StreamsError } from './errors.js';

/**
 * A DynamoDB attribute value as Lambda delivers it: JSON only, so binaries are
 * base64 strings where the SDK hands out Uint8Arrays.
 */
export type WireAttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { M: Record<string, WireAttributeValue> }
  | { L: WireAttributeValue[] }
  | { NULL: true }
  | { BOOL: boolean };

export type WireImage = Record<string, WireAttributeValue>;

export type EventName = 'INSERT' | 'MODIFY' | 'REMOVE';
export const EVENT_NAMES: readonly EventName[] = ['INSERT', 'MODIFY', 'REMOVE'];

export type StreamViewType = 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'KEYS_ONLY';
const VIEW_TYPES: readonly string[] = ['NEW_AND_OLD_IMAGES', 'NEW_IMAGE', 'OLD_IMAGE', 'KEYS_ONLY'];

/** `dynamodb` part of a record, keys in the order AWS writes them. */
export interface WireStreamRecord {
  /** Epoch seconds (a number), not the SDK's Date. */
  ApproximateCreationDateTime?: number;
  Keys: WireImage;
  NewImage?: WireImage;
  OldImage?: WireImage;
  SequenceNumber: string;
  SizeBytes: number;
  StreamViewType: StreamViewType;
}

/** One record of the event `{ Records: [...] }` a Lambda handler receives. */
export interface WireRecord {
  eventID: string;
  eventName: EventName;
  eventVersion: string;
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: WireStreamRecord;
  eventSourceARN: string;
  /** Present on deletions made by TTL. */
  userIdentity?: { type: string; principalId: string };
}

/**
 * A record as read from a stream: DynamoDB Streams always says when it entered
 * the stream, so the read narrows the wire shape's optional field once, here.
 */
export interface StreamRecord extends WireRecord {
  dynamodb: WireStreamRecord & { ApproximateCreationDateTime: number };
}

export interface WireContext {
  /** The stream ARN; Lambda sets it as `eventSourceARN`. */
  streamArn: string;
  /** The region Lambda reports (DynamoDB Local says `ddblocal`, Lambda never does). */
  region: string;
  /** Epoch ms the record was read: its creation time when the stream gave none. */
  readAt: number;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** SDK attribute value (Uint8Array binaries) to its JSON wire form. */
export function toWireAttributeValue(value: SdkAttributeValue): WireAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toWireImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toWireAttributeValue) };
  if (value.NULL !== undefined) return { NULL: true };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  throw new Error(`Unknown DynamoDB attribute value type: ${Object.keys(value).join(', ')}`);
}

export function toWireImage(image: Record<string, SdkAttributeValue>): WireImage {
  const out: WireImage = {};
  for (const [name, value] of Object.entries(image)) out[name] = toWireAttributeValue(value);
  return out;
}

/** How AWS marks a deletion made by Time to Live, on the record Lambda delivers. */
export const TTL_USER_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/**
 * DynamoDB Local (2026-01-16) deletes expired items itself, but writes their
 * stream records with this eventName (its Java SDK's name for an enum value
 * it does not know) and no userIdentity. Nothing else in its stream has it,
 * and AWS never sends it.
 */
const DYNAMODB_LOCAL_TTL_EVENT = 'UNKNOWN_TO_SDK_VERSION';

/**
 * What GetRecords returns, converted to what Lambda hands the function. A
 * record missing its identity (eventID, eventName, SequenceNumber) is a broken
 * stream, so it throws. One without ApproximateCreationDateTime (AWS always
 * sends it) takes the time it was read: it entered the stream no later, so its
 * age is never overstated (no NaN age, no discard as expired by mistake).
 * DynamoDB Local's TTL deletions become what AWS delivers for them: REMOVE
 * with the DynamoDB service as userIdentity.
 */
export function toWireRecord(record: _Record, ctx: WireContext): StreamRecord {
  const ddb = record.dynamodb;
  const ttlDelete = (record.eventName as string | undefined) === DYNAMODB_LOCAL_TTL_EVENT && !ddb?.NewImage;
  const eventName = ttlDelete ? 'REMOVE' : record.eventName;
  if (!ddb?.SequenceNumber || !eventName || !record.eventID) {
    throw new Error(`Stream record without eventID, eventName or SequenceNumber: ${JSON.stringify(record)}`);
  }
  // The stream gives epoch seconds; the SDK turns them into a Date.
  const createdMs = ddb.ApproximateCreationDateTime?.getTime();
  const dynamodb: StreamRecord['dynamodb'] = {
    ApproximateCreationDateTime: Math.floor(
      (createdMs !== undefined && Number.isFinite(createdMs) ? createdMs : ctx.readAt) / 1000,
    ),
    Keys: toWireImage(ddb.Keys ?? {}),
    ...(ddb.NewImage ? { NewImage: toWireImage(ddb.NewImage) } : {}),
    ...(ddb.OldImage ? { OldImage: toWireImage(ddb.OldImage) } : {}),
    SequenceNumber: ddb.SequenceNumber,
    SizeBytes: Math.trunc(ddb.SizeBytes ?? 0),
    StreamViewType: (ddb.StreamViewType ?? 'NEW_AND_OLD_IMAGES') as StreamViewType,
  };
  return {
    eventID: record.eventID,
    eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: ctx.region,
    dynamodb,
    eventSourceARN: ctx.streamArn,
    ...(ttlDelete
      ? { userIdentity: { ...TTL_USER_IDENTITY } }
      : record.userIdentity?.Type && record.userIdentity.PrincipalId
        ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } }
        : {}),
  };
}

/** The region in a stream ARN (`arn:aws:dynamodb:<region>:...`), if any. */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

/** A record or value that does not have Lambda's wire shape; `path` says where. */
export class WireShapeError extends StreamsError {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super('streams.wire-shape', `${path}: ${problem}`, { details: { path, problem } });
  }
}

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: Json, path: string, check?: (s: string) => boolean, what = 'strings'): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new WireShapeError(path, `expected a non-empty array of ${what}`);
  }
  return value.map((item, i) => {
    if (typeof item !== 'string' || (check && !check(item))) {
      throw new WireShapeError(`${path}[${i}]`, `expected ${what.replace(/s$/, '')}`);
    }
    return item;
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const isBase64 = (s: string) => BASE64.test(s);
const isNumber = (s: string) => NUMBER.test(s);

/** Validates one wire attribute value (exactly one type key, right JSON type). */
export function parseWireAttributeValue(value: Json, path: string): WireAttributeValue {
  if (!isObject(value))
    throw new WireShapeError(path, 'expected an attribute value object such as {"S":"..."}');
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    throw new WireShapeError(
      path,
      `expected exactly one type key (S, N, B, SS, NS, BS, M, L, NULL, BOOL), got ${keys.length}`,
    );
  }
  const type = keys[0] as string;
  const inner = value[type];
  const at = `${path}.${type}`;
  switch (type) {
    case 'S':
      if (typeof inner !== 'string') throw new WireShapeError(at, 'expected a string');
      return { S: inner };
    case 'N':
      if (typeof inner !== 'string' || !isNumber(inner))
        throw new WireShapeError(at, 'expected a number as a string');
      return { N: inner };
    case 'B':
      if (typeof inner !== 'string' || !isBase64(inner))
        throw new WireShapeError(at, 'expected a base64 string');
      return { B: inner };
    case 'SS':
      return { SS: stringArray(inner, at) };
    case 'NS':
      return { NS: stringArray(inner, at, isNumber, 'numbers as strings') };
    case 'BS':
      return { BS: stringArray(inner, at, isBase64, 'base64 strings') };
    case 'M':
      return { M: parseWireImage(inner, at) };
    case 'L':
      if (!Array.isArray(inner)) throw new WireShapeError(at, 'expected an array');
      return { L: inner.map((item, i) => parseWireAttributeValue(item, `${at}[${i}]`)) };
    case 'NULL':
      if (inner !== true) throw new WireShapeError(at, 'expected true');
      return { NULL: true };
    case 'BOOL':
      if (typeof inner !== 'boolean') throw new WireShapeError(at, 'expected true or false');
      return { BOOL: inner };
    default:
      throw new WireShapeError(
        path,
        `unknown type key "${type}" (allowed: S, N, B, SS, NS, BS, M, L, NULL, BOOL)`,
      );
  }
}

export function parseWireImage(value: Json, path: string): WireImage {
  if (!isObject(value)) throw new WireShapeError(path, 'expected an object of attribute values');
  const out: WireImage = {};
  for (const [name, item] of Object.entries(value))
    out[name] = parseWireAttributeValue(item, `${path}.${name}`);
  return out;
}

function requireString(obj: Record<string, Json>, key: string, path: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value === '')
    throw new WireShapeError(`${path}.${key}`, 'expected a non-empty string');
  return value;
}

/**
 * Validates a parsed JSON value as a Lambda DynamoDB stream record and returns
 * it with AWS's key order, so re-serialising gives the same text as `tail`.
 * Unknown extra keys are dropped. Throws WireShapeError naming the bad field.
 */
export function parseWireRecord(value: Json, path = 'record'): WireRecord {
  if (!isObject(value)) throw new WireShapeError(path, 'expected a JSON object (a stream record)');
  const eventID = requireString(value, 'eventID', path);
  const eventName = value.eventName;
  if (typeof eventName !== 'string' || !(EVENT_NAMES as readonly string[]).includes(eventName)) {
    throw new WireShapeError(`${path}.eventName`, 'expected "INSERT", "MODIFY" or "REMOVE"');
  }
  const eventVersion = requireString(value, 'eventVersion', path);
  if (value.eventSource !== 'aws:dynamodb')
    throw new WireShapeError(`${path}.eventSource`, 'expected "aws:dynamodb"');
  const awsRegion = requireString(value, 'awsRegion', path);
  const eventSourceARN = requireString(value, 'eventSourceARN', path);
  const ddb = value.dynamodb;
  const dpath = `${path}.dynamodb`;
  if (!isObject(ddb)) throw new WireShapeError(dpath, 'expected an object');
  const acdt = ddb.ApproximateCreationDateTime;
  if (acdt !== undefined && (typeof acdt !== 'number' || !Number.isFinite(acdt) || acdt < 0)) {
    throw new WireShapeError(`${dpath}.ApproximateCreationDateTime`, 'expected epoch seconds as a number');
  }
  const sequenceNumber = ddb.SequenceNumber;
  if (typeof sequenceNumber !== 'string' || !/^\d+$/.test(sequenceNumber)) {
    throw new WireShapeError(`${dpath}.SequenceNumber`, 'expected a string of digits');
  }
  const sizeBytes = ddb.SizeBytes;
  if (typeof sizeBytes !== 'number' || !Number.isInteger(sizeBytes) || sizeBytes < 0) {
    throw new WireShapeError(`${dpath}.SizeBytes`, 'expected a non-negative integer');
  }
  const viewType = ddb.StreamViewType;
  if (typeof viewType !== 'string' || !VIEW_TYPES.includes(viewType)) {
    throw new WireShapeError(`${dpath}.StreamViewType`, `expected one of ${VIEW_TYPES.join(', ')}`);
  }
  const userIdentity = value.userIdentity;
  if (
    userIdentity !== undefined &&
    (!isObject(userIdentity) ||
      typeof userIdentity.type !== 'string' ||
      typeof userIdentity.principalId !== 'string')
  ) {
    throw new WireShapeError(`${path}.userIdentity`, 'expected {"type": string, "principalId": string}');
  }
  return {
    eventID,
    eventName: eventName as EventName,
    eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion,
    dynamodb: {
      ...(acdt !== undefined ? { ApproximateCreationDateTime: acdt as number } : {}),
      Keys: parseWireImage(ddb.Keys, `${dpath}.Keys`),
      ...(ddb.NewImage !== undefined ? { NewImage: parseWireImage(ddb.NewImage, `${dpath}.NewImage`) } : {}),
      ...(ddb.OldImage !== undefined ? { OldImage: parseWireImage(ddb.OldImage, `${dpath}.OldImage`) } : {}),
      SequenceNumber: sequenceNumber,
      SizeBytes: sizeBytes,
      StreamViewType: viewType as StreamViewType,
    },
    eventSourceARN,
    ...(userIdentity !== undefined
      ? {
          userIdentity: {
            type: userIdentity.type as string,
            principalId: userIdentity.principalId as string,
          },
        }
      : {}),
  };
}

/** Compares stream sequence numbers as integers (they differ in length). */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
