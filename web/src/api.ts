// The API client: JSON over fetch on the same origin, the session cookie sent by the browser
// and the CSRF token (from login) on every change. Errors keep the server's code and the
// field it named, so forms can show them next to the field.

export interface ApiErrorBody {
  code: string
  message: string
  details?: { field?: string; [k: string]: unknown }
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field?: string
  readonly details?: ApiErrorBody['details']

  constructor(status: number, body: ApiErrorBody) {
    super(body.message)
    this.status = status
    this.code = body.code
    this.field = body.details?.field
    this.details = body.details
  }
}

/** The CSRF token the server set at login (a cookie scripts may read; the session's own is HttpOnly). */
export function csrfToken(): string | null {
  const m = document.cookie.match(/(?:^|;\s*)hotline_csrf=([^;]+)/)
  return m ? decodeURIComponent(m[1]) : null
}

/** Called when the server says the session is gone (401), e.g. to go to the login page. */
let onUnauthenticated: () => void = () => {}
export function whenUnauthenticated(f: () => void): void {
  onUnauthenticated = f
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return send<T>(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? undefined : 'application/json')
}

/** Sends a file as the request's body, its raw bytes (an attachment, an import). */
export function upload<T>(path: string, file: Blob): Promise<T> {
  return send<T>('POST', path, file, 'application/octet-stream')
}

async function send<T>(method: string, path: string, body: BodyInit | undefined, contentType: string | undefined): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (contentType) headers['content-type'] = contentType
  const csrf = csrfToken()
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf
  let res: Response
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin' })
  } catch {
    throw new ApiError(0, { code: 'network', message: 'network' })
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let data: unknown = undefined
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = { code: 'bad_response', message: text.slice(0, 200) }
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, (data as ApiErrorBody) ?? { code: 'http', message: res.statusText })
    if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthenticated()
    throw err
  }
  return data as T
}

export const get = <T>(path: string) => api<T>('GET', path)
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {})
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body)
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body)

/** A file the API answers with, asked with the session (an export, a recording). */
async function fetchFile(path: string): Promise<Response> {
  let res: Response
  try {
    res = await fetch(path, { credentials: 'same-origin' })
  } catch {
    throw new ApiError(0, { code: 'network', message: 'network' })
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({ code: 'http', message: res.statusText }))
    if (res.status === 401) onUnauthenticated()
    throw new ApiError(res.status, body as ApiErrorBody)
  }
  return res
}

/**
 * A file's bytes, to show in the page (a call's recording in an `<audio>`, which cannot ask
 * with the session itself): make it a URL with `URL.createObjectURL`, revoked when done.
 */
export async function fetchBlob(path: string): Promise<Blob> {
  return (await fetchFile(path)).blob()
}

/** Downloads a file the API answers with (an export), under the name the server gives. */
export async function download(path: string): Promise<void> {
  const res = await fetchFile(path)
  const disposition = res.headers.get('content-disposition') ?? ''
  // The UTF-8 name (RFC 5987) when given: a Chinese name survives.
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1]
  const plain = /filename="?([^";]+)"?/.exec(disposition)?.[1]
  let name = plain ?? 'export'
  try {
    if (utf8) name = decodeURIComponent(utf8)
  } catch {
    // A malformed encoding: the plain name.
  }
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
