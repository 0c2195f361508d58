// Work orders in the browser: the tenant's order types and handling groups (loaded once per
// page), their names in the user's language, and what an order's state means for the
// buttons a user sees.

import { get } from './api'
import type { components } from './api.gen'

export type Order = components['schemas']['OrderDto']
export type OrderTimeline = components['schemas']['OrderTimeline']
export type SimilarOrder = components['schemas']['SimilarOrder']

export interface Category { code: string; name_zh: string; name_en: string; children?: Category[] }
export interface Field { key: string; label_zh: string; label_en: string; kind: 'text' | 'number' | 'choice' | 'date'; required?: boolean; options?: string[] }
export interface OrderType { name_zh: string; name_en: string; callback_required: boolean; categories?: Category[]; fields?: Field[] }
export interface Group { name: string; kind: 'back_office' | 'crew' | 'expert'; members: number[]; lead?: number | null }

export interface Setup {
  types: Record<string, OrderType>
  groups: Record<string, Group>
}

interface Doc<T> { key: string; data: T }

export async function loadSetup(): Promise<Setup> {
  const [types, groups] = await Promise.all([
    get<Doc<OrderType>[]>('/api/order-types'),
    get<Doc<Group>[]>('/api/handling-groups'),
  ])
  return {
    types: Object.fromEntries(types.map((d) => [d.key, d.data])),
    groups: Object.fromEntries(groups.map((d) => [d.key, d.data])),
  }
}

const en = (locale: string) => locale === 'en'

export function typeName(s: Setup | null, key: string, locale: string): string {
  const t = s?.types[key]
  return t ? (en(locale) ? t.name_en : t.name_zh) : key
}

/** `leak/main` → 漏水 / 主管爆裂. */
export function categoryName(s: Setup | null, type: string, path: string, locale: string): string {
  if (!path) return ''
  let level = s?.types[type]?.categories ?? []
  const names: string[] = []
  for (const code of path.split('/')) {
    const c = level.find((x) => x.code === code)
    if (!c) return path
    names.push(en(locale) ? c.name_en : c.name_zh)
    level = c.children ?? []
  }
  return names.join(' / ')
}

/** The category tree as el-cascader options, values by code. */
export function categoryOptions(cats: Category[] | undefined, locale: string): { value: string; label: string; children?: any[] }[] {
  return (cats ?? []).map((c) => ({
    value: c.code,
    label: en(locale) ? c.name_en : c.name_zh,
    children: c.children?.length ? categoryOptions(c.children, locale) : undefined,
  }))
}

export function groupName(s: Setup | null, key: string | null | undefined): string {
  if (!key) return '—'
  return s?.groups[key]?.name ?? key
}

export const statusType: Record<string, 'info' | 'warning' | 'primary' | 'success' | 'danger'> = {
  open: 'danger',
  dispatched: 'warning',
  accepted: 'primary',
  waiting: 'info',
  resolved: 'success',
  closed: 'info',
  merged: 'info',
}

/** Whether the user belongs to the group the order is with (or leads it). */
export function inGroup(s: Setup | null, o: Order, me: number | undefined): boolean {
  const g = o.group ? s?.groups[o.group] : undefined
  return !!g && me != null && (g.members.includes(me) || g.lead === me)
}

/** How long until `due` (or how long since), as 2天3小时 / 45分钟. */
export function remaining(due: number | null | undefined, now: number, locale: string): string {
  if (due == null) return '—'
  const ms = Math.abs(due - now)
  const m = Math.floor(ms / 60000)
  const d = Math.floor(m / 1440)
  const h = Math.floor((m % 1440) / 60)
  const mm = m % 60
  const e = en(locale)
  const parts = d ? [`${d}${e ? 'd' : '天'}`, `${h}${e ? 'h' : '小时'}`] : h ? [`${h}${e ? 'h' : '小时'}`, `${mm}${e ? 'm' : '分'}`] : [`${mm}${e ? ' min' : '分钟'}`]
  const text = parts.join(e ? ' ' : '')
  if (due >= now) return e ? `in ${text}` : `剩 ${text}`
  return e ? `${text} overdue` : `超时 ${text}`
}

type Translate = (key: string, args?: Record<string, unknown>) => string

/** An order's event on a customer's timeline: `工单 12 · 派单 · 已派单「…」`. */
export function orderEventLine(kind: string, p: Record<string, any>, t: Translate): string {
  const head = `${t('orders.title')} ${p.order_id}`
  if (kind === 'order.sla') return `${head} · ${t('orders.sla.' + p.signal, { limit: t('orders.limit.' + p.limit) })}`
  const action = p.action === 'attach' ? t('attachments.add') : t('orders.action.' + p.action)
  const parts = [head, action, t('orders.statuses.' + p.to)]
  if (p.score) parts.push(`${p.score}/5`)
  if (p.note) parts.push(`「${p.note}」`)
  return parts.join(' · ')
}

/** What an intake form says so far, to look for the open orders it may duplicate (并单). */
export interface Probe {
  customerId?: number | null
  region?: string
  address?: string
  orderType?: string
  category?: string
  /** An order to leave out (the one being looked at). */
  exclude?: number | null
}

/** `浙江省 / 杭州市/ 西湖区` → `浙江省/杭州市/西湖区`, as the server compares regions. */
export const normalRegion = (r: string | null | undefined) =>
  (r ?? '').split('/').map((s) => s.trim()).filter(Boolean).join('/')

/**
 * The query for `GET /api/orders/similar`, or null while nothing could match yet (no
 * customer and no region). Only what the server accepts is sent: a text over its limit is
 * left out rather than answered with a 400; the address, type and category count only
 * within a region.
 */
export function similarQuery(p: Probe): string | null {
  const fits = (s: string, max: number) => [...s].length <= max && !s.includes('\0')
  const q = new URLSearchParams()
  if (p.customerId != null && Number.isSafeInteger(p.customerId) && p.customerId > 0) q.set('customer_id', String(p.customerId))
  const region = normalRegion(p.region)
  if (region && fits(region, 100)) {
    q.set('region', region)
    const address = (p.address ?? '').trim()
    if (address && fits(address, 200)) q.set('address', address)
    const type = (p.orderType ?? '').trim()
    if (type && fits(type, 40)) {
      q.set('order_type', type)
      const category = (p.category ?? '').trim()
      if (category && fits(category, 200)) q.set('category', category)
    }
  }
  if (!q.has('customer_id') && !q.has('region')) return null
  if (p.exclude != null && Number.isSafeInteger(p.exclude) && p.exclude > 0) q.set('exclude', String(p.exclude))
  return q.toString()
}

export const likenessType: Record<string, 'danger' | 'warning' | 'info'> = {
  same_customer: 'danger',
  same_address: 'warning',
  same_area: 'info',
}
