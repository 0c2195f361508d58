// A configuration document as the API lists it.
export interface Doc {
  key: string
  version: number
  data: Record<string, any>
}
