// The call list (通话记录): its filters as the route and the API say them, and a call's
// trail (what the log says happened to it) as lines people read, in either language.

import type { components } from './api.gen'
import { formatSeconds } from './reports'

export type Cdr = components['schemas']['Cdr']
export type TrailStep = components['schemas']['TrailStep']

/** What `/api/cdrs` can be asked for `outcome`. */
export const OUTCOMES = [
  'answered', 'abandoned', 'voicemail', 'callback', 'disconnected', 'overflowed', 'callback_done', 'ivr', 'outbound', 'interrupted',
] as const

/** The filters of the call list besides the period the calls ended in. */
export interface CallFilters {
  caller: string
  dialled: string
  queue: string
  agentId: number | null
  outcome: string
  disposition: string
  minTalkS: number | null
  maxTalkS: number | null
  /** The calls that arrived in `[from, to)` (ms): what a report counted (a report's drill-down). */
  arrivedFromMs: number | null
  arrivedToMs: number | null
  /** Only each call's first part: the contacts a center-wide count counted (a report's drill-down). */
  firstParts: boolean
}

export const NO_FILTERS: CallFilters = {
  caller: '', dialled: '', queue: '', agentId: null, outcome: '', disposition: '', minTalkS: null, maxTalkS: null, arrivedFromMs: null, arrivedToMs: null,
  firstParts: false,
}

type Query = Record<string, unknown>

function one(v: unknown): string {
  const x = Array.isArray(v) ? v[0] : v
  return typeof x === 'string' ? x.trim() : ''
}

function whole(v: unknown): number | null {
  const s = one(v)
  if (!/^\d{1,15}$/.test(s)) return null
  return Number(s)
}

/**
 * The filters a link gave (`/calls?arrived_from_ms=…&queue=repair&outcome=abandoned`, as the
 * reports link their counts); anything not understood is left out.
 */
export function filtersFromQuery(q: Query): CallFilters {
  const outcome = one(q.outcome)
  return {
    caller: one(q.caller),
    dialled: one(q.dialled),
    queue: one(q.queue),
    agentId: whole(q.agent_id),
    outcome: (OUTCOMES as readonly string[]).includes(outcome) ? outcome : '',
    disposition: one(q.disposition),
    minTalkS: whole(q.min_talk_s),
    maxTalkS: whole(q.max_talk_s),
    arrivedFromMs: whole(q.arrived_from_ms),
    arrivedToMs: whole(q.arrived_to_ms),
    firstParts: one(q.first_parts) === 'true',
  }
}

/** Whether a link asked for anything (then the list shows what it asked, not the last week). */
export function askedAnything(f: CallFilters): boolean {
  return (Object.keys(NO_FILTERS) as (keyof CallFilters)[]).some((k) => f[k] !== NO_FILTERS[k])
}

/** The query of `/api/cdrs` and its export: the period the calls ended in, and the filters. */
export function callParams(f: CallFilters, ended: [Date, Date] | null): URLSearchParams {
  const p = new URLSearchParams()
  if (ended) {
    p.set('from_ms', String(ended[0].getTime()))
    p.set('to_ms', String(ended[1].getTime()))
  }
  if (f.arrivedFromMs != null) p.set('arrived_from_ms', String(f.arrivedFromMs))
  if (f.arrivedToMs != null) p.set('arrived_to_ms', String(f.arrivedToMs))
  if (f.caller.trim()) p.set('caller', f.caller.trim())
  if (f.dialled.trim()) p.set('dialled', f.dialled.trim())
  if (f.queue) p.set('queue', f.queue)
  if (f.agentId != null) p.set('agent_id', String(f.agentId))
  if (f.outcome) p.set('outcome', f.outcome)
  if (f.disposition.trim()) p.set('disposition', f.disposition.trim())
  if (f.minTalkS != null) p.set('min_talk_s', String(f.minTalkS))
  if (f.maxTalkS != null) p.set('max_talk_s', String(f.maxTalkS))
  if (f.firstParts) p.set('first_parts', 'true')
  return p
}

type Payload = Record<string, any>

/**
 * The trail in order, with the moments each part was answered (the part's record says when)
 * as steps of their own, `call.answered`.
 */
export function trailSteps(steps: TrailStep[]): TrailStep[] {
  const out = steps.map((s, i) => ({ s, i }))
  for (const [i, s] of steps.entries()) {
    const p = (s.payload ?? {}) as Payload
    if (s.kind === 'call.ended' && typeof p.answered_at_ms === 'number') {
      out.push({ s: { at_ms: p.answered_at_ms, kind: 'call.answered', payload: { agent_id: p.agent_id ?? null, segment: p.segment ?? 0 } }, i: i - 0.5 })
    }
  }
  // By time; at the same instant as logged (the answer just before its part's end).
  return out.sort((a, b) => a.s.at_ms - b.s.at_ms || a.i - b.i).map((x) => x.s)
}

