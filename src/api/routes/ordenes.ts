/**
 * POST /ordenes: the Spanish contract of the first version of the service,
 * kept unchanged. It places a limit GTC order through the same flow as
 * POST /orders and responds with the Spanish field names.
 */

import type { FastifyInstance } from 'fastify'

import { acceptOrder } from '../accept-order.ts'
import { submitOrdenSchema, type OrdenBody } from '../schemas/ordenes.ts'
import type { ApiDependencies } from '../types.ts'

export async function ordenRoutes(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  app.post<{ Body: OrdenBody }>('/ordenes', { schema: submitOrdenSchema }, async (request, reply) => {
    const body = request.body
    const record = await acceptOrder(
      deps,
      {
        clientId: request.client!.id,
        symbol: body.activo,
        side: body.tipo === 'compra' ? 'buy' : 'sell',
        type: 'limit',
        price: body.precio,
        quantity: body.cantidad,
        timeInForce: 'GTC',
        source: 'ordenes',
        ...(body.referencia_cliente === undefined ? {} : { clientOrderId: body.referencia_cliente }),
      },
      request,
    )

    return reply.code(202).send({
      id: record.id,
      timestamp: record.timestamp,
      tipo: body.tipo,
      activo: record.symbol,
      cantidad: record.quantity,
      precio: record.price,
      cliente_id: record.clientId,
      referencia_cliente: body.referencia_cliente,
      status: record.status,
    })
  })
}
