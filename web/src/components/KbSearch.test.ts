import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { i18n } from '../i18n'
import KbSearch from './KbSearch.vue'

const article = {
  id: 7, version: 3, title: '水表计量异常的处理', category: '水表/计量', status: 'published', public: false, owner_id: 1,
  body: '先关闭所有用水点。\n再看水表是否转动。', tags: ['水表'], questions: [], products: [], segments: [], valid_from: null, valid_to: null,
  created_ms: 0, updated_ms: 0,
}

describe('the knowledge search', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.useRealTimers()
  })

  it('searches as one types, opens with Enter and marks what solved the call', async () => {
    vi.useFakeTimers()
    const asked: string[] = []
    const sent: unknown[] = []
    vi.stubGlobal('fetch', vi.fn(async (path: string, init: RequestInit) => {
      asked.push(decodeURIComponent(path))
      if (path.startsWith('/api/kb/search')) {
        return new Response(JSON.stringify([{ id: 7, score: 3.2, title: article.title, snippet: '用户反映<b>水表</b>走得快' }]), { status: 200 })
      }
      if (init?.method === 'POST') {
        sent.push(JSON.parse(String(init.body)))
        return new Response(null, { status: 204 })
      }
      return new Response(JSON.stringify(article), { status: 200 })
    }))
    setActivePinia(createPinia())
    const w = mount(KbSearch, { props: { callId: 'call-42' }, global: { plugins: [i18n] }, attachTo: document.body })
    const input = w.get('input[data-test=kb-q]')
    await input.setValue('水表走得快')
    await vi.advanceTimersByTimeAsync(250)
    await flushPromises()
    expect(asked.some((p) => p.startsWith('/api/kb/search?q=水表走得快'))).toBe(true)
    expect(w.get('[data-test=kb-hit-7]').html()).toContain('<b>水表</b>')
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(w.get('[data-test=kb-article-title]').text()).toBe('水表计量异常的处理')
    expect(w.get('[data-test=kb-article-body]').text()).toContain('再看水表')
    await w.get('[data-test=kb-solved]').trigger('click')
    await flushPromises()
    expect(sent).toEqual([{ query: '水表走得快', call_id: 'call-42' }])
    expect(w.get('[data-test=kb-solved]').text()).toContain('已记为')
    w.unmount()
  })

  it('suggests articles for the call, asks the experts with the call and shows their answer', async () => {
    const sent: { path: string; body: unknown }[] = []
    let answered = false
    vi.stubGlobal('fetch', vi.fn(async (path: string, init: RequestInit) => {
      if (init?.method === 'POST') {
        sent.push({ path, body: JSON.parse(String(init.body)) })
        answered = true
        return new Response('{}', { status: 201 })
      }
      if (path.startsWith('/api/kb/suggest')) {
        expect(path).toContain('call_id=call-42')
        return new Response(JSON.stringify([{ id: 7, title: article.title, snippet: '', why: 'solved_like', times: 4 }]), { status: 200 })
      }
      if (path.startsWith('/api/kb/tasks')) {
        const mine = { id: 1, kind: 'question', status: answered ? 'answered' : 'open', category: '', text: '井盖丢了谁负责', asked_by_id: 5, answer: answered ? '物业负责' : null, created_ms: 0, updated_ms: 0 }
        const other = { ...mine, id: 2, asked_by_id: 6, text: '别人的' }
        return new Response(JSON.stringify(path.includes('mine=true') ? [mine] : [mine, other]), { status: 200 })
      }
      return new Response(JSON.stringify(article), { status: 200 })
    }))
    const pinia = createPinia()
    setActivePinia(pinia)
    const { useSession } = await import('../stores/session')
    useSession().info = { user: { id: 5 }, permissions: ['search_kb'] } as never
    const w = mount(KbSearch, { props: { callId: 'call-42' }, global: { plugins: [i18n, pinia] }, attachTo: document.body })
    await flushPromises()
    expect(w.get('[data-test=kb-suggest-7]').text()).toContain('同类来电用过 4 次')
    expect(w.find('[data-test=kb-mine-2]').exists()).toBe(false)
    expect(w.get('[data-test=kb-mine-1]').text()).toContain('等待答复')
    await w.get('input[data-test=kb-q]').setValue('井盖丢了谁负责')
    await w.get('[data-test=kb-ask]').trigger('click')
    expect((w.get('textarea[data-test=kb-ask-text]').element as HTMLTextAreaElement).value).toBe('井盖丢了谁负责')
    await w.get('[data-test=kb-ask-send]').trigger('click')
    await flushPromises()
    expect(sent).toEqual([{ path: '/api/kb/tasks', body: { kind: 'question', text: '井盖丢了谁负责', article_id: null, call_id: 'call-42' } }])
    expect(w.get('[data-test=kb-mine-1]').text()).toContain('物业负责')
    w.unmount()
  })
})