/** The parts of the call that were recorded (their segment numbers), from the trail and the records. */
export function recordedSegments(steps: TrailStep[], records: Pick<Cdr, 'recording' | 'segment'>[] = []): number[] {
  const found = new Set<number>()
  for (const s of steps) {
    const p = (s.payload ?? {}) as Payload
    if (s.kind === 'call.ended' && p.recording) found.add(Number(p.segment ?? 0))
  }
  for (const r of records) if (r.recording) found.add(r.segment ?? 0)
  return [...found].sort((a, b) => a - b)
}

type Translate = (key: string, args?: Record<string, unknown>) => string

export interface TrailNames {
  t: Translate
  /** A queue's name by its key. */
  queue: (key: string) => string
  /** A person's name by their user id. */
  person: (id: number) => string
  /** A wrap-up code's name. */
  disposition: (code: string) => string
  /** A phone number as people write it. */
  phone: (n: string) => string
}

/** A wait or a talk: "12 秒" under a minute, else "3:05". */
export function duration(ms: number, t: Translate): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? t('trail.seconds', { n: s }) : formatSeconds(s)
}

/** Where a call was passed on to: a queue by its name, an extension as it is. */
function target(to: string, n: TrailNames): string {
  if (to === 'survey') return n.t('trail.survey')
  return /^\d+$/.test(to) ? to : n.queue(to)
}

/** One step of a call's trail as a line: "进入队列 报修", "振铃 8001 张三（等待 12 秒）". */
export function trailLine(step: TrailStep, n: TrailNames): string {
  const { t } = n
  const p = (step.payload ?? {}) as Payload
  switch (step.kind) {
    case 'call.arrived':
      return p.dialled ? t('trail.arrived', { caller: n.phone(p.caller ?? ''), dialled: p.dialled }) : t('trail.arrivedFrom', { caller: n.phone(p.caller ?? '') })
    case 'ivr.node':
      return t('trail.ivrNode', { node: p.node ?? '' })
    case 'call.queued':
      return t('trail.queued', { queue: n.queue(p.queue ?? '') })
    case 'call.announced':
      return p.wait_s != null
        ? t('trail.announcedWait', { ahead: p.ahead ?? 0, wait: duration(Number(p.wait_s) * 1000, t) })
        : t('trail.announced', { ahead: p.ahead ?? 0 })
    case 'call.callback_requested':
      return t('trail.callbackRequested')
    case 'call.ringing': {
      const name = p.user_id != null ? n.person(Number(p.user_id)) : ''
      const who = [p.extension, name].filter(Boolean).join(' ')
      return t('trail.ringing', { who, wait: duration(Number(p.waited_ms ?? 0), t) })
    }
    case 'call.answered': {
      const name = p.agent_id != null ? n.person(Number(p.agent_id)) : ''
      return name ? t('trail.answeredBy', { name }) : t('trail.answered')
    }
    case 'call.transferred':
      return t('trail.transferred', { to: target(String(p.to ?? ''), n) })
    case 'call.consult': {
      const state = ['ringing', 'talking', 'completed', 'cancelled', 'failed'].includes(p.state) ? p.state : 'other'
      const name = p.expert_id != null ? n.person(Number(p.expert_id)) : ''
      return t('trail.consult.' + state, { to: [p.to, name].filter(Boolean).join(' '), state: p.state ?? '' })
    }
    case 'call.recording':
      return t('trail.recording')
    case 'call.recording_failed':
      return t('trail.recordingFailed', { error: p.error ?? '' })
    case 'call.voicemail':
      return t('trail.voicemail', { mailbox: p.mailbox ?? '' })
    case 'call.placed': {
      const number = n.phone(p.number ?? '')
      return p.user_id != null ? t('trail.placedBy', { number, name: n.person(Number(p.user_id)) }) : t('trail.placed', { number })
    }
    case 'call.wrapup': {
      const line = t('trail.wrapup', { code: n.disposition(p.disposition ?? ''), name: p.agent ?? '' })
      return p.notes ? `${line} · ${p.notes}` : line
    }
    case 'call.ended': {
      const parts = [t('desktop.outcome.' + p.outcome)]
      if (Number(p.talk_ms) > 0) parts.push(t('trail.talk', { d: duration(Number(p.talk_ms), t) }))
      else if (Number(p.wait_ms) > 0) parts.push(t('trail.wait', { d: duration(Number(p.wait_ms), t) }))
      if (Number(p.hold_ms) > 0) parts.push(t('trail.hold', { d: duration(Number(p.hold_ms), t) }))
      if (p.transferred_to) parts.push(t('trail.passedTo', { to: target(String(p.transferred_to), n) }))
      const what = parts.join(' · ')
      return Number(p.segment) > 0 || p.transferred_to ? t('trail.partEnded', { n: Number(p.segment ?? 0) + 1, what }) : t('trail.ended', { what })
    }
    case 'call.survey':
      return p.score != null ? t('trail.surveyScore', { score: p.score }) : t('trail.surveyNone')
    default:
      return step.kind
  }
}
