import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { connectLive } from './live'

class FakeSocket {
  static all: FakeSocket[] = []
  onopen: (() => void) | null = null
  onmessage: ((m: { data: string }) => void) | null = null
  onclose: (() => void) | null = null
  onerror: (() => void) | null = null
  constructor(readonly url: string) {
    FakeSocket.all.push(this)
  }
  close() {
    this.onclose?.()
  }
}

describe('the live connection', () => {
  beforeEach(() => {
    FakeSocket.all = []
    vi.useFakeTimers()
  })
  afterEach(() => vi.useRealTimers())

  it('reconnects by itself with a growing delay, resuming where it was, and says when it is stale', () => {
    let seq = -1
    const got: unknown[] = []
    let opened = 0
    const live = connectLive({
      url: () => `/api/events?after=${seq}`,
      onMessage: (d) => {
        got.push(d)
        seq = (d as { seq: number }).seq
      },
      onOpen: () => opened++,
      socket: FakeSocket as unknown as typeof WebSocket,
    })
    expect(live.stale.value).toBe(true)
    FakeSocket.all[0].onopen?.()
    expect(live.stale.value).toBe(false)
    FakeSocket.all[0].onmessage?.({ data: '{"seq": 7}' })
    FakeSocket.all[0].onmessage?.({ data: 'not json' })
    expect(got).toEqual([{ seq: 7 }])

    // The network drops: stale at once, a new socket after 0.5 s that resumes after 7.
    FakeSocket.all[0].close()
    expect(live.stale.value).toBe(true)
    expect(live.drops.value).toBe(1)
    vi.advanceTimersByTime(499)
    expect(FakeSocket.all).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.all[1].url).toBe('/api/events?after=7')
    // It fails again: the next try waits twice as long.
    FakeSocket.all[1].close()
    vi.advanceTimersByTime(999)
    expect(FakeSocket.all).toHaveLength(2)
    vi.advanceTimersByTime(1)
    FakeSocket.all[2].onopen?.()
    expect(live.stale.value).toBe(false)
    expect(opened).toBe(2)

    // Closed on purpose: no more reconnects.
    live.close()
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.all).toHaveLength(3)
  })
})
