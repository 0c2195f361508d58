import { describe, expect, it } from 'vitest'
import { askedAnything, callParams, filtersFromQuery, recordedSegments, trailLine, trailSteps, type TrailNames, type TrailStep } from './calls'
import { i18n } from './i18n'
import { phone } from './format'

const step = (at_ms: number, kind: string, payload: Record<string, unknown>): TrailStep => ({ at_ms, kind, payload })

/** A transferred call: IVR, queue, two rings, answered, passed to billing, answered there, wrapped up, surveyed. */
const trail: TrailStep[] = [
  step(1_000, 'call.arrived', { call_id: 'c1', caller: '+8613812345678', dialled: '96332' }),
  step(1_100, 'ivr.node', { call_id: 'c1', node: 'main' }),
  step(4_000, 'call.queued', { call_id: 'c1', queue: 'repair', ivr_ms: 3000, ivr_path: ['main'] }),
  step(10_000, 'call.announced', { call_id: 'c1', ahead: 2, wait_s: 75 }),
  step(16_000, 'call.ringing', { call_id: 'c1', user_id: 7, extension: '8001', waited_ms: 12_000, queue: 'repair' }),
  step(16_500, 'call.recording', { call_id: 'c1', path: 'rec/c1-0.wav' }),
  step(201_000, 'call.transferred', { call_id: 'c1', to: 'billing', segment: 1, from_agent: 7 }),
  step(201_000, 'call.ended', {
    call_id: 'c1', outcome: 'answered', answered_at_ms: 18_000, wait_ms: 14_000, talk_ms: 183_000, hold_ms: 0, agent_id: 7, segment: 0,
    transferred_to: 'billing', recording: 'rec/c1-0.wav',
  }),
  step(230_000, 'call.ended', { call_id: 'c1', outcome: 'answered', answered_at_ms: 205_000, wait_ms: 4_000, talk_ms: 25_000, hold_ms: 5_000, agent_id: 9, segment: 1 }),
  step(231_000, 'call.wrapup', { call_id: 'c1', user_id: 9, agent: '李四', disposition: 'solved', notes: '已解释账单' }),
  step(240_000, 'call.survey', { call_id: 'c1', agent_id: 9, score: 4, segment: 2 }),
]

function names(): TrailNames {
  const t = i18n.global.t as unknown as TrailNames['t']
  return {
    t,
    queue: (k) => ({ repair: '报修', billing: '水费' })[k] ?? k,
    person: (id) => ({ 7: '张三', 9: '李四' })[id] ?? `#${id}`,
    disposition: (c) => (c === 'solved' ? '已解决' : c),
    phone,
  }
}

