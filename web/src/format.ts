// Small formatting helpers shared by the views.

/** 0:07, 4:05, 1:02:03 — time in a state. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

/** 0.8234 → "82.3%"; null → "—". */
export function percent(x: number | null | undefined): string {
  return x == null ? '—' : `${(x * 100).toFixed(1)}%`
}

/** A caller's verdict (1–5) as stars: 4 → ★★★★☆; none → "". */
export function stars(score: number | null | undefined): string {
  if (score == null || !Number.isFinite(score)) return ''
  const n = Math.min(5, Math.max(0, Math.round(score)))
  return '★'.repeat(n) + '☆'.repeat(5 - n)
}

/** A state key on the floor: the not-ready reason when there is one. */
export function stateKey(state: string, reason: string | null): string {
  return state === 'not_ready' && reason ? reason : state
}

export type Level = 'ok' | 'amber' | 'red'

export function level(
  seconds: number,
  t: { amber_seconds: number; red_seconds: number } | undefined,
): Level {
  if (!t) return 'ok'
  if (seconds >= t.red_seconds) return 'red'
  if (seconds >= t.amber_seconds) return 'amber'
  return 'ok'
}

/**
 * A phone number as people in China write it: mobiles 138 5710 0000, fixed lines with the
 * area code 0571 8765 4321 (010 and 02x take three digits); +86 numbers in that domestic
 * form; anything else as given.
 */
export function phone(raw: string | null | undefined): string {
  if (!raw) return ''
  let n = raw.replace(/[\s-]/g, '')
  if (n.startsWith('+86')) {
    n = n.slice(3)
    if (!n.startsWith('1')) n = '0' + n
  }
  if (/^1\d{10}$/.test(n)) return `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`
  if (/^0(10|2\d)\d{7,8}$/.test(n)) return `${n.slice(0, 3)} ${n.slice(3, n.length - 4)} ${n.slice(-4)}`
  if (/^0[3-9]\d{2}\d{7,8}$/.test(n)) return `${n.slice(0, 4)} ${n.slice(4, n.length - 4)} ${n.slice(-4)}`
  return raw
}
