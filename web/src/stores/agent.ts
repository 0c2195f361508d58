// The agent desktop's state: the agent's own status, the contact on screen (ringing,
// connected, or just ended and being wrapped up) with the customer card, and the live
// events that drive them. Events come over the WebSocket from the moment of connecting
// (`after=-1`), then from the last `seq` seen, so a reconnect misses nothing.

import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { get, post } from '../api'
import { connectLive, wsUrl, type Live } from '../live'
import type { AgentStatus, CenterSettings, Customer, LiveEvent } from '../types'

export type Phase = 'ringing' | 'connected' | 'ended'

export interface Contact {
  call_id: string
  caller: string
  dialled: string
  queue: string
  ivr_path: string[]
  /** When the caller started waiting (server clock). */
  arrived_at_ms: number
  /** How long they waited before this agent's phone rang. */
  waited_ms: number
  /** When the ringing reached this desktop (client clock), for measuring the pop. */
  popped_at: number
  phase: Phase
  customer_id: number | null
  /** Customers found by the caller's number when the call named none. */
  candidates: Customer[]
  customer: Customer | null
  timeline: LiveEvent[]
  consult: string | null
  wrapped: boolean
  /** A callback task (回访): the work order whose customer to call back. */
  order_id: number | null
}

/** `ready`, `{not_ready: "break"}` → ["not_ready", "break"] (as the API's `describe`). */
export function describeState(s: unknown): [string, string | null] {
  if (typeof s === 'string') return [s, null]
  if (s && typeof s === 'object') {
    const [k, v] = Object.entries(s as Record<string, unknown>)[0] ?? ['offline', null]
    return [k, typeof v === 'string' ? v : null]
  }
  return ['offline', null]
}

