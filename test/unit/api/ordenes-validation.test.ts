import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { assertRejected, rejects, withRawNumber, type BadInput } from './bad-inputs.ts'
import { buildGuardedApp, type GuardedApp } from './helpers.ts'

/** A valid POST /ordenes body for AAPL (tick 0.05, lot 1, max price 1000, max quantity 100000). */
const VALID = { tipo: 'compra', activo: 'AAPL', cantidad: '5', precio: '10.25', cliente_id: 'cliente-1' }

const BAD_INPUTS: BadInput[] = [
  rejects('missing tipo', { remove: ['tipo'] }, 'tipo', 'required'),
  rejects('missing activo', { remove: ['activo'] }, 'activo', 'required'),
  rejects('missing cantidad', { remove: ['cantidad'] }, 'cantidad', 'required'),
  rejects('missing precio', { remove: ['precio'] }, 'precio', 'required'),
  rejects('missing cliente_id', { remove: ['cliente_id'] }, 'cliente_id', 'required'),
  rejects('null precio', { change: { precio: null } }, 'precio', 'type'),
  rejects('cliente_id as number', { change: { cliente_id: 7 } }, 'cliente_id', 'type'),
  rejects('tipo as boolean', { change: { tipo: true } }, 'tipo', 'type'),
  rejects('cantidad as array', { change: { cantidad: ['5'] } }, 'cantidad', 'type'),
  rejects('zero cantidad', { raw: withRawNumber(VALID, 'cantidad', '0') }, 'cantidad', 'not_positive'),
  rejects('zero precio', { change: { precio: '0' } }, 'precio', 'not_positive'),
  rejects('negative precio', { raw: withRawNumber(VALID, 'precio', '-1.5') }, 'precio', 'negative'),
  rejects('negative cantidad', { change: { cantidad: '-5' } }, 'cantidad', 'negative'),
  rejects('NaN precio', { change: { precio: 'NaN' } }, 'precio', 'not_finite'),
  rejects('Infinity cantidad', { change: { cantidad: 'Infinity' } }, 'cantidad', 'not_finite'),
  rejects('exponent cantidad', { raw: withRawNumber(VALID, 'cantidad', '1e5') }, 'cantidad', 'exponent_notation'),
  rejects('exponent precio string', { change: { precio: '2E1' } }, 'precio', 'exponent_notation'),
  rejects('more than 8 decimals', { change: { precio: '10.000000001' } }, 'precio', 'too_many_decimals'),
  rejects('precio off the tick', { raw: withRawNumber(VALID, 'precio', '10.01') }, 'precio', 'not_multiple_of_tick'),
  rejects('cantidad off the lot', { change: { cantidad: '2.5' } }, 'cantidad', 'not_multiple_of_lot'),
  rejects('precio above maximum', { change: { precio: '5000' } }, 'precio', 'above_maximum'),
  rejects('cantidad above maximum', { change: { cantidad: '200000' } }, 'cantidad', 'above_maximum'),
  rejects('letters as cantidad', { change: { cantidad: 'cinco' } }, 'cantidad', 'not_a_decimal'),
  rejects('comma decimal precio', { change: { precio: '10,25' } }, 'precio', 'not_a_decimal'),
  rejects('English tipo', { change: { tipo: 'buy' } }, 'tipo', 'enum'),
  rejects('unknown tipo', { change: { tipo: 'permuta' } }, 'tipo', 'enum'),
  rejects('lower-case activo', { change: { activo: 'aapl' } }, 'activo', 'pattern'),
  rejects('activo over 16 characters', { change: { activo: 'B'.repeat(17) } },
    'activo', 'max_length'),
  rejects('activo with a space', { change: { activo: 'AA PL' } }, 'activo', 'pattern'),
  rejects('cliente_id over 64 characters', { change: { cliente_id: 'c'.repeat(65) } },
    'cliente_id', 'max_length'),
  rejects('cliente_id with a slash', { change: { cliente_id: 'a/b' } }, 'cliente_id', 'pattern'),
  rejects('English field on /ordenes', { change: { side: 'buy' } }, 'side', 'unknown_field'),
  rejects('tipo_orden field', { change: { tipo_orden: 'mercado' } }, 'tipo_orden', 'unknown_field'),
  rejects('null body', { raw: 'null' }, 'body', 'type'),
  rejects('array body', { raw: JSON.stringify([VALID]) }, 'body', 'type'),
  rejects('empty body', { raw: '' }, 'body', 'type'),
  { name: 'malformed JSON', raw: '{"tipo": compra}', status: 400, code: 'invalid_json' },
  { name: 'bare Infinity token', raw: withRawNumber(VALID, 'precio', 'Infinity'), status: 400, code: 'invalid_json' },
  {
    name: 'text/plain body',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'body over the limit',
    change: { relleno: 'x'.repeat(5000) },
    status: 413,
    code: 'body_too_large',
  },
  rejects('X-Client-Id not the body cliente_id', { headers: { 'x-client-id': 'otro' } },
    'cliente_id', 'client_mismatch'),
]

describe('POST /ordenes bad input', () => {
  let guarded: GuardedApp

  before(async () => {
    guarded = await buildGuardedApp()
  })
  after(async () => {
    await guarded.app.close()
  })

  for (const input of BAD_INPUTS) {
    test(input.name, async () => {
      await assertRejected(guarded, '/ordenes', VALID, input)
    })
  }

  test('details name only Spanish fields', async () => {
    const payload = { tipo: 'buy', activo: 'aapl', cantidad: '0', precio: '1e3', cliente_id: '' }
    const response = await guarded.app.inject({ method: 'POST', url: '/ordenes', payload })
    const details: Array<{ field: string; rule: string }> = response.json().details
    const rules = details.map((detail) => `${detail.field}:${detail.rule}`)

    assert.equal(response.statusCode, 400)
    assert.deepEqual(rules.sort(), [
      'activo:pattern',
      'cantidad:not_positive',
      'cliente_id:min_length',
      'cliente_id:pattern',
      'precio:exponent_notation',
      'tipo:enum',
    ])
  })

  test('null precio gets one detail', async () => {
    const response = await guarded.app.inject({ method: 'POST', url: '/ordenes', payload: { ...VALID, precio: null } })

    assert.equal(response.statusCode, 400)
    assert.deepEqual(response.json().details, [
      { field: 'precio', rule: 'type', message: 'must be a decimal, as a JSON number or a string like "10.25"' },
    ])
  })
})
