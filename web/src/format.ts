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
