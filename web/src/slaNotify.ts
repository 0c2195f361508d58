// 催办 and 超时 as they happen, on whatever page the user is on. The server streams the
// events log (`/api/events`) and addresses an order's `order.sla` event to whom it concerns:
// a warning to the order's handler, a breach to its group's lead, and a limit long past
// (`escalate`) to no one in particular — the managers, who receive every event. Each such
// event for this user pops up at the top right and opens the order when clicked; managers
// are told of every breach and escalation but not of the warnings to others. Only what
// happens while the page is open — nothing the stream replays from before — and each
// event once.

import { h, onScopeDispose, ref, watch } from 'vue'
import type { Router } from 'vue-router'
import { ElNotification, type NotificationHandle } from 'element-plus'
import { get } from './api'
import type { components } from './api.gen'
import { i18n } from './i18n'
import { connectLive, wsUrl, type Live } from './live'
import { remaining, type Order } from './orders'
import { useSession } from './stores/session'
import type { LiveEvent } from './types'

export type OrderSla = components['schemas']['OrderSla']

/** Who is listening, and since when (the browser's clock). */
export interface Listener {
  userId: number
  /** Receives every event of the center (supervisors, the center's administrators). */
  seesAll: boolean
  since: number
}

/** The roles the server sends every event to (`sees_all_events`). */
export const SEES_ALL = ['tenant_admin', 'supervisor']
/** Allowed for between the browser's clock and the server's. */
export const SKEW_MS = 2 * 60_000
/** Older than this, an event is not news (the stream resuming after a laptop slept). */
export const MAX_AGE_MS = 30 * 60_000
/** Events remembered as told, the oldest forgotten first. */
const REMEMBERED = 500

/**
 * Whether `e` is told to the listener: an `order.sla` event addressed to them, or a breach
 * or an escalation when they see everything; never one from before they started listening
 * or too old to be news, and never one already told (remembered in `told`).
 */
export function shouldNotify(e: Pick<LiveEvent, 'id' | 'seq' | 'kind' | 'at_ms' | 'payload'>, me: Listener, told: Set<string>, now: number): boolean {
  if (e.kind !== 'order.sla') return false
  const key = e.id || `seq:${e.seq}`
  if (told.has(key)) return false
  if (e.at_ms < me.since - SKEW_MS || e.at_ms < now - MAX_AGE_MS) return false
  const p = e.payload as OrderSla
  const mine = p.to_user_id != null && p.to_user_id === me.userId
  const escalation = (p.signal === 'breach' || p.signal === 'escalate') && me.seesAll
  if (!mine && !escalation) return false
  told.add(key)
  if (told.size > REMEMBERED) told.delete(told.values().next().value as string)
  return true
}

/** The page's start: events before it are history, not news. */
const pageLoaded = Date.now()
/** Notifications on screen at once; more push the oldest out (a sweep may say many). */
const MAX_SHOWN = 5

/**
 * Listens while a user who may see events and orders is logged in: one socket per tab,
 * reconnecting and resuming from the last `seq` as the desktop's, closed on logout. Call
 * once, from the app's root; `stop` closes it at once (before logging out).
 */
export function useSlaNotifications(router: Router) {
  const session = useSession()
  let live: Live | null = null
  let lastSeq = -1
  const told = new Set<string>()
  const shown: NotificationHandle[] = []
  const titles = new Map<number, Promise<string>>()

  /** The order's title, read once; '' when it cannot be. */
  function titleOf(id: number): Promise<string> {
    let p = titles.get(id)
    if (!p) {
      if (titles.size > 100) titles.clear()
      p = get<Order>(`/api/orders/${id}`).then((o) => o.title, () => '')
      titles.set(id, p)
    }
    return p
  }

  function show(e: LiveEvent) {
    const t = i18n.global.t
    const p = e.payload as OrderSla
    const signal = ['warn', 'breach', 'escalate'].includes(p.signal) ? p.signal : 'breach'
    const breach = signal !== 'warn'
    const title = ref('')
    void titleOf(p.order_id).then((x) => (title.value = x))
    let text = t(`notify.${signal}Text`, { limit: t('orders.limit.' + p.limit) })
    // How long is left, by the server's clock at the event.
    if (!breach && p.due_ms) text = t('notify.left', { text, left: remaining(p.due_ms, e.at_ms, i18n.global.locale.value) })
    if (shown.length >= MAX_SHOWN) shown.shift()?.close()
    const n: NotificationHandle = ElNotification({
      title: t('notify.' + signal, { id: p.order_id }),
      message: () => h('div', { class: 'sla-notification-body' }, [
        title.value ? h('div', { style: 'font-weight: 600' }, title.value) : null,
        h('div', text),
        h('div', { style: 'color: #8a94a6; font-size: 12px' }, t('notify.open')),
      ]),
      type: breach ? 'error' : 'warning',
      position: 'top-right',
      // A breach (or escalation) stays until it is seen to; a warning goes after a while.
      duration: breach ? 0 : 15_000,
      customClass: 'sla-notification',
      onClick: () => {
        n.close()
        void router.push(`/orders/${p.order_id}`)
      },
      onClose: () => {
        const i = shown.indexOf(n)
        if (i >= 0) shown.splice(i, 1)
      },
    })
    shown.push(n)
  }

  function start(userId: number, role: string) {
    const me: Listener = { userId, seesAll: SEES_ALL.includes(role), since: pageLoaded }
    lastSeq = -1
    live = connectLive({
      // From now on (-1), then after the last event seen, as the desktop's stream: a
      // reconnect misses nothing once one has come (before that it starts from now again).
      url: () => wsUrl(`/api/events?after=${lastSeq}`),
      onMessage: (d) => {
        const e = d as LiveEvent
        if (typeof e?.seq !== 'number') return
        lastSeq = Math.max(lastSeq, e.seq)
        // Not on the wallboard (a screen nobody clicks).
        if (shouldNotify(e, me, told, Date.now()) && router.currentRoute.value.meta.bare !== true) show(e)
      },
    })
  }

  function stop() {
    live?.close()
    live = null
    for (const n of shown.splice(0)) n.close()
  }

  // Who listens: the logged-in user, if their role may see events and orders.
  watch(
    () => {
      const i = session.info
      const may = i?.user.tenant_id != null && i.permissions.includes('view_events') && i.permissions.includes('view_orders')
      return may ? `${i.user.id}:${i.user.role}` : ''
    },
    (who) => {
      stop()
      if (who) {
        const [id, role] = who.split(':')
        start(Number(id), role)
      }
    },
    { immediate: true },
  )
  onScopeDispose(stop)

  return { stop }
}
