/**
 * SHA-256 and HMAC-SHA256 for the SDK's SignatureV4 signer, with each HMAC
 * key imported once. Node's createHmac imports a string or Buffer key on
 * every call. The signer computes two HMACs per request: one keyed by the
 * secret access key, for its cache of signing keys, and the signature,
 * keyed by the day's signing key. On this machine, with other jobs running,
 * an HMAC of a short string took about 12 µs with a Buffer key and 2.5 µs
 * with a KeyObject.
 */

import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto'

/** A key or data, in any form the signer passes. */
type SourceData = string | ArrayBuffer | ArrayBufferView

/** Maximum number of imported keys kept. The signer uses six HMAC keys per day and credential. */
const MAX_KEYS = 16

const keys = new Map<string, KeyObject>()

function toBinary(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return Buffer.from(data)
}

/** Returns the imported key for these key bytes, importing it on first use. */
function importedKey(secret: SourceData): KeyObject {
  const binary = toBinary(secret)
  const cacheKey = typeof binary === 'string' ? `s:${binary}` : `b:${binary.toString('base64')}`
  let key = keys.get(cacheKey)
  if (key === undefined) {
    if (keys.size >= MAX_KEYS) keys.clear()
    key = createSecretKey(typeof binary === 'string' ? Buffer.from(binary, 'utf8') : Buffer.from(binary))
    keys.set(cacheKey, key)
  }
  return key
}

/**
 * A SHA-256 hash, or an HMAC-SHA256 when constructed with a secret, in the
 * shape of the SDK's checksum constructors (as `@smithy/hash-node`'s).
 */
export class Sha256 {
  readonly digestLength = 32
  readonly #secret: SourceData | undefined
  #hash: Hash | Hmac
  #finished = false

  constructor(secret?: SourceData) {
    // As in @smithy/hash-node, an empty secret means a plain hash.
    this.#secret = secret === '' ? undefined : secret
    this.#hash = this.#create()
  }

  update(data: SourceData): void {
    if (this.#finished) throw new Error('update() called on an HMAC that was already digested')
    this.#hash.update(toBinary(data))
  }

  /** Returns the digest. A plain hash accepts more data after it, and an HMAC does not. */
  async digest(): Promise<Uint8Array> {
    let result: Buffer
    if (this.#secret === undefined) {
      result = (this.#hash as Hash).copy().digest()
    } else {
      this.#finished = true
      result = this.#hash.digest()
    }
    return new Uint8Array(result.buffer, result.byteOffset, result.byteLength)
  }

  reset(): void {
    this.#hash = this.#create()
    this.#finished = false
  }

  #create(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', importedKey(this.#secret))
  }
}
