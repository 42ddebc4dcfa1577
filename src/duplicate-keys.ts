/**
 * Finds a name that appears twice in one JSON object. JSON.parse keeps the
 * last value of a repeated name, so `{"side":"buy","side":"sell"}` would be
 * a sell; an order API rejects such a body instead of guessing.
 */

/**
 * Returns the first repeated name in any object of `text`, after the names
 * of the members that hold that object: ["side"] for a repeat at the top,
 * ["AAPL", "tickSize"] for one inside the member "AAPL". Undefined when no
 * object repeats a name. Expects text that JSON.parse accepted; escapes are
 * decoded before names are compared, so "s\u0069de" repeats "side".
 */
export function findDuplicateKey(text: string): string[] | undefined {
  // One entry per open container: for an object, the names seen so far and
  // the last of them; null for an array.
  const open: Array<{ names: Set<string>, last: string } | null> = []
  let expectName = false

  for (let i = 0; i < text.length; i++) {
    const char = text[i]

    if (char === '"') {
      const end = endOfString(text, i)
      const object = open[open.length - 1]
      if (expectName && object) {
        const name = JSON.parse(text.slice(i, end + 1)) as string
        if (object.names.has(name)) {
          const outer = open.slice(0, -1).flatMap((entry) => (entry === null ? [] : [entry.last]))
          return [...outer, name]
        }
        object.names.add(name)
        object.last = name
      }
      expectName = false
      i = end
    } else if (char === '{') {
      open.push({ names: new Set(), last: '' })
      expectName = true
    } else if (char === '[') {
      open.push(null)
    } else if (char === '}' || char === ']') {
      open.pop()
    } else if (char === ',') {
      expectName = Boolean(open[open.length - 1])
    }
  }
  return undefined
}

/** Index of the quote that closes the string opening at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i
  }
  return text.length - 1
}
