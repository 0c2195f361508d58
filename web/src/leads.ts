// Sales leads in the web app: amounts in yuan as people type them, deadlines as time left,
// and which actions each side may take on a lead in each status.

/** 7800000 fen → "78,000.00" (yuan, grouped). */
export function yuan(fen: number | null | undefined): string {
  if (fen == null || !Number.isFinite(fen)) return '—'
  return (fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
}

/**
 * What people type for an amount, in fen: `78000`, `78,000.5`, `7.8万` (ten thousand), `¥1200`.
 * `null` when it is not an amount above zero.
 */
export function parseYuan(text: string): number | null {
  let s = text.trim().replace(/[¥￥,，\s]/g, '').replace(/元$/, '')
  let scale = 1
  if (s.endsWith('万')) {
    scale = 10_000
    s = s.slice(0, -1)
  }
  if (!/^\d+(\.\d{1,4})?$/.test(s)) return null
  const fen = Math.round(Number(s) * scale * 100)
  return fen > 0 && Number.isSafeInteger(fen) ? fen : null
}

/** Time left to a deadline: `{ key, n }` for the i18n text, and whether it is overdue. */
export function left(dueMs: number | null | undefined, now: number): { key: string; n: number; late: boolean } | null {
  if (dueMs == null) return null
  const ms = dueMs - now
  const late = ms < 0
  const abs = Math.abs(ms)
  const h = abs / 3_600_000
  if (h >= 48) return { key: late ? 'leads.lateDays' : 'leads.leftDays', n: Math.floor(h / 24), late }
  if (h >= 1) return { key: late ? 'leads.lateHours' : 'leads.leftHours', n: Math.floor(h), late }
  return { key: late ? 'leads.lateMinutes' : 'leads.leftMinutes', n: Math.max(1, Math.ceil(abs / 60_000)), late }
}

export type Side = 'center' | 'manager' | 'dealer'

/** The actions offered on a lead in `status` to one side (the API checks them again). */
export function actions(status: string, side: Side): string[] {
  if (side === 'dealer') {
    if (status === 'offered') return ['accept', 'return']
    if (status === 'working') return ['follow_up', 'win', 'lose', 'return']
    return []
  }
  const manage = side === 'manager'
  switch (status) {
    case 'open':
      return [...(manage ? ['assign'] : []), 'take']
    case 'center_working':
      return ['follow_up', 'win', 'lose', ...(manage ? ['assign'] : [])]
    case 'offered':
    case 'working':
      return manage ? ['reclaim'] : []
    default:
      return []
  }
}

/** Element Plus tag type of a lead's status. */
export const statusType: Record<string, 'info' | 'warning' | 'primary' | 'success' | 'danger'> = {
  open: 'warning',
  offered: 'info',
  working: 'primary',
  center_working: 'primary',
  won: 'success',
  lost: 'danger',
}

export const JOURNEY = ['search', 'select', 'buy', 'receive', 'return'] as const

/** Reasons the server writes itself (the sweep's), as i18n keys; a person's own words as they are. */
const WHY: Record<string, string> = {
  'not accepted in time': 'leads.why.accept',
  'not followed up in time': 'leads.why.follow',
}

/** A move's note for the page: the sweep's reasons translated, anything else as written. */
export function noteText(note: string | null | undefined, t: (k: string) => string): string {
  if (!note) return ''
  return WHY[note] ? t(WHY[note]) : note
}

/** A lead's move on a customer's timeline: `线索 #17 回收 · 未按时接收`. */
export function leadEventLine(p: Record<string, unknown>, t: (k: string) => string): string {
  const action = String(p.action ?? '')
  const note = noteText(p.note as string | null | undefined, t)
  return `${t('leads.event')} #${p.lead_id} ${t('leads.action.' + action)} · ${p.product_line ?? ''}${note ? ' · ' + note : ''}`
}
