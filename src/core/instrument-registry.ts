/**
 * The configured instruments, with the default instrument for every symbol
 * that is not configured.
 */

import {
  createInstrument,
  defaultInstrument,
  InstrumentConfigError,
  type Instrument,
  type InstrumentSpec,
} from './instrument.ts'

const SPEC_FIELDS = new Set(['tickSize', 'lotSize', 'minQuantity', 'maxQuantity', 'maxPrice'])

export class InstrumentRegistry {
  readonly #configured: Map<string, Instrument>

  /** Throws InstrumentConfigError when two instruments have the same symbol. */
  constructor(instruments: Iterable<Instrument> = []) {
    this.#configured = new Map()
    for (const instrument of instruments) {
      if (this.#configured.has(instrument.symbol)) {
        throw new InstrumentConfigError(
          `instrument ${JSON.stringify(instrument.symbol)} is listed twice: list each symbol once`,
        )
      }
      this.#configured.set(instrument.symbol, instrument)
    }
  }

  /** Returns the configured instrument, or a default one for an unlisted symbol. */
  get(symbol: string): Instrument {
    return this.#configured.get(symbol) ?? defaultInstrument(symbol)
  }

  isConfigured(symbol: string): boolean {
    return this.#configured.has(symbol)
  }

  /** Configured symbols in configuration order. */
  symbols(): string[] {
    return [...this.#configured.keys()]
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Builds a registry from a JSON object keyed by symbol, for example
 * `{ "AAPL": { "tickSize": "0.01", "lotSize": "1" } }`. Every value must be a
 * decimal string. Throws InstrumentConfigError on the first invalid entry,
 * naming the symbol and the field. An object cannot contain a symbol twice,
 * so src/config.ts rejects a symbol repeated in the JSON text.
 */
export function parseInstrumentRegistry(config: unknown): InstrumentRegistry {
  if (!isPlainObject(config)) {
    throw new InstrumentConfigError(
      'instruments must be a JSON object keyed by symbol, such as ' +
        '{"AAPL":{"tickSize":"0.01","lotSize":"1"}}',
    )
  }

  const instruments: Instrument[] = []
  for (const [symbol, entry] of Object.entries(config)) {
    const prefix = `instrument ${JSON.stringify(symbol)}`
    if (!isPlainObject(entry)) {
      throw new InstrumentConfigError(`${prefix} must be an object with tickSize and lotSize`)
    }

    for (const field of Object.keys(entry)) {
      if (!SPEC_FIELDS.has(field)) {
        throw new InstrumentConfigError(
          `${prefix}: unknown field ${JSON.stringify(field)}. ` +
            `Expected one of ${[...SPEC_FIELDS].join(', ')}`,
        )
      }
    }
    for (const field of ['tickSize', 'lotSize']) {
      if (entry[field] === undefined) {
        throw new InstrumentConfigError(`${prefix}: ${field} is missing`)
      }
    }
    for (const field of SPEC_FIELDS) {
      if (entry[field] !== undefined && typeof entry[field] !== 'string') {
        throw new InstrumentConfigError(
          `${prefix}: ${field} must be a decimal string such as "0.01", ` +
            `got ${JSON.stringify(entry[field])}`,
        )
      }
    }

    instruments.push(createInstrument(symbol, entry as unknown as InstrumentSpec))
  }

  return new InstrumentRegistry(instruments)
}
