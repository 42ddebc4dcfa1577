/**
 * Parser of LOBSTER sample files: the message file (one event a row) and the
 * order book file (the first N levels after each event). Prices stay exact:
 * LOBSTER writes them as integer dollars × 10000, kept here as safe integers
 * and converted to decimal strings with integer arithmetic only.
 */

import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Side } from '../log/commands.ts'

/** LOBSTER prices are dollars times this. */
export const LOBSTER_PRICE_SCALE = 10_000

/** Ask price LOBSTER writes for an empty level (the bid uses its negative). */
const EMPTY_LEVEL_PRICE = 9_999_999_999

const SCALE_DIGITS = 4

/**
 * LOBSTER event types: 1 new limit order, 2 partial cancellation,
 * 3 deletion, 4 execution of a visible order, 5 execution of a hidden order,
 * 6 cross trade, 7 trading halt.
 */
export type LobsterEventType = 1 | 2 | 3 | 4 | 5 | 6 | 7

export interface LobsterMessage {
  /** 1-based row number in the message file; book row k belongs to message k. */
  row: number
  /** Seconds after midnight, exactly as written (up to nanosecond digits). */
  time: string
  type: LobsterEventType
  /** LOBSTER order reference; 0 for hidden executions. */
  orderId: number
  /** Shares. */
  size: number
  /** Dollars × 10000. */
  priceRaw: number
  /** Side of the limit order the event refers to; an execution's taker is on the other side. */
  side: Side
}

export interface LobsterLevel {
  /** Dollars × 10000. */
  priceRaw: number
  /** Shares. */
  size: number
}

/** The visible book after one message, best level first; empty levels are dropped. */
export interface LobsterBookRow {
  row: number
  asks: LobsterLevel[]
  bids: LobsterLevel[]
}

export interface LobsterData {
  messages: LobsterMessage[]
  books: LobsterBookRow[]
  /** Levels per side in the order book file. */
  depth: number
  messageFile: string
  bookFile: string
}

export class LobsterFormatError extends Error {
  constructor(file: string, row: number, problem: string) {
    super(`${file} row ${row}: ${problem}`)
    this.name = 'LobsterFormatError'
  }
}

/**
 * Returns the LOBSTER folder: LOBSTER_DIR when set, else `shared/data/lobster`
 * beside the repository root.
 */
export function resolveLobsterDir(env: Record<string, string | undefined> = process.env): string {
  const override = env.LOBSTER_DIR
  if (override !== undefined && override !== '') return resolve(override)

  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
  return resolve(repoRoot, '..', 'shared', 'data', 'lobster')
}

/**
 * Reads the one message file and its order book file from `dir`, matched by
 * LOBSTER's names `<ticker>_<date>_<start>_<end>_message_<N>.csv` and
 * `..._orderbook_<N>.csv`. With `limit`, keeps only the first `limit` rows.
 */
export function readLobsterDir(dir: string, limit?: number): LobsterData {
  const names = readdirSync(dir)
  const messageNames = names.filter((name) => /_message_\d+\.csv$/.test(name))
  if (messageNames.length !== 1) {
    throw new Error(
      `expected exactly one *_message_<N>.csv file in ${dir}, found ${messageNames.length}; ` +
        'set LOBSTER_DIR or --dir to a folder holding one LOBSTER sample',
    )
  }

  const messageName = messageNames[0]
  const bookName = messageName.replace(/_message_(\d+)\.csv$/, '_orderbook_$1.csv')
  if (!names.includes(bookName)) {
    throw new Error(`order book file ${bookName} is missing in ${dir}; it must sit beside ${messageName}`)
  }

  const messageFile = join(dir, messageName)
  const bookFile = join(dir, bookName)
  let messages = parseMessages(readFileSync(messageFile, 'utf8'), messageName)
  let books = parseBooks(readFileSync(bookFile, 'utf8'), bookName)

  if (messages.length !== books.length) {
    throw new Error(
      `${messageName} has ${messages.length} rows but ${bookName} has ${books.length}; ` +
        'each message needs the book row after it',
    )
  }
  if (limit !== undefined) {
    messages = messages.slice(0, limit)
    books = books.slice(0, limit)
  }

  const depth = Number(/_message_(\d+)\.csv$/.exec(messageName)![1])
  return { messages, books, depth, messageFile, bookFile }
}

