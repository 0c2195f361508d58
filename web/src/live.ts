// A WebSocket that stays up: it reconnects by itself with a growing delay (0.5 s to 10 s)
// after any loss, and says whether what the page shows may be stale (disconnected now).
// The events stream resumes from the last `seq` it saw, so nothing is lost or doubled;
// the floor stream sends a whole snapshot on each connect, so it catches up at once.

import { ref, type Ref } from 'vue'

export interface LiveOptions {
  /** The URL to connect to now (it may change between reconnects, e.g. `?after=<seq>`). */
  url: () => string
  onMessage: (data: unknown) => void
  /** Called after each (re)connect. */
  onOpen?: () => void
  /** For tests: the WebSocket constructor. */
  socket?: typeof WebSocket
}

export interface Live {
  /** True while disconnected (the page's data may be out of date). */
  stale: Ref<boolean>
  /** How many times the connection was lost. */
  drops: Ref<number>
  close: () => void
}

export function wsUrl(path: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}${path}`
}

export function connectLive(opts: LiveOptions): Live {
  const Socket = opts.socket ?? WebSocket
  const stale = ref(true)
  const drops = ref(0)
  let ws: WebSocket | null = null
  let closed = false
  let delay = 500
  let timer: ReturnType<typeof setTimeout> | undefined

  const open = () => {
    if (closed) return
    const s = new Socket(opts.url())
    ws = s
    s.onopen = () => {
      delay = 500
      stale.value = false
      opts.onOpen?.()
    }
    s.onmessage = (m: MessageEvent) => {
      let data: unknown
      try {
        data = JSON.parse(String(m.data))
      } catch {
        return
      }
      opts.onMessage(data)
    }
    s.onclose = () => {
      if (ws !== s) return
      ws = null
      if (!stale.value) drops.value++
      stale.value = true
      if (closed) return
      timer = setTimeout(open, delay)
      delay = Math.min(delay * 2, 10_000)
    }
    s.onerror = () => s.close()
  }

  // Back online: try at once instead of waiting out the delay.
  const online = () => {
    if (!ws && !closed) {
      clearTimeout(timer)
      delay = 500
      open()
    }
  }
  if (typeof window !== 'undefined') window.addEventListener('online', online)
  open()

  return {
    stale,
    drops,
    close() {
      closed = true
      clearTimeout(timer)
      if (typeof window !== 'undefined') window.removeEventListener('online', online)
      ws?.close()
      ws = null
    },
  }
}
