// Incidents in the browser (a burst main, an area without water): what is going on now and
// what is over, the area as the form writes it (a region or an address's beginning a line),
// a key from the incident's time when none is typed, and times as callers are told them.

import type { components } from './api.gen'

export type ActiveIncident = components['schemas']['ActiveIncident']
export type IncidentCalls = components['schemas']['IncidentCalls']

/** An incident as the server keeps it (a configuration document's data). */
export interface Incident {
  title: string
  message: string
  regions: string[]
  address_prefixes: string[]
  starts_ms: number
  expected_end_ms: number
  ended_ms?: number | null
}

export interface IncidentDoc {
  key: string
  version: number
  updated_at_ms?: number
  data: Incident
}

/** Going on at `now`: started, and neither ended nor past its expected end (as the server says). */
export function isActive(i: Incident, now: number): boolean {
  return i.starts_ms <= now && now < i.expected_end_ms && (i.ended_ms == null || now < i.ended_ms)
}

/** Over at `now`: ended, or its expected end passed. */
export function isOver(i: Incident, now: number): boolean {
  return now >= i.expected_end_ms || (i.ended_ms != null && now >= i.ended_ms)
}

/** When it stopped (or will stop) being announced. */
export function endOf(i: Incident): number {
  return i.ended_ms != null ? Math.min(i.ended_ms, i.expected_end_ms) : i.expected_end_ms
}

/**
 * The list as the page shows it: going on now (newest first), posted for later (soonest
 * first), and over (the latest to end first).
 */
export function splitIncidents(docs: IncidentDoc[], now: number): { active: IncidentDoc[]; upcoming: IncidentDoc[]; past: IncidentDoc[] } {
  const active = docs.filter((d) => isActive(d.data, now)).sort((a, b) => b.data.starts_ms - a.data.starts_ms || a.key.localeCompare(b.key))
  const upcoming = docs.filter((d) => !isOver(d.data, now) && d.data.starts_ms > now).sort((a, b) => a.data.starts_ms - b.data.starts_ms)
  const past = docs.filter((d) => isOver(d.data, now)).sort((a, b) => endOf(b.data) - endOf(a.data) || a.key.localeCompare(b.key))
  return { active, upcoming, past }
}

/** The non-empty lines of a text box, trimmed. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((x) => x.trim())
    .filter(Boolean)
}

/**
 * Regions a line each, as the server matches them: `浙江省 / 杭州市/西湖区/` →
 * `浙江省/杭州市/西湖区` (full-width slashes too); lines of slashes alone dropped.
 */
export function regionLines(text: string): string[] {
  return lines(text.replace(/／/g, '/'))
    .map((r) => r.replace(/\s*\/\s*/g, '/').replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
}

const pad = (n: number) => String(n).padStart(2, '0')

/** 18:05, in the browser's time. */
export function hhmm(ms: number): string {
  const d = new Date(ms)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** `18:00` on the day of `now`, `12-03 18:00` on another day. */
export function whenLabel(ms: number, now: number): string {
  const d = new Date(ms)
  const n = new Date(now)
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate()
  return sameDay ? hhmm(ms) : `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hhmm(ms)}`
}

/** `inc-20261203-0830` from the incident's start; `-2`, `-3`… when that key is taken. */
export function incidentKey(startsMs: number, taken: Iterable<string>): string {
  const d = new Date(startsMs)
  const base = `inc-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}`
  const used = new Set(taken)
  if (!used.has(base)) return base
  let n = 2
  while (used.has(`${base}-${n}`)) n++
  return `${base}-${n}`
}

/** Whether a key is one the server takes: 1–40 ASCII letters, digits, `-` or `_`. */
export function validKey(key: string): boolean {
  return /^[A-Za-z0-9_-]{1,40}$/.test(key)
}

/** The place a message names: the first address's beginning, else the finest part of the first region. */
export function areaName(regions: string[], prefixes: string[]): string {
  if (prefixes.length) return prefixes[0]
  const parts = (regions[0] ?? '').split('/').filter(Boolean)
  return parts[parts.length - 1] ?? ''
}

/** The body of a change (`PUT`), at the version read, with what is changed. */
export function changeBody(d: IncidentDoc, change: Partial<Incident> = {}): Record<string, unknown> {
  const i = { ...d.data, ...change }
  return {
    version: d.version,
    title: i.title,
    message: i.message,
    regions: i.regions ?? [],
    address_prefixes: i.address_prefixes ?? [],
    starts_ms: i.starts_ms,
    expected_end_ms: i.expected_end_ms,
    ended_ms: i.ended_ms ?? null,
  }
}