/** Parses the text of a message file: six comma-separated columns a row, no header. */
export function parseMessages(text: string, file = 'message file'): LobsterMessage[] {
  return splitRows(text).map((line, index) => {
    const row = index + 1
    const cells = line.split(',')
    if (cells.length !== 6) {
      throw new LobsterFormatError(file, row, `expected 6 columns, found ${cells.length}`)
    }

    const [time, typeText, idText, sizeText, priceText, directionText] = cells
    if (!/^\d+(\.\d+)?$/.test(time)) {
      throw new LobsterFormatError(file, row, `time ${JSON.stringify(time)} is not a decimal number of seconds`)
    }

    const type = parseInteger(typeText, file, row, 'event type')
    if (type < 1 || type > 7) {
      throw new LobsterFormatError(file, row, `event type ${type} is not one of 1-7`)
    }

    const direction = parseInteger(directionText, file, row, 'direction')
    if (direction !== 1 && direction !== -1) {
      throw new LobsterFormatError(file, row, `direction ${direction} is neither 1 (buy) nor -1 (sell)`)
    }

    return {
      row,
      time,
      type: type as LobsterEventType,
      orderId: parseInteger(idText, file, row, 'order id'),
      size: parseInteger(sizeText, file, row, 'size'),
      priceRaw: parseInteger(priceText, file, row, 'price'),
      side: direction === 1 ? 'buy' : 'sell',
    }
  })
}

/**
 * Parses the text of an order book file: 4N columns a row, level by level
 * (ask price, ask size, bid price, bid size). Dummy levels (price ±9999999999,
 * size 0) end a side.
 */
export function parseBooks(text: string, file = 'order book file'): LobsterBookRow[] {
  return splitRows(text).map((line, index) => {
    const row = index + 1
    const cells = line.split(',')
    if (cells.length === 0 || cells.length % 4 !== 0) {
      throw new LobsterFormatError(file, row, `expected a multiple of 4 columns, found ${cells.length}`)
    }

    const values = cells.map((cell, column) => parseInteger(cell, file, row, `column ${column + 1}`))
    const asks: LobsterLevel[] = []
    const bids: LobsterLevel[] = []

    for (let i = 0; i < values.length; i += 4) {
      const [askPrice, askSize, bidPrice, bidSize] = values.slice(i, i + 4)
      if (askPrice !== EMPTY_LEVEL_PRICE && askSize > 0) asks.push({ priceRaw: askPrice, size: askSize })
      if (bidPrice !== -EMPTY_LEVEL_PRICE && bidSize > 0) bids.push({ priceRaw: bidPrice, size: bidSize })
    }

    checkSorted(asks, (better, worse) => better < worse, file, row, 'ask')
    checkSorted(bids, (better, worse) => better > worse, file, row, 'bid')
    return { row, asks, bids }
  })
}

/**
 * Formats dollars × 10000 as the shortest exact decimal string, the form the
 * product uses: 5853300 -> "585.33", 5850000 -> "585", 100 -> "0.01".
 */
export function formatLobsterPrice(priceRaw: number): string {
  if (!Number.isSafeInteger(priceRaw) || priceRaw < 0) {
    throw new RangeError(`LOBSTER price must be a non-negative safe integer, got ${priceRaw}`)
  }

  const scaled = BigInt(priceRaw)
  const whole = scaled / BigInt(LOBSTER_PRICE_SCALE)
  const fraction = (scaled % BigInt(LOBSTER_PRICE_SCALE)).toString().padStart(SCALE_DIGITS, '0').replace(/0+$/, '')
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`
}

/**
 * Parses a decimal dollar string back into dollars × 10000; throws on more
 * than four decimals, which no LOBSTER price has.
 */
export function parseDollarPrice(text: string): number {
  const match = /^(\d+)(?:\.(\d{1,4}))?$/.exec(text)
  if (match === null) {
    throw new RangeError(`price ${JSON.stringify(text)} is not a decimal with at most 4 decimals`)
  }

  const fraction = (match[2] ?? '').padEnd(SCALE_DIGITS, '0')
  const raw = BigInt(match[1]) * BigInt(LOBSTER_PRICE_SCALE) + BigInt(fraction)
  if (raw > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`price ${JSON.stringify(text)} is too large`)
  }
  return Number(raw)
}

/** Rows split on LF (CRLF tolerated); the files have no newline after the last row. */
function splitRows(text: string): string[] {
  const rows = text.split(/\r?\n/)
  while (rows.length > 0 && rows[rows.length - 1] === '') rows.pop()
  return rows
}

function parseInteger(text: string, file: string, row: number, what: string): number {
  if (!/^-?\d+$/.test(text)) {
    throw new LobsterFormatError(file, row, `${what} ${JSON.stringify(text)} is not an integer`)
  }

  const value = Number(text)
  if (!Number.isSafeInteger(value)) {
    throw new LobsterFormatError(file, row, `${what} ${text} is outside the safe integer range`)
  }
  return value
}

function checkSorted(
  levels: LobsterLevel[],
  isBetter: (better: number, worse: number) => boolean,
  file: string,
  row: number,
  side: string,
): void {
  for (let i = 1; i < levels.length; i++) {
    if (!isBetter(levels[i - 1].priceRaw, levels[i].priceRaw)) {
      throw new LobsterFormatError(file, row, `${side} levels ${i} and ${i + 1} are not in best-first order`)
    }
  }
}
