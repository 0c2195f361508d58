// Tables downloaded as CSV from the browser (what the page already shows; the server's own
// exports stay on the server): UTF-8 with a BOM, so Excel opens Chinese right.

export type Cell = string | number | null | undefined

/** One cell: quoted when it must be; text a spreadsheet would run as a formula kept as text. */
export function csvCell(v: Cell): string {
  if (v == null) return ''
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : ''
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** The rows as a CSV file's text, the BOM first, lines ended by CRLF. */
export function toCsv(rows: Cell[][]): string {
  return '\ufeff' + rows.map((r) => r.map(csvCell).join(',') + '\r\n').join('')
}

/** Downloads the rows as `name` (a CSV file). */
export function downloadCsv(name: string, rows: Cell[][]): void {
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
