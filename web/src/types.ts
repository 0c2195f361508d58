// Wire types of the API, generated from the server's OpenAPI document (`web/openapi.json`)
// into `api.gen.ts` by `npm run api` — never written by hand. This file only names them.
import type { components } from './api.gen'

type Schemas = components['schemas']

export type User = Schemas['UserDto']
export type SessionInfo = Schemas['SessionInfo']
export type LiveCall = Schemas['LiveCall']
export type AgentStatus = Schemas['AgentStatus']
export type Phone = Schemas['PhoneDto']
export type Address = Schemas['AddressDto']
export type Customer = Schemas['CustomerDto']
export type Disposition = Schemas['Disposition']
export type Threshold = Schemas['Threshold']
export type CenterSettings = Schemas['CenterSettings']
export type QueueFloor = Schemas['QueueFloor']
export type FloorView = Schemas['FloorView']
export type FloorAgent = Schemas['FloorAgent']

/**
 * An event of the log, as the WebSocket and `/api/events/log` send it. Its payload is the
 * schema named after its kind: `call.ringing` → {@link CallRinging}, `call.ended` →
 * {@link CallEnded}; the routing engine's `acd.*` events carry the engine's own fields.
 */
export type LiveEvent = Omit<Schemas['EventDto'], 'payload'> & { payload: Record<string, any> }
export type CallRinging = Schemas['CallRinging']
export type CallEnded = Schemas['CallEnded']
export type CallConsult = Schemas['CallConsult']
export type CallWrapup = Schemas['CallWrapup']
