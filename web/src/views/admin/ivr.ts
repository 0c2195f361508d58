// An IVR flow as the designer draws it: its nodes laid out in columns by distance from the
// start, and its connections (keys, timeouts, branches) as labelled edges.

export type Node = Record<string, any> & { type: string }
export interface Flow { start: string; nodes: Record<string, Node> }

export const NODE_TYPES = ['play', 'menu', 'collect', 'branch', 'queue', 'voicemail', 'callback', 'transfer', 'hangup']

export interface Edge { from: string; to: string; label: string }

/** Every connection out of a node, in order: `next`, each key, the fallback, the branches. */
export function edgesOf(name: string, n: Node): Edge[] {
  const out: Edge[] = []
  const add = (to: unknown, label: string) => typeof to === 'string' && to && out.push({ from: name, to, label })
  switch (n.type) {
    case 'play':
      add(n.next, '→')
      break
    case 'menu':
      for (const [k, to] of Object.entries(n.options ?? {})) add(to, k)
      add(n.fallback, 'fallback')
      break
    case 'collect':
      add(n.next, 'next')
      add(n.fallback, 'fallback')
      break
    case 'branch':
      add(n.then, 'then')
      add(n.otherwise, 'otherwise')
      break
  }
  return out
}

export interface Placed { name: string; x: number; y: number }

export const NODE_W = 190
export const NODE_H = 64
const GAP_X = 70
const GAP_Y = 26

/** Columns by breadth-first distance from the start; nodes no path reaches in a last column. */
export function layout(flow: Flow): Placed[] {
  const depth = new Map<string, number>()
  const order: string[] = []
  if (flow.nodes[flow.start]) {
    depth.set(flow.start, 0)
    order.push(flow.start)
  }
  for (let i = 0; i < order.length; i++) {
    const name = order[i]
    for (const e of edgesOf(name, flow.nodes[name])) {
      if (flow.nodes[e.to] && !depth.has(e.to)) {
        depth.set(e.to, depth.get(name)! + 1)
        order.push(e.to)
      }
    }
  }
  const last = order.length ? Math.max(...order.map((n) => depth.get(n)!)) + 1 : 0
  for (const name of Object.keys(flow.nodes)) {
    if (!depth.has(name)) {
      depth.set(name, last)
      order.push(name)
    }
  }
  const rows = new Map<number, number>()
  return order.map((name) => {
    const col = depth.get(name)!
    const row = rows.get(col) ?? 0
    rows.set(col, row + 1)
    return { name, x: 16 + col * (NODE_W + GAP_X), y: 16 + row * (NODE_H + GAP_Y) }
  })
}

/** What the designer can tell before the server does: connections to nodes that do not exist. */
export function localProblems(flow: Flow): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, n] of Object.entries(flow.nodes)) {
    for (const e of edgesOf(name, n)) {
      if (!flow.nodes[e.to]) out[name] = e.to
    }
  }
  return out
}

/** A line-by-line difference of two texts (longest common subsequence): `' '`, `'-'`, `'+'`. */
export function diffLines(a: string, b: string): [string, string][] {
  const x = a.split('\n')
  const y = b.split('\n')
  const n = x.length
  const m = y.length
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
    }
  }
  const out: [string, string][] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push([' ', x[i]])
      i++
      j++
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push(['-', x[i++]])
    else out.push(['+', y[j++]])
  }
  while (i < n) out.push(['-', x[i++]])
  while (j < m) out.push(['+', y[j++]])
  return out
}

/** A new node of a type, with the fields it needs. */
export function blankNode(type: string, queue: string): Node {
  switch (type) {
    case 'play': return { type, prompt: 'tts:', next: '' }
    case 'menu': return { type, prompt: 'tts:', options: {}, timeout_s: 5, retries: 2, invalid: null, fallback: '' }
    case 'collect': return { type, prompt: 'tts:', variable: 'account', min: 1, max: 12, timeout_s: 5, retries: 2, next: '', fallback: '' }
    case 'branch': return { type, when: { if: 'open', calendar: '' }, then: '', otherwise: '' }
    case 'queue': return { type, queue, priority: 0 }
    case 'voicemail': return { type, mailbox: 'main' }
    case 'callback': return { type, queue }
    case 'transfer': return { type, number: '' }
    default: return { type: 'hangup', prompt: null }
  }
}

/** A flow as it is saved: an empty wrong-key or hang-up prompt is none. */
export function cleanFlow(flow: Flow): Flow {
  const out: Flow = JSON.parse(JSON.stringify(flow))
  for (const n of Object.values(out.nodes)) {
    if ('invalid' in n && !n.invalid) n.invalid = null
    if (n.type === 'hangup' && !n.prompt) n.prompt = null
  }
  return out
}
