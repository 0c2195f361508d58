import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { i18n } from '../i18n'
import { useSession } from '../stores/session'
import Calls from './Calls.vue'

const cdr = {
  call_id: 'c1', caller: '+8613812345678', customer_id: null, queue: 'repair', first_queue: 'repair', agent_id: 7, arrived_at_ms: 1_000,
  answered_at_ms: 18_000, ended_at_ms: 201_000, wait_ms: 14_000, talk_ms: 183_000, outcome: 'answered', dialled: '96332', segment: 0,
  recording: 'rec/c1-0.wav', transferred_to: null, survey_score: null,
}
const trail = [
  { at_ms: 1_000, kind: 'call.arrived', payload: { call_id: 'c1', caller: '+8613812345678', dialled: '96332' } },
  { at_ms: 1_100, kind: 'ivr.node', payload: { call_id: 'c1', node: 'main' } },
  { at_ms: 4_000, kind: 'call.queued', payload: { call_id: 'c1', queue: 'repair', ivr_ms: 3000, ivr_path: ['main'] } },
  { at_ms: 16_000, kind: 'call.ringing', payload: { call_id: 'c1', user_id: 7, extension: '8001', waited_ms: 12_000 } },
  { at_ms: 201_000, kind: 'call.ended', payload: { ...cdr } },
]

describe('the call list (通话记录)', () => {
  let paths: string[]
  beforeEach(() => {
    paths = []
    vi.stubGlobal('fetch', vi.fn(async (path: string) => {
      paths.push(path)
      if (path === '/api/directory') return Response.json({ queues: [{ key: 'repair', name: '报修' }], people: [{ user_id: 7, display_name: '张三' }] })
      if (path === '/api/settings') return Response.json({ dispositions: [{ code: 'solved', name_zh: '已解决', name_en: 'Solved' }], thresholds: [] })
      if (path.startsWith('/api/cdrs?')) return Response.json([cdr])
      if (path === '/api/calls/c1/trail') return Response.json(trail)
      if (path === '/api/calls/c1/recording?segment=0') return new Response(new Uint8Array([82, 73, 70, 70]), { status: 200, headers: { 'content-type': 'audio/wav' } })
      return Response.json({ code: 'not_found', message: 'not found' }, { status: 404 })
    }))
    URL.createObjectURL = vi.fn(() => 'blob:recording-0')
    URL.revokeObjectURL = vi.fn()
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  async function mountAt(url: string, permissions: string[]) {
    setActivePinia(createPinia())
    useSession().info = { expires_at_ms: 0, permissions, user: { id: 1, role: 'supervisor' } } as never
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/calls', component: Calls }, { path: '/customers/:id', component: { template: '<div />' } }] })
    await router.push(url)
    await router.isReady()
    const w = mount(Calls, { global: { plugins: [i18n, router], stubs: { transition: false } }, attachTo: document.body })
    await flushPromises()
    return w
  }

  it('asks for what a report\'s link says: the calls that arrived in its period, without the last week', async () => {
    const w = await mountAt('/calls?arrived_from_ms=1764547200000&arrived_to_ms=1764633600000&queue=repair&outcome=abandoned', ['view_calls', 'view_directory'])
    const q = new URL(paths.find((p) => p.startsWith('/api/cdrs?'))!, 'http://x').searchParams
    expect(Object.fromEntries(q)).toEqual({ arrived_from_ms: '1764547200000', arrived_to_ms: '1764633600000', queue: 'repair', outcome: 'abandoned', limit: '500' })
    expect(w.find('[data-test=calls-arrived]').exists()).toBe(true)
    // Who may not read the settings types the wrap-up code.
    expect(paths).not.toContain('/api/settings')
    expect(w.get('[data-test=calls-disposition]').element.tagName).not.toBe('DIV')
    w.unmount()
  })

  it('offers the wrap-up codes to those who may read the settings, and the last week by default', async () => {
    const w = await mountAt('/calls', ['view_calls', 'view_directory', 'view_settings'])
    expect(paths).toContain('/api/settings')
    const q = new URL(paths.find((p) => p.startsWith('/api/cdrs?'))!, 'http://x').searchParams
    expect(q.has('from_ms') && q.has('to_ms') && !q.has('arrived_from_ms')).toBe(true)
    expect(w.get('[data-test=calls-disposition]').classes()).toContain('el-select')
    w.unmount()
  })

  it('opens a call\'s trail and plays its recording for those who may hear it; Esc closes it', async () => {
    const w = await mountAt('/calls', ['view_calls', 'view_directory', 'listen_recordings'])
    await w.get('[data-test=call-details-c1]').trigger('click')
    await flushPromises()
    expect(paths).toContain('/api/calls/c1/trail')
    const text = document.querySelector('[data-test=call-trail]')!.textContent!
    expect(text).toContain('进入 IVR 节点 main')
    expect(text).toContain('进入队列 报修')
    expect(text).toContain('振铃 8001 张三（等待 12 秒）')
    expect(text).toContain('接通（张三）')
    expect(text).toContain('结束：已接通 · 通话 3:03')
    const play = document.querySelector<HTMLButtonElement>('[data-test=call-play-0]')!
    play.click()
    await flushPromises()
    expect(paths).toContain('/api/calls/c1/recording?segment=0')
    expect(document.querySelector('[data-test=call-audio-0]')?.getAttribute('src')).toBe('blob:recording-0')
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', code: 'Escape' }))
    await flushPromises()
    expect(document.querySelector('[data-test=call-summary]')).toBeNull()
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:recording-0')
    w.unmount()
  })

  it('offers no recording to those who may not hear calls', async () => {
    const w = await mountAt('/calls', ['view_calls', 'view_directory'])
    await w.get('[data-test=call-details-c1]').trigger('click')
    await flushPromises()
    expect(document.querySelector('[data-test=call-trail]')).not.toBeNull()
    expect(document.querySelector('[data-test=call-recordings]')).toBeNull()
    w.unmount()
  })
})
