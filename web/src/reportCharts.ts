// The reports' pictures beyond the trend: the IVR funnel (where callers go from node to
// node, and where they hang up) as a sankey and a table, and the week's shape of the calls
// (offered by weekday and half hour, in the tenant's zone) as a heatmap.

import { partsIn, valueOf, type ReportBody } from './reports'

type Body = Pick<ReportBody, 'metrics' | 'totals'>

export interface FunnelNode {
  key: string
  /** Times callers reached it. */
  visits: number
  /** Callers who hung up in the IVR with this node their last. */
  ended: number
  /** Callers who went on from the IVR (to a queue…) after this node, their last. */
  passed: number | null
  /** `ended` of `visits` (0–1), none without visits. */
  endedShare: number | null
}

export interface FunnelEdge {
  from: string
  to: string
  count: number
}

export interface Funnel {
  /** Most hang-ups first (what a shorter menu would save), then most visits. */
  nodes: FunnelNode[]
  /** The steps drawn: no step back to a node before (a menu heard again), which a sankey cannot draw. */
  edges: FunnelEdge[]
  /** The steps back, counted but not drawn. */
  loops: FunnelEdge[]
}

/** "main>menu" → ["main", "menu"]. */
export function splitEdge(key: string): [string, string] | null {
  const i = key.indexOf('>')
  return i > 0 && i < key.length - 1 ? [key.slice(0, i), key.slice(i + 1)] : null
}

/**
 * The funnel from two whole-range reports: by IVR node (`ivr_visits`, `ivr_ended`,
 * `ivr_passed`) and by IVR step (`ivr_edge`, `ivr_visits`). Steps that go back (to the node
 * itself or to one before it) are set apart so what is drawn flows one way.
 */
export function buildFunnel(nodesBody: Body, edgesBody: Body): Funnel {
  const byKey = new Map<string, FunnelNode>()
  const node = (key: string) => {
    let n = byKey.get(key)
    if (!n) byKey.set(key, (n = { key, visits: 0, ended: 0, passed: nodesBody.metrics.includes('ivr_passed') ? 0 : null, endedShare: null }))
    return n
  }
  for (const l of nodesBody.totals) {
    const n = node(l.key)
    n.visits = valueOf(nodesBody, l, 'ivr_visits') ?? 0
    n.ended = valueOf(nodesBody, l, 'ivr_ended') ?? 0
    const passed = valueOf(nodesBody, l, 'ivr_passed')
    n.passed = nodesBody.metrics.includes('ivr_passed') ? passed ?? 0 : null
  }
  const all: FunnelEdge[] = []
  for (const l of edgesBody.totals) {
    const ends = splitEdge(l.key)
    const count = valueOf(edgesBody, l, 'ivr_visits') ?? 0
    if (!ends || count <= 0) continue
    node(ends[0])
    node(ends[1])
    all.push({ from: ends[0], to: ends[1], count })
  }
  for (const n of byKey.values()) n.endedShare = n.visits > 0 ? n.ended / n.visits : null

  // Depth first from where callers come in (the node with the most visits not reached by a
  // step: the flow's start, even when "back to the main menu" leads to it), the busiest
  // steps first: a step to a node still being walked goes back.
  const out = new Map<string, FunnelEdge[]>()
  const inflow = new Map<string, number>()
  for (const e of [...all].sort((a, b) => b.count - a.count)) {
    if (!out.has(e.from)) out.set(e.from, [])
    out.get(e.from)!.push(e)
    inflow.set(e.to, (inflow.get(e.to) ?? 0) + e.count)
  }
  const entries = (n: FunnelNode) => n.visits - (inflow.get(n.key) ?? 0)
  const order = [...byKey.values()].sort((a, b) => entries(b) - entries(a) || b.visits - a.visits || a.key.localeCompare(b.key))
  const state = new Map<string, 'walking' | 'done'>()
  const back = new Set<FunnelEdge>()
  const walk = (start: string) => {
    // An explicit stack: a long flow does not run out of the call stack.
    const stack: { key: string; i: number }[] = [{ key: start, i: 0 }]
    state.set(start, 'walking')
    while (stack.length) {
      const top = stack[stack.length - 1]
      const next = out.get(top.key)?.[top.i++]
      if (!next) {
        state.set(top.key, 'done')
        stack.pop()
        continue
      }
      const s = state.get(next.to)
      if (s === 'walking') back.add(next)
      else if (!s) {
        state.set(next.to, 'walking')
        stack.push({ key: next.to, i: 0 })
      }
    }
  }
  for (const n of order) if (!state.has(n.key)) walk(n.key)

  const nodes = [...byKey.values()].sort((a, b) => b.ended - a.ended || b.visits - a.visits || a.key.localeCompare(b.key))
  return { nodes, edges: all.filter((e) => !back.has(e)), loops: all.filter((e) => back.has(e)) }
}

