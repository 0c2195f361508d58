// Wire types of the API, as the server's OpenAPI document describes them.

export interface User {
  id: number
  tenant_id: number | null
  username: string
  display_name: string
  role: string
  active: boolean
  version: number
}

export interface SessionInfo {
  user: User
  tenant: { id: number; slug: string; name: string; time_zone: string; locale: string } | null
  permissions: string[]
  csrf_token: string | null
  expires_at_ms: number
}

export interface LiveCall {
  call_id: string
  caller: string
  dialled: string
  queue: string
  customer_id: number | null
  ivr_path: string[]
  arrived_at_ms: number
  answered_at_ms: number | null
}

export interface AgentStatus {
  user_id: number
  display_name: string
  state: string
  reason: string | null
  extension: string | null
  since_ms: number | null
  wrap_up_until_ms: number | null
  /** The server's clock when read. */
  now_ms: number
  call: LiveCall | null
}

export interface Phone {
  number: string
  label: string
}

export interface Address {
  province: string
  city: string
  district: string
  line: string
  label: string
}

export interface Customer {
  id: number
  name: string
  phones: Phone[]
  emails: string[]
  addresses: Address[]
  segment: string
  level: number
  qualification: string
  id_number: string | null
  blacklisted: boolean
  blacklist_reason: string
  notes: string
  version: number
}

export interface LiveEvent {
  seq: number
  id: string
  at_ms: number
  kind: string
  payload: Record<string, any>
}

export interface Disposition {
  code: string
  name_zh: string
  name_en: string
}

export interface Threshold {
  state: string
  amber_seconds: number
  red_seconds: number
}

export interface CenterSettings {
  dispositions: Disposition[]
  thresholds: Threshold[]
  version?: number | null
}

export interface QueueFloor {
  key: string
  name: string
  open: boolean
  waiting: number
  oldest_waiting_since_ms: number | null
  offered: number
  answered: number
  answered_in_target: number
  abandoned: number
  overflowed: number
  service_level: number | null
  service_level_goal: number
  target_seconds: number
  agents: Record<string, number>
}

export interface FloorAgent extends AgentStatus {
  queues: string[]
  /** False when the engine cannot ring the agent's phone (not registered, or busy elsewhere). */
  phone_reachable: boolean
}

export interface FloorView {
  now_ms: number
  queues: QueueFloor[]
  agents: FloorAgent[]
  thresholds: Threshold[]
}
