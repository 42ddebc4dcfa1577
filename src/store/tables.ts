/**
 * Creates the tables on demand (PAY_PER_REQUEST) when absent and waits until
 * they and their indexes are ACTIVE. An existing table is checked against
 * its definition and never changed.
 */

import {
  CreateTableCommand,
  DescribeTableCommand,
  type CreateTableCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { Logger } from 'pino'
import { sleep } from './retry.ts'

/** Key schema and indexes of one table; the repositories define them. */
export type TableDefinition = Omit<CreateTableCommandInput, 'BillingMode' | 'ProvisionedThroughput'> & {
  TableName: string
}

const POLL_INTERVAL_MS = 250

function isNamed(error: unknown, name: string): boolean {
  return (error as { name?: unknown } | null)?.name === name
}

async function describe(doc: DynamoDBDocumentClient, tableName: string): Promise<TableDescription | null> {
  try {
    const output = await doc.send(new DescribeTableCommand({ TableName: tableName }))
    return output.Table ?? null
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return null
    throw error
  }
}

function isActive(table: TableDescription): boolean {
  const indexes = table.GlobalSecondaryIndexes ?? []
  return table.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')
}

/** Throws when an existing table's keys or indexes differ from the definition. */
function checkSchema(definition: TableDefinition, table: TableDescription): void {
  const keysOf = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) =>
    JSON.stringify((schema ?? []).map((key) => [key.AttributeName, key.KeyType]))

  const problems: string[] = []
  if (keysOf(definition.KeySchema) !== keysOf(table.KeySchema)) {
    problems.push(`key schema is ${keysOf(table.KeySchema)}, expected ${keysOf(definition.KeySchema)}`)
  }

  for (const expected of definition.GlobalSecondaryIndexes ?? []) {
    const actual = table.GlobalSecondaryIndexes?.find((index) => index.IndexName === expected.IndexName)
    if (actual === undefined) {
      problems.push(`index ${expected.IndexName} is missing`)
    } else if (keysOf(actual.KeySchema) !== keysOf(expected.KeySchema)) {
      problems.push(`index ${expected.IndexName} has keys ${keysOf(actual.KeySchema)}, expected ${keysOf(expected.KeySchema)}`)
    }
  }

  if (problems.length > 0) {
    throw new Error(
      `table ${definition.TableName} does not match this version's layout: ${problems.join('; ')}. ` +
        'Use another table name or migrate the table.',
    )
  }
}

async function ensureTable(
  doc: DynamoDBDocumentClient,
  definition: TableDefinition,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  const tableName = definition.TableName
  let table = await describe(doc, tableName)

  if (table === null) {
    logger.info({ table: tableName }, 'creating table')
    try {
      await doc.send(new CreateTableCommand({ ...definition, BillingMode: 'PAY_PER_REQUEST' }))
    } catch (error) {
      // Another process created it between DescribeTable and CreateTable.
      if (!isNamed(error, 'ResourceInUseException')) throw error
      logger.info({ table: tableName }, 'table was created concurrently')
    }
  } else {
    checkSchema(definition, table)
  }

  const deadline = Date.now() + timeoutMs
  for (;;) {
    table = await describe(doc, tableName)
    if (table !== null && isActive(table)) break
    if (Date.now() > deadline) {
      throw new Error(`table ${tableName} did not become ACTIVE within ${timeoutMs} ms (status ${table?.TableStatus})`)
    }
    await sleep(POLL_INTERVAL_MS)
  }
  checkSchema(definition, table)
}

/** Creates every absent table in parallel and resolves when all are ACTIVE. */
export async function ensureTables(
  doc: DynamoDBDocumentClient,
  definitions: TableDefinition[],
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  await Promise.all(definitions.map((definition) => ensureTable(doc, definition, timeoutMs, logger)))
}