/** The sinks' names in the sankey (never a node's: those are the flow's keys). */
export const HUNG_UP = '\u0001ended'
export const WENT_ON = '\u0001passed'

export interface FunnelNames {
  /** A node's name, or a sink's ("挂机", "转人工/离开 IVR"). */
  node: (key: string) => string
  /** "a → b: 12". */
  count: (n: number) => string
}

/** The funnel as an ECharts sankey: steps between nodes, and each node's hang-ups and callers gone on. */
export function sankeyOption(f: Funnel, names: FunnelNames): Record<string, unknown> | null {
  const links: { source: string; target: string; value: number }[] = f.edges.map((e) => ({ source: e.from, target: e.to, value: e.count }))
  for (const n of f.nodes) {
    if (n.ended > 0) links.push({ source: n.key, target: HUNG_UP, value: n.ended })
    if (n.passed) links.push({ source: n.key, target: WENT_ON, value: n.passed })
  }
  if (!links.length) return null
  const used = new Set(links.flatMap((l) => [l.source, l.target]))
  const colors: Record<string, string> = { [HUNG_UP]: '#f56c6c', [WENT_ON]: '#67c23a' }
  return {
    animation: false,
    tooltip: {
      trigger: 'item',
      formatter: (p: { dataType?: string; name?: string; data?: { source?: string; target?: string; value?: number }; value?: number }) =>
        p.dataType === 'edge'
          ? `${names.node(p.data?.source ?? '')} → ${names.node(p.data?.target ?? '')}: ${names.count(p.data?.value ?? 0)}`
          : `${names.node(p.name ?? '')}: ${names.count(p.value ?? 0)}`,
    },
    series: [{
      type: 'sankey',
      left: 8, right: 120, top: 8, bottom: 8,
      nodeGap: 10,
      draggable: false,
      emphasis: { focus: 'adjacency' },
      lineStyle: { color: 'gradient', opacity: 0.35 },
      label: { formatter: (p: { name: string }) => names.node(p.name) },
      data: [...used].map((name) => ({ name, ...(colors[name] ? { itemStyle: { color: colors[name] } } : {}) })),
      links,
    }],
  }
}

// ----- the week's shape ------------------------------------------------------------------------------

/** [weekday 0 = Monday … 6 = Sunday][half hour 0 … 47] */
export type WeekGrid = number[][]

/**
 * Adds up a metric of a report by half hour (`by=half_hour`) into weekday × half hour of the
 * day, in the tenant's zone (a zone with a 45-minute offset puts each half hour where it
 * begins).
 */
export function weekGrid(body: Pick<ReportBody, 'rows' | 'metrics'>, metric: string, zone?: string): WeekGrid {
  const grid: WeekGrid = Array.from({ length: 7 }, () => new Array(48).fill(0))
  for (const r of body.rows) {
    const v = valueOf(body, r, metric)
    if (v == null) continue
    const p = partsIn(r.period_ms, zone)
    const day = (p.weekday + 6) % 7
    const slot = Number(p.hh) * 2 + (Number(p.mm) >= 30 ? 1 : 0)
    if (day >= 0 && day < 7 && slot >= 0 && slot < 48) grid[day][slot] += v
  }
  return grid
}

/** The grid as an ECharts heatmap: half hours across, weekdays down (Monday on top). */
export function heatmapOption(grid: WeekGrid, days: string[], name: string): Record<string, unknown> {
  const data: [number, number, number][] = []
  let max = 0
  grid.forEach((row, d) => row.forEach((v, s) => {
    data.push([s, d, v])
    max = Math.max(max, v)
  }))
  const slots = Array.from({ length: 48 }, (_, s) => `${String(Math.floor(s / 2)).padStart(2, '0')}:${s % 2 ? '30' : '00'}`)
  return {
    animation: false,
    tooltip: { position: 'top', formatter: (p: { data: [number, number, number] }) => `${days[p.data[1]]} ${slots[p.data[0]]}: ${p.data[2]}` },
    grid: { left: 48, right: 8, top: 8, bottom: 64 },
    xAxis: { type: 'category', data: slots, splitArea: { show: true }, axisLabel: { interval: 3 } },
    yAxis: { type: 'category', data: days, inverse: true, splitArea: { show: true } },
    visualMap: {
      min: 0, max: Math.max(1, max), calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120,
      inRange: { color: ['#f3f8ff', '#9ec5fe', '#1f6fd1'] }, text: [String(max), '0'],
    },
    series: [{ name, type: 'heatmap', data, label: { show: false }, emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } } }],
  }
}