describe("a call's trail", () => {
  it('puts each part\'s answer in its place, in order', () => {
    const kinds = trailSteps(trail).map((s) => s.kind)
    expect(kinds.slice(0, 7)).toEqual(['call.arrived', 'ivr.node', 'call.queued', 'call.announced', 'call.ringing', 'call.recording', 'call.answered'])
    // The second part's answer (205 s) comes after the transfer (201 s) and before its end.
    expect(kinds.slice(7)).toEqual(['call.transferred', 'call.ended', 'call.answered', 'call.ended', 'call.wrapup', 'call.survey'])
  })

  it('reads as lines in Chinese', () => {
    i18n.global.locale.value = 'zh-CN'
    const lines = trailSteps(trail).map((s) => trailLine(s, names()))
    expect(lines).toEqual([
      '来电 138 1234 5678 拨打 96332',
      '进入 IVR 节点 main',
      '进入队列 报修',
      '播报排队位置：前面还有 2 位，预计等待 1:15',
      '振铃 8001 张三（等待 12 秒）',
      '开始录音',
      '接通（张三）',
      '转接至 水费',
      '第 1 段结束：已接通 · 通话 3:03 · 转至 水费',
      '接通（李四）',
      '第 2 段结束：已接通 · 通话 25 秒 · 保持 5 秒',
      '话后小结：已解决（李四） · 已解释账单',
      '满意度评价：4 分',
    ])
  })

  it('reads as lines in English, and a call of one part just ends', () => {
    i18n.global.locale.value = 'en'
    try {
      const n = names()
      expect(trailLine(trail[4], n)).toBe('Ringing 8001 张三 (waited 12 s)')
      expect(trailLine(trail[2], n)).toBe('Queued in 报修')
      expect(trailLine(step(0, 'call.ended', { outcome: 'abandoned', talk_ms: 0, wait_ms: 45_000, segment: 0 }), n)).toBe('Ended: Abandoned · waited 45 s')
      expect(trailLine(step(0, 'call.ended', { outcome: 'answered', talk_ms: 185_000, wait_ms: 3_000, segment: 0 }), n)).toBe('Ended: Answered · talk 3:05')
      expect(trailLine(step(0, 'call.transferred', { to: '8002' }), n)).toBe('Transferred to 8002')
      expect(trailLine(step(0, 'call.transferred', { to: 'survey' }), n)).toBe('Transferred to the satisfaction survey')
      expect(trailLine(step(0, 'call.consult', { to: '8100', expert_id: 9, state: 'failed' }), n)).toBe('Consulting 8100 李四: not reached')
      expect(trailLine(step(0, 'call.survey', { score: null }), n)).toBe('Survey: no score given')
      expect(trailLine(step(0, 'something.new', {}), n)).toBe('something.new')
    } finally {
      i18n.global.locale.value = 'zh-CN'
    }
  })

  it('names the recorded parts, from the trail and the records', () => {
    expect(recordedSegments(trail)).toEqual([0])
    expect(recordedSegments(trail, [{ segment: 1, recording: 'rec/c1-1.wav' }, { segment: 2, recording: null }])).toEqual([0, 1])
    expect(recordedSegments([])).toEqual([])
  })
})

describe('the call list\'s filters', () => {
  it('come from a report\'s link, leaving out what is not understood', () => {
    const f = filtersFromQuery({ arrived_from_ms: '1764547200000', arrived_to_ms: '1764633600000', queue: 'repair', outcome: 'abandoned', agent_id: 'x', min_talk_s: '-3' })
    expect(f).toMatchObject({ arrivedFromMs: 1764547200000, arrivedToMs: 1764633600000, queue: 'repair', outcome: 'abandoned', agentId: null, minTalkS: null })
    expect(askedAnything(f)).toBe(true)
    expect(askedAnything(filtersFromQuery({}))).toBe(false)
    // A center-wide count's calls: first parts only, asked of the API.
    const firsts = filtersFromQuery({ first_parts: 'true' })
    expect(firsts.firstParts).toBe(true)
    expect(callParams(firsts, null).get('first_parts')).toBe('true')
    expect(callParams(filtersFromQuery({ first_parts: 'yes' }), null).has('first_parts')).toBe(false)
    expect(filtersFromQuery({ outcome: 'lost' }).outcome).toBe('')
    expect(filtersFromQuery({ agent_id: ['12', '13'] }).agentId).toBe(12)
  })

  it('ask the API by arrival without an end period, and by everything given', () => {
    const f = filtersFromQuery({ arrived_from_ms: '100', arrived_to_ms: '200', dialled: '96332', disposition: 'solved' })
    expect(callParams(f, null).toString()).toBe('arrived_from_ms=100&arrived_to_ms=200&dialled=96332&disposition=solved')
    const g = { ...filtersFromQuery({}), caller: ' 138 1234 5678 ', agentId: 7, minTalkS: 0, maxTalkS: 60 }
    expect(callParams(g, [new Date(1000), new Date(2000)]).toString()).toBe('from_ms=1000&to_ms=2000&caller=138+1234+5678&agent_id=7&min_talk_s=0&max_talk_s=60')
  })
})
