import { describe, expect, it } from 'vitest'
import { assess } from './floor'
import type { FloorAgent, FloorView } from '../types'

const agent = (id: number, state: string, reason: string | null, since: number | null): FloorAgent => ({
  user_id: id, display_name: `A${id}`, state, reason, extension: null, since_ms: since,
  wrap_up_until_ms: null, now_ms: 0, call: null, queues: ['repair'], phone_reachable: true,
})

describe('the floor', () => {
  const view: FloorView = {
    now_ms: 0,
    queues: [],
    thresholds: [
      { state: 'after_call_work', amber_seconds: 60, red_seconds: 120 },
      { state: 'away', amber_seconds: 300, red_seconds: 600 },
      { state: 'break', amber_seconds: 900, red_seconds: 1200 },
    ],
    agents: [
      agent(1, 'after_call_work', null, 1_000_000 - 70_000), // 70 s: amber
      agent(2, 'not_ready', 'away', 1_000_000 - 700_000), // 11:40: red
      agent(3, 'not_ready', 'break', 1_000_000 - 100_000), // under 15 min: fine
      agent(4, 'not_ready', 'away', 1_000_000 - 310_000), // amber
      agent(5, 'offline', null, 0), // never an alert
      agent(6, 'talking', null, null), // unknown since: no alert
    ],
  }

  it('colours agents past their thresholds and lists the alerts, red first', () => {
    const { levels, alerts } = assess(view, 1_000_000)
    expect(levels.get(1)).toBe('amber')
    expect(levels.get(2)).toBe('red')
    expect(levels.get(3)).toBe('ok')
    expect(levels.get(5)).toBe('ok')
    expect(levels.get(6)).toBe('ok')
    expect(alerts.map((a) => [a.agent.user_id, a.state, a.level])).toEqual([
      [2, 'away', 'red'],
      [4, 'away', 'amber'],
      [1, 'after_call_work', 'amber'],
    ])
  })

  it('flags a ready agent whose phone cannot be rung', () => {
    const v = { ...view, agents: [{ ...agent(7, 'ready', null, 999_000), phone_reachable: false }] }
    const { levels, alerts } = assess(v, 1_000_000)
    expect(levels.get(7)).toBe('amber')
    expect(alerts.map((a) => a.state)).toEqual(['phone_unreachable'])
  })

  it('raises a new alert as time passes, without a new snapshot', () => {
    const later = assess(view, 1_000_000 + 1_100_000)
    expect(later.levels.get(3)).toBe('red')
  })
})