export const useAgent = defineStore('agent', () => {
  const status = ref<AgentStatus | null>(null)
  const settings = ref<CenterSettings | null>(null)
  const contact = ref<Contact | null>(null)
  const error = ref<string | null>(null)
  /** Server clock minus client clock, so time in state counts from the server's instants. */
  const skew = ref(0)
  const live = shallowRef<Live | null>(null)
  let lastSeq = -1

  const me = computed(() => status.value?.user_id ?? null)

  async function refresh(): Promise<void> {
    const asked = performance.now()
    const s = await get<AgentStatus>('/api/me/agent')
    status.value = s
    skew.value = s.now_ms - Date.now()
    // Offered before this question and not offered any more (rang out, or a callback task
    // taken out): the pop goes.
    if (!s.call && contact.value?.phase === 'ringing' && contact.value.popped_at < asked) contact.value = null
    if (s.call && (!contact.value || contact.value.call_id !== s.call.call_id)) {
      // After a reload in the middle of a call: the pop again.
      void pop({
        call_id: s.call.call_id,
        caller: s.call.caller,
        dialled: s.call.dialled,
        queue: s.call.queue,
        ivr_path: s.call.ivr_path,
        arrived_at_ms: s.call.arrived_at_ms,
        waited_ms: Math.max(0, (s.call.answered_at_ms ?? Date.now() + skew.value) - s.call.arrived_at_ms),
        customer_id: s.call.customer_id ?? null,
        phase: s.call.answered_at_ms ? 'connected' : 'ringing',
        order_id: s.call.order_id ?? null,
      })
    }
  }

  async function pop(c: Omit<Contact, 'popped_at' | 'candidates' | 'customer' | 'timeline' | 'consult' | 'wrapped'>) {
    contact.value = {
      ...c,
      popped_at: performance.now(),
      candidates: [],
      customer: null,
      timeline: [],
      consult: null,
      wrapped: false,
    }
    const callId = c.call_id
    try {
      if (c.customer_id != null) {
        const cust = await get<Customer>(`/api/customers/${c.customer_id}`)
        if (contact.value?.call_id === callId) await choose(cust)
      } else if (c.caller) {
        const found = await get<{ customers: Customer[] }>(
          `/api/customers/lookup?number=${encodeURIComponent(c.caller)}`,
        )
        if (contact.value?.call_id !== callId) return
        if (found.customers.length === 1) await choose(found.customers[0])
        else contact.value.candidates = found.customers
      }
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  async function choose(c: Customer): Promise<void> {
    if (!contact.value) return
    contact.value.customer = c
    contact.value.customer_id = c.id
    contact.value.candidates = []
    const callId = contact.value.call_id
    const timeline = await get<LiveEvent[]>(`/api/customers/${c.id}/timeline?limit=20`)
    if (contact.value?.call_id === callId) contact.value.timeline = timeline
  }

  function onEvent(e: LiveEvent): void {
    lastSeq = Math.max(lastSeq, e.seq)
    const p = e.payload
    const mine = p.user_id === me.value || p.to_user_id === me.value
    switch (e.kind) {
      case 'call.ringing':
        if (p.user_id === me.value) {
          void pop({
            call_id: p.call_id,
            caller: p.caller ?? '',
            dialled: p.dialled ?? '',
            queue: p.queue ?? '',
            ivr_path: p.ivr_path ?? [],
            arrived_at_ms: e.at_ms - (p.waited_ms ?? 0),
            waited_ms: p.waited_ms ?? 0,
            customer_id: p.customer_id ?? null,
            phase: 'ringing',
            order_id: p.order_id ?? null,
          })
        }
        break
      case 'acd.call_answered':
        if (mine && contact.value) contact.value.phase = 'connected'
        break
      case 'call.ended':
        if (contact.value && p.call_id === contact.value.call_id) {
          // Rung but never answered here, or wrapped up during the call: nothing left to do.
          if (contact.value.phase === 'ringing' && p.agent_id !== me.value) contact.value = null
          else if (contact.value.wrapped) contact.value = null
          else contact.value.phase = 'ended'
        }
        break
      case 'acd.call_returned':
        if (mine && contact.value?.phase === 'ringing') contact.value = null
        break
      case 'call.consult':
        if (contact.value && p.call_id === contact.value.call_id) {
          contact.value.consult = p.state === 'ringing' || p.state === 'talking' ? p.to : null
        }
        break
      // What the state bar shows; presence alone (a reason changed mid-call) is not shown.
      case 'acd.agent_state':
        if (mine) {
          const [state, reason] = describeState(p.state)
          if (status.value) status.value = { ...status.value, state, reason, since_ms: e.at_ms }
          if (state === 'talking' && contact.value?.phase === 'ringing') contact.value.phase = 'connected'
          // The after-call work's end and the live call come with the status.
          void refresh()
        }
        break
    }
  }

  async function start(): Promise<void> {
    await refresh()
    settings.value = await get<CenterSettings>('/api/settings')
    live.value?.close()
    lastSeq = -1
    live.value = connectLive({
      url: () => wsUrl(`/api/events?after=${lastSeq}`),
      onMessage: (d) => onEvent(d as LiveEvent),
      // After a loss the status may have moved on without us: read it again.
      onOpen: () => void refresh().catch(() => {}),
    })
  }

  function stop(): void {
    live.value?.close()
    live.value = null
  }

  /** Disconnected from the live events (after the first connect). */
  const isStale = computed(() => (live.value?.drops.value ?? 0) > 0 && (live.value?.stale.value ?? false))

  async function act(path: string, body: unknown = {}): Promise<void> {
    status.value = await post<AgentStatus>(path, body)
  }

  const signIn = () => act('/api/me/agent/login')
  const signOut = () => act('/api/me/agent/logout')
  const ready = () => act('/api/me/agent/state', { state: 'ready' })
  const notReady = (reason: string) => act('/api/me/agent/state', { state: 'not_ready', reason })
  const extendWrapUp = () => act('/api/me/agent/wrap-up', { action: 'extend', seconds: 30 })
  const endWrapUp = () => act('/api/me/agent/wrap-up', { action: 'done' })

  async function saveWrapUp(disposition: string, notes: string, journey: string | null = null): Promise<void> {
    const c = contact.value
    if (!c) return
    await post(`/api/calls/${encodeURIComponent(c.call_id)}/wrap-up`, {
      disposition,
      notes,
      customer_id: c.customer?.id ?? null,
      journey,
    })
    c.wrapped = true
    if (c.phase === 'ended') contact.value = null
  }

  function dismiss(): void {
    contact.value = null
  }

  return {
    status, settings, contact, error, skew, isStale, me,
    start, stop, refresh, onEvent, choose, pop,
    signIn, signOut, ready, notReady, extendWrapUp, endWrapUp, saveWrapUp, dismiss,
  }
})
