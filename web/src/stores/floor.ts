// The floor view's data: snapshots over the `/api/floor/live` WebSocket (one on every
// connect, so a reconnect catches up at once; one after every change), a clock that
// ticks each second for time in state, and the alerts the thresholds raise.

import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { post } from '../api'
import { connectLive, wsUrl, type Live } from '../live'
import { level, stateKey, type Level } from '../format'
import type { FloorAgent, FloorView } from '../types'

export interface Alert {
  agent: FloorAgent
  state: string
  seconds: number
  level: Level
}

/** Time in state and its colour for each agent, and the alerts (red first, longest first).
 *  A ready agent whose phone cannot be rung gets no calls: always an amber alert. */
export function assess(view: FloorView, nowMs: number): { levels: Map<number, Level>; alerts: Alert[] } {
  const levels = new Map<number, Level>()
  const alerts: Alert[] = []
  for (const a of view.agents) {
    if (a.since_ms == null || a.state === 'offline') {
      levels.set(a.user_id, 'ok')
      continue
    }
    const key = stateKey(a.state, a.reason ?? null)
    const seconds = Math.max(0, (nowMs - a.since_ms) / 1000)
    let l = level(seconds, view.thresholds.find((t) => t.state === key))
    if (a.state === 'ready' && !a.phone_reachable) {
      if (l === 'ok') l = 'amber'
      alerts.push({ agent: a, state: 'phone_unreachable', seconds, level: l })
    } else if (l !== 'ok') {
      alerts.push({ agent: a, state: key, seconds, level: l })
    }
    levels.set(a.user_id, l)
  }
  alerts.sort((x, y) => (x.level === y.level ? y.seconds - x.seconds : x.level === 'red' ? -1 : 1))
  return { levels, alerts }
}

export const useFloor = defineStore('floor', () => {
  const view = ref<FloorView | null>(null)
  /** Server clock minus client clock at the last snapshot. */
  const skew = ref(0)
  const now = ref(Date.now())
  const live = shallowRef<Live | null>(null)
  let tick: ReturnType<typeof setInterval> | undefined

  function take(v: FloorView): void {
    skew.value = v.now_ms - Date.now()
    view.value = v
    now.value = v.now_ms
  }

  function start(): void {
    stop()
    live.value = connectLive({ url: () => wsUrl('/api/floor/live'), onMessage: (d) => take(d as FloorView) })
    tick = setInterval(() => (now.value = Date.now() + skew.value), 1000)
  }

  function stop(): void {
    live.value?.close()
    live.value = null
    clearInterval(tick)
  }

  /** Disconnected while showing data from before: it may be out of date. */
  const stale = computed(() => view.value != null && (live.value?.stale.value ?? false))
  const assessed = computed(() =>
    view.value ? assess(view.value, now.value) : { levels: new Map<number, Level>(), alerts: [] as Alert[] },
  )

  async function setNotReady(userId: number, reason: string): Promise<void> {
    await post(`/api/agents/${userId}/state`, { state: 'not_ready', reason })
  }

  async function signOut(userId: number): Promise<void> {
    await post(`/api/agents/${userId}/state`, { state: 'offline' })
  }

  return { view, now, stale, assessed, start, stop, take, setNotReady, signOut }
})
